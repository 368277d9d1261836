-- The search boxes of the improvements and contracts lists ("contains …") read trigram indexes: pg_trgm ships with
-- PostgreSQL (contrib) and is a trusted extension, so the database owner may create it; PGlite loads it (src/db/client.ts).
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE INDEX "contracts_name_trgm" ON "contracts" USING gin ("name" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "contracts_supplier_trgm" ON "contracts" USING gin ("supplier" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "improvements_date_idx" ON "improvements" USING btree ("improved_on" DESC NULLS FIRST,"id");--> statement-breakpoint
CREATE INDEX "improvements_description_trgm" ON "improvements" USING gin ("description" gin_trgm_ops);