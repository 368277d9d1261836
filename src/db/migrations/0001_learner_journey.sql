CREATE TABLE "accreditations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"enrolment_id" uuid NOT NULL,
	"level" text NOT NULL,
	"awarded_on" date NOT NULL,
	"renewed_on" date,
	"certificate_number" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cohorts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"level" text NOT NULL,
	"name" text NOT NULL,
	"start_date" date NOT NULL,
	"workshop_dates" date[] DEFAULT '{}'::date[] NOT NULL,
	"capacity" integer NOT NULL,
	"placed" integer DEFAULT 0 NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cohorts_placed_within_capacity" CHECK ("cohorts"."placed" >= 0 and "cohorts"."placed" <= "cohorts"."capacity")
);
--> statement-breakpoint
CREATE TABLE "cpd_records" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"activity_date" date NOT NULL,
	"hours" numeric(5, 2) NOT NULL,
	"activity_type" text NOT NULL,
	"reflection" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "enrolment_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"enrolment_id" uuid NOT NULL,
	"type" text NOT NULL,
	"from_status" text,
	"to_status" text NOT NULL,
	"occurred_on" date NOT NULL,
	"reason" text,
	"certificate_number" text,
	"cohort_id" uuid,
	"actor_id" uuid,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "enrolments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"council_id" uuid NOT NULL,
	"level" text NOT NULL,
	"period" text NOT NULL,
	"status" text NOT NULL,
	"resume_status" text,
	"cohort_id" uuid,
	"attempts" integer DEFAULT 0 NOT NULL,
	"role_description" text,
	"contracts" text,
	"place_state" text DEFAULT 'none' NOT NULL,
	"nominated_by_id" uuid,
	"nominated_on" date NOT NULL,
	"approved_on" date,
	"registered_on" date,
	"last_event_on" date NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "funded_places" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"council_id" uuid NOT NULL,
	"level" text NOT NULL,
	"period" text NOT NULL,
	"places" integer NOT NULL,
	"taken" integer DEFAULT 0 NOT NULL,
	"released" integer DEFAULT 0 NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "funded_places_taken_within_places" CHECK ("funded_places"."taken" >= 0 and "funded_places"."taken" <= "funded_places"."places")
);
--> statement-breakpoint
ALTER TABLE "accreditations" ADD CONSTRAINT "accreditations_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accreditations" ADD CONSTRAINT "accreditations_enrolment_id_enrolments_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cpd_records" ADD CONSTRAINT "cpd_records_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrolment_events" ADD CONSTRAINT "enrolment_events_enrolment_id_enrolments_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrolments" ADD CONSTRAINT "enrolments_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrolments" ADD CONSTRAINT "enrolments_council_id_organisations_id_fk" FOREIGN KEY ("council_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrolments" ADD CONSTRAINT "enrolments_cohort_id_cohorts_id_fk" FOREIGN KEY ("cohort_id") REFERENCES "public"."cohorts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "funded_places" ADD CONSTRAINT "funded_places_council_id_organisations_id_fk" FOREIGN KEY ("council_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "accreditations_certificate_key" ON "accreditations" USING btree (upper("certificate_number"));--> statement-breakpoint
CREATE UNIQUE INDEX "accreditations_enrolment_key" ON "accreditations" USING btree ("enrolment_id");--> statement-breakpoint
CREATE INDEX "accreditations_person_idx" ON "accreditations" USING btree ("person_id");--> statement-breakpoint
CREATE UNIQUE INDEX "cohorts_name_lower_key" ON "cohorts" USING btree (lower("name"));--> statement-breakpoint
CREATE INDEX "cohorts_level_start_idx" ON "cohorts" USING btree ("level","start_date");--> statement-breakpoint
CREATE INDEX "cpd_records_person_date_idx" ON "cpd_records" USING btree ("person_id","activity_date");--> statement-breakpoint
CREATE INDEX "enrolment_events_enrolment_idx" ON "enrolment_events" USING btree ("enrolment_id","recorded_at");--> statement-breakpoint
CREATE UNIQUE INDEX "enrolments_person_level_live_key" ON "enrolments" USING btree ("person_id","level") WHERE "enrolments"."status" not in ('declined', 'withdrawn');--> statement-breakpoint
CREATE INDEX "enrolments_council_status_idx" ON "enrolments" USING btree ("council_id","status");--> statement-breakpoint
CREATE INDEX "enrolments_status_registered_idx" ON "enrolments" USING btree ("status","registered_on");--> statement-breakpoint
CREATE INDEX "enrolments_cohort_idx" ON "enrolments" USING btree ("cohort_id");--> statement-breakpoint
CREATE INDEX "enrolments_person_idx" ON "enrolments" USING btree ("person_id");--> statement-breakpoint
CREATE UNIQUE INDEX "funded_places_council_level_period_key" ON "funded_places" USING btree ("council_id","level","period");--> statement-breakpoint
CREATE INDEX "funded_places_period_idx" ON "funded_places" USING btree ("period","level");