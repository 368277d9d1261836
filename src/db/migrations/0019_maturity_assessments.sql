CREATE TABLE "maturity_areas" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"framework_id" uuid NOT NULL,
	"block_id" uuid NOT NULL,
	"key" text NOT NULL,
	"name" text NOT NULL,
	"position" integer NOT NULL,
	"descriptors" text[] NOT NULL,
	CONSTRAINT "maturity_areas_five_descriptors" CHECK (cardinality("maturity_areas"."descriptors") = 5)
);
--> statement-breakpoint
CREATE TABLE "maturity_assessments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"council_id" uuid NOT NULL,
	"framework_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"based_on_id" uuid,
	"created_by_id" uuid,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"submitted_by_id" uuid,
	"submitted_at" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "maturity_assessments_kind_known" CHECK ("maturity_assessments"."kind" in ('baseline', 'follow_up')),
	CONSTRAINT "maturity_assessments_status_known" CHECK ("maturity_assessments"."status" in ('draft', 'submitted')),
	CONSTRAINT "maturity_assessments_submitted" CHECK (("maturity_assessments"."status" = 'submitted') = ("maturity_assessments"."submitted_at" is not null))
);
--> statement-breakpoint
CREATE TABLE "maturity_blocks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"framework_id" uuid NOT NULL,
	"key" text NOT NULL,
	"name" text NOT NULL,
	"position" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "maturity_frameworks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"key" text NOT NULL,
	"name" text NOT NULL,
	"description" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "maturity_scores" (
	"assessment_id" uuid NOT NULL,
	"area_id" uuid NOT NULL,
	"score" smallint,
	"evidence" text,
	"target" smallint,
	"moderated_score" smallint,
	"moderation_reason" text,
	"moderated_by_id" uuid,
	"moderated_at" timestamp with time zone,
	CONSTRAINT "maturity_scores_assessment_id_area_id_pk" PRIMARY KEY("assessment_id","area_id"),
	CONSTRAINT "maturity_scores_score_range" CHECK ("maturity_scores"."score" between 1 and 5),
	CONSTRAINT "maturity_scores_target_range" CHECK ("maturity_scores"."target" between 1 and 5),
	CONSTRAINT "maturity_scores_moderated_range" CHECK ("maturity_scores"."moderated_score" between 1 and 5)
);
--> statement-breakpoint
ALTER TABLE "maturity_areas" ADD CONSTRAINT "maturity_areas_framework_id_maturity_frameworks_id_fk" FOREIGN KEY ("framework_id") REFERENCES "public"."maturity_frameworks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "maturity_areas" ADD CONSTRAINT "maturity_areas_block_id_maturity_blocks_id_fk" FOREIGN KEY ("block_id") REFERENCES "public"."maturity_blocks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "maturity_assessments" ADD CONSTRAINT "maturity_assessments_council_id_organisations_id_fk" FOREIGN KEY ("council_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "maturity_assessments" ADD CONSTRAINT "maturity_assessments_framework_id_maturity_frameworks_id_fk" FOREIGN KEY ("framework_id") REFERENCES "public"."maturity_frameworks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "maturity_assessments" ADD CONSTRAINT "maturity_assessments_created_by_id_people_id_fk" FOREIGN KEY ("created_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "maturity_assessments" ADD CONSTRAINT "maturity_assessments_submitted_by_id_people_id_fk" FOREIGN KEY ("submitted_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "maturity_blocks" ADD CONSTRAINT "maturity_blocks_framework_id_maturity_frameworks_id_fk" FOREIGN KEY ("framework_id") REFERENCES "public"."maturity_frameworks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "maturity_scores" ADD CONSTRAINT "maturity_scores_assessment_id_maturity_assessments_id_fk" FOREIGN KEY ("assessment_id") REFERENCES "public"."maturity_assessments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "maturity_scores" ADD CONSTRAINT "maturity_scores_area_id_maturity_areas_id_fk" FOREIGN KEY ("area_id") REFERENCES "public"."maturity_areas"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "maturity_scores" ADD CONSTRAINT "maturity_scores_moderated_by_id_people_id_fk" FOREIGN KEY ("moderated_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "maturity_areas_framework_key" ON "maturity_areas" USING btree ("framework_id","key");--> statement-breakpoint
CREATE UNIQUE INDEX "maturity_assessments_one_baseline" ON "maturity_assessments" USING btree ("council_id") WHERE "maturity_assessments"."kind" = 'baseline';--> statement-breakpoint
CREATE UNIQUE INDEX "maturity_assessments_one_draft" ON "maturity_assessments" USING btree ("council_id") WHERE "maturity_assessments"."status" = 'draft';--> statement-breakpoint
CREATE INDEX "maturity_assessments_council_idx" ON "maturity_assessments" USING btree ("council_id","submitted_at");--> statement-breakpoint
CREATE UNIQUE INDEX "maturity_blocks_framework_key" ON "maturity_blocks" USING btree ("framework_id","key");--> statement-breakpoint
CREATE UNIQUE INDEX "maturity_frameworks_key" ON "maturity_frameworks" USING btree ("key");