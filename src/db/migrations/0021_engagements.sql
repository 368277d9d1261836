CREATE TABLE "engagement_action_evidence" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"action_id" uuid NOT NULL,
	"title" text NOT NULL,
	"url" text NOT NULL,
	"added_by_id" uuid,
	"added_at" timestamp with time zone NOT NULL,
	CONSTRAINT "engagement_action_evidence_https" CHECK ("engagement_action_evidence"."url" like 'https://%')
);
--> statement-breakpoint
CREATE TABLE "engagement_action_notes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"action_id" uuid NOT NULL,
	"author_id" uuid,
	"text" text NOT NULL,
	"written_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "engagement_actions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"engagement_id" uuid NOT NULL,
	"title" text NOT NULL,
	"maturity_area_key" text,
	"owner_id" uuid NOT NULL,
	"due_date" date NOT NULL,
	"status" text DEFAULT 'not_started' NOT NULL,
	"rag" text DEFAULT 'green' NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "engagement_actions_status_known" CHECK ("engagement_actions"."status" in ('not_started', 'in_progress', 'done', 'blocked')),
	CONSTRAINT "engagement_actions_rag_known" CHECK ("engagement_actions"."rag" in ('red', 'amber', 'green'))
);
--> statement-breakpoint
CREATE TABLE "engagement_milestones" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"engagement_id" uuid NOT NULL,
	"title" text NOT NULL,
	"due_date" date NOT NULL,
	"done_on" date,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "engagement_specialists" (
	"engagement_id" uuid NOT NULL,
	"person_id" uuid NOT NULL,
	CONSTRAINT "engagement_specialists_engagement_id_person_id_pk" PRIMARY KEY("engagement_id","person_id")
);
--> statement-breakpoint
CREATE TABLE "engagement_time_entries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"engagement_id" uuid NOT NULL,
	"person_id" uuid NOT NULL,
	"work_date" date NOT NULL,
	"minutes" integer NOT NULL,
	"unit" text NOT NULL,
	"activity" text NOT NULL,
	"note" text,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "engagement_time_entries_minutes_range" CHECK ("engagement_time_entries"."minutes" > 0 and "engagement_time_entries"."minutes" <= 1440),
	CONSTRAINT "engagement_time_entries_activity_known" CHECK ("engagement_time_entries"."activity" in ('diagnostic', 'workshop', 'coaching', 'document_review', 'other'))
);
--> statement-breakpoint
CREATE TABLE "engagements" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"council_id" uuid NOT NULL,
	"title" text NOT NULL,
	"lead_specialist_id" uuid NOT NULL,
	"scope" text NOT NULL,
	"objectives" text NOT NULL,
	"start_date" date NOT NULL,
	"end_date" date NOT NULL,
	"planned_minutes" integer NOT NULL,
	"status" text DEFAULT 'planned' NOT NULL,
	"plan_signed_off_at" timestamp with time zone,
	"plan_signed_off_by_id" uuid,
	"completion_signed_off_at" timestamp with time zone,
	"completion_signed_off_by_id" uuid,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "engagements_dates_ordered" CHECK ("engagements"."end_date" >= "engagements"."start_date"),
	CONSTRAINT "engagements_planned_positive" CHECK ("engagements"."planned_minutes" > 0),
	CONSTRAINT "engagements_status_known" CHECK ("engagements"."status" in ('planned', 'active', 'paused', 'closing', 'closed'))
);
--> statement-breakpoint
ALTER TABLE "engagement_action_evidence" ADD CONSTRAINT "engagement_action_evidence_action_id_engagement_actions_id_fk" FOREIGN KEY ("action_id") REFERENCES "public"."engagement_actions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "engagement_action_evidence" ADD CONSTRAINT "engagement_action_evidence_added_by_id_people_id_fk" FOREIGN KEY ("added_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "engagement_action_notes" ADD CONSTRAINT "engagement_action_notes_action_id_engagement_actions_id_fk" FOREIGN KEY ("action_id") REFERENCES "public"."engagement_actions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "engagement_action_notes" ADD CONSTRAINT "engagement_action_notes_author_id_people_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "engagement_actions" ADD CONSTRAINT "engagement_actions_engagement_id_engagements_id_fk" FOREIGN KEY ("engagement_id") REFERENCES "public"."engagements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "engagement_actions" ADD CONSTRAINT "engagement_actions_owner_id_people_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "engagement_milestones" ADD CONSTRAINT "engagement_milestones_engagement_id_engagements_id_fk" FOREIGN KEY ("engagement_id") REFERENCES "public"."engagements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "engagement_specialists" ADD CONSTRAINT "engagement_specialists_engagement_id_engagements_id_fk" FOREIGN KEY ("engagement_id") REFERENCES "public"."engagements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "engagement_specialists" ADD CONSTRAINT "engagement_specialists_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "engagement_time_entries" ADD CONSTRAINT "engagement_time_entries_engagement_id_engagements_id_fk" FOREIGN KEY ("engagement_id") REFERENCES "public"."engagements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "engagement_time_entries" ADD CONSTRAINT "engagement_time_entries_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "engagements" ADD CONSTRAINT "engagements_council_id_organisations_id_fk" FOREIGN KEY ("council_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "engagements" ADD CONSTRAINT "engagements_lead_specialist_id_people_id_fk" FOREIGN KEY ("lead_specialist_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "engagements" ADD CONSTRAINT "engagements_plan_signed_off_by_id_people_id_fk" FOREIGN KEY ("plan_signed_off_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "engagements" ADD CONSTRAINT "engagements_completion_signed_off_by_id_people_id_fk" FOREIGN KEY ("completion_signed_off_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "engagement_action_evidence_action_idx" ON "engagement_action_evidence" USING btree ("action_id");--> statement-breakpoint
CREATE INDEX "engagement_action_notes_action_idx" ON "engagement_action_notes" USING btree ("action_id","written_at");--> statement-breakpoint
CREATE INDEX "engagement_actions_engagement_idx" ON "engagement_actions" USING btree ("engagement_id","due_date");--> statement-breakpoint
CREATE INDEX "engagement_actions_owner_idx" ON "engagement_actions" USING btree ("owner_id");--> statement-breakpoint
CREATE INDEX "engagement_milestones_engagement_idx" ON "engagement_milestones" USING btree ("engagement_id","due_date");--> statement-breakpoint
CREATE INDEX "engagement_specialists_person_idx" ON "engagement_specialists" USING btree ("person_id");--> statement-breakpoint
CREATE INDEX "engagement_time_entries_engagement_idx" ON "engagement_time_entries" USING btree ("engagement_id","work_date");--> statement-breakpoint
CREATE INDEX "engagements_council_idx" ON "engagements" USING btree ("council_id");--> statement-breakpoint
CREATE INDEX "engagements_lead_idx" ON "engagements" USING btree ("lead_specialist_id");