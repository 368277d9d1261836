CREATE TABLE "network_members" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"network" text NOT NULL,
	"person_id" uuid NOT NULL,
	"role" text NOT NULL,
	"added_by_id" uuid,
	"added_at" timestamp with time zone NOT NULL,
	CONSTRAINT "network_members_network_known" CHECK ("network_members"."network" in ('learners', 'sro')),
	CONSTRAINT "network_members_role_known" CHECK ("network_members"."role" in ('member', 'facilitator'))
);
--> statement-breakpoint
ALTER TABLE "network_members" ADD CONSTRAINT "network_members_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "network_members_network_person_key" ON "network_members" USING btree ("network","person_id");--> statement-breakpoint
CREATE INDEX "network_members_person_idx" ON "network_members" USING btree ("person_id");