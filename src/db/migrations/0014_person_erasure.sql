CREATE SEQUENCE "public"."erased_person_number_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
ALTER TABLE "people" ADD COLUMN "erased_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "people" ADD COLUMN "erased_number" integer;--> statement-breakpoint
CREATE UNIQUE INDEX "people_erased_number_key" ON "people" USING btree ("erased_number");--> statement-breakpoint
-- The audit log stays append-only, with one exception: erasing a person (src/privacy/repository.ts) scrubs their name
-- and email from the events about them, inside a transaction that sets `pioneer.erasing` locally. Deleting stays refused.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND current_setting('pioneer.erasing', true) = 'on' THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
