CREATE TABLE "reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"quarter" text NOT NULL,
	"generated_at" timestamp with time zone NOT NULL,
	"generated_by_id" uuid,
	"data" jsonb NOT NULL,
	"pdf" "bytea" NOT NULL,
	"xlsx" "bytea" NOT NULL,
	CONSTRAINT "reports_quarter_format" CHECK ("reports"."quarter" ~ '^[0-9]{4}-Q[1-4]$')
);
--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_generated_by_id_people_id_fk" FOREIGN KEY ("generated_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "reports_generated_idx" ON "reports" USING btree ("generated_at");--> statement-breakpoint
-- Archived reports are immutable: no route changes or deletes them, and the database refuses it too.
CREATE FUNCTION "reports_immutable"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'archived reports cannot be changed or deleted';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "reports_immutable" BEFORE UPDATE OR DELETE ON "reports" FOR EACH ROW EXECUTE FUNCTION "reports_immutable"();
