DROP INDEX "network_resources_created_idx";--> statement-breakpoint
DROP INDEX "network_resources_downloads_idx";--> statement-breakpoint
CREATE INDEX "network_resources_created_idx" ON "network_resources" USING btree ("created_at" DESC NULLS FIRST,"id","networks","tags");--> statement-breakpoint
CREATE INDEX "network_resources_downloads_idx" ON "network_resources" USING btree ("download_count" DESC NULLS FIRST,"created_at" DESC NULLS FIRST,"id","networks","tags");