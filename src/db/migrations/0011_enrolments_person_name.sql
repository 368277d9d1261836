ALTER TABLE "enrolments" ADD COLUMN "person_name" text DEFAULT '' NOT NULL;--> statement-breakpoint
UPDATE "enrolments" e SET "person_name" = p."name" FROM "people" p WHERE p."id" = e."person_id";--> statement-breakpoint
CREATE FUNCTION "enrolments_fill_person_name"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- A writer that knows the name (the bulk upload) passes it; everyone else leaves it blank and it is read here.
  IF NEW."person_name" = '' THEN
    SELECT "name" INTO NEW."person_name" FROM "people" WHERE "id" = NEW."person_id";
  END IF;
  RETURN NEW;
END $$;--> statement-breakpoint
CREATE TRIGGER "enrolments_fill_person_name" BEFORE INSERT ON "enrolments" FOR EACH ROW EXECUTE FUNCTION "enrolments_fill_person_name"();--> statement-breakpoint
CREATE FUNCTION "people_copy_name_to_enrolments"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "enrolments" SET "person_name" = NEW."name" WHERE "person_id" = NEW."id";
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER "people_copy_name_to_enrolments" AFTER UPDATE OF "name" ON "people" FOR EACH ROW WHEN (OLD."name" IS DISTINCT FROM NEW."name") EXECUTE FUNCTION "people_copy_name_to_enrolments"();--> statement-breakpoint
CREATE INDEX "enrolments_person_name_idx" ON "enrolments" USING btree ("person_name","id");
