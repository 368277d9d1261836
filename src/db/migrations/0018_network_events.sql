CREATE SEQUENCE "public"."network_event_waitlist_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "network_calendar_feeds" (
	"person_id" uuid PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "network_event_registrations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"event_id" uuid NOT NULL,
	"person_id" uuid NOT NULL,
	"status" text NOT NULL,
	"waitlist_position" bigint,
	"attended" boolean DEFAULT false NOT NULL,
	"walk_in" boolean DEFAULT false NOT NULL,
	"registered_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "network_event_registrations_status_known" CHECK ("network_event_registrations"."status" in ('registered', 'waitlisted', 'cancelled')),
	CONSTRAINT "network_event_registrations_waitlist_position" CHECK (("network_event_registrations"."status" = 'waitlisted') = ("network_event_registrations"."waitlist_position" is not null))
);
--> statement-breakpoint
CREATE TABLE "network_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"title" text NOT NULL,
	"description" text NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"format" text NOT NULL,
	"location" text,
	"joining_url" text,
	"capacity" integer NOT NULL,
	"registration_deadline" timestamp with time zone,
	"audience" text[] NOT NULL,
	"series_id" uuid,
	"status" text DEFAULT 'scheduled' NOT NULL,
	"sequence" integer DEFAULT 0 NOT NULL,
	"created_by_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "network_events_ends_after_start" CHECK ("network_events"."ends_at" > "network_events"."starts_at"),
	CONSTRAINT "network_events_capacity_positive" CHECK ("network_events"."capacity" > 0),
	CONSTRAINT "network_events_audience_known" CHECK (cardinality("network_events"."audience") between 1 and 2 and "network_events"."audience" <@ array['learners', 'sro']::text[]),
	CONSTRAINT "network_events_format_known" CHECK ("network_events"."format" in ('online', 'in_person', 'hybrid')),
	CONSTRAINT "network_events_status_known" CHECK ("network_events"."status" in ('scheduled', 'cancelled'))
);
--> statement-breakpoint
ALTER TABLE "cpd_records" ADD COLUMN "network_event_id" uuid;--> statement-breakpoint
ALTER TABLE "network_calendar_feeds" ADD CONSTRAINT "network_calendar_feeds_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network_event_registrations" ADD CONSTRAINT "network_event_registrations_event_id_network_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."network_events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network_event_registrations" ADD CONSTRAINT "network_event_registrations_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network_events" ADD CONSTRAINT "network_events_created_by_id_people_id_fk" FOREIGN KEY ("created_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "network_calendar_feeds_token_key" ON "network_calendar_feeds" USING btree ("token_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "network_event_registrations_event_person_key" ON "network_event_registrations" USING btree ("event_id","person_id");--> statement-breakpoint
CREATE INDEX "network_event_registrations_person_idx" ON "network_event_registrations" USING btree ("person_id");--> statement-breakpoint
CREATE INDEX "network_event_registrations_waitlist_idx" ON "network_event_registrations" USING btree ("event_id","waitlist_position") WHERE status = 'waitlisted';--> statement-breakpoint
CREATE INDEX "network_events_starts_idx" ON "network_events" USING btree ("starts_at");--> statement-breakpoint
CREATE INDEX "network_events_series_idx" ON "network_events" USING btree ("series_id");--> statement-breakpoint
ALTER TABLE "cpd_records" ADD CONSTRAINT "cpd_records_network_event_id_network_events_id_fk" FOREIGN KEY ("network_event_id") REFERENCES "public"."network_events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "cpd_records_network_event_key" ON "cpd_records" USING btree ("person_id","network_event_id") WHERE network_event_id is not null;