CREATE TABLE "place_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"council_id" uuid NOT NULL,
	"level" text NOT NULL,
	"period" text NOT NULL,
	"places" integer NOT NULL,
	"reason" text NOT NULL,
	"status" text DEFAULT 'requested' NOT NULL,
	"requested_by_id" uuid,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_by_id" uuid,
	"decided_at" timestamp with time zone,
	"decision_note" text,
	CONSTRAINT "place_requests_places_positive" CHECK ("place_requests"."places" > 0),
	CONSTRAINT "place_requests_status_known" CHECK ("place_requests"."status" in ('requested', 'granted', 'refused'))
);
--> statement-breakpoint
ALTER TABLE "place_requests" ADD CONSTRAINT "place_requests_council_id_organisations_id_fk" FOREIGN KEY ("council_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "place_requests" ADD CONSTRAINT "place_requests_requested_by_id_people_id_fk" FOREIGN KEY ("requested_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "place_requests" ADD CONSTRAINT "place_requests_decided_by_id_people_id_fk" FOREIGN KEY ("decided_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "place_requests_status_idx" ON "place_requests" USING btree ("status","requested_at");--> statement-breakpoint
CREATE UNIQUE INDEX "place_requests_one_waiting_key" ON "place_requests" USING btree ("council_id","level","period") WHERE "place_requests"."status" = 'requested';