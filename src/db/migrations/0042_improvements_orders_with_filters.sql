DROP INDEX "improvements_date_idx";--> statement-breakpoint
DROP INDEX "improvements_value_idx";--> statement-breakpoint
CREATE INDEX "improvements_date_idx" ON "improvements" USING btree ("improved_on" DESC NULLS FIRST,"id","status","cashable","type");--> statement-breakpoint
CREATE INDEX "improvements_value_idx" ON "improvements" USING btree (("value_pence" is null),"value_pence" DESC NULLS FIRST,"improved_on" DESC NULLS FIRST,"id","status","cashable","type");