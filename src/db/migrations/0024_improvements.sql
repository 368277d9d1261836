CREATE TABLE "improvement_evidence" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"improvement_id" uuid NOT NULL,
	"title" text NOT NULL,
	"url" text NOT NULL,
	"added_by_id" uuid,
	"added_at" timestamp with time zone NOT NULL,
	CONSTRAINT "improvement_evidence_https" CHECK ("improvement_evidence"."url" like 'https://%')
);
--> statement-breakpoint
CREATE TABLE "improvement_learners" (
	"improvement_id" uuid NOT NULL,
	"person_id" uuid NOT NULL,
	CONSTRAINT "improvement_learners_improvement_id_person_id_pk" PRIMARY KEY("improvement_id","person_id")
);
--> statement-breakpoint
CREATE TABLE "improvements" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"council_id" uuid NOT NULL,
	"type" text NOT NULL,
	"description" text NOT NULL,
	"improved_on" date NOT NULL,
	"value_pence" bigint,
	"cashable" boolean,
	"status" text DEFAULT 'submitted' NOT NULL,
	"review_note" text,
	"reviewed_by_id" uuid,
	"reviewed_at" timestamp with time zone,
	"recorded_by_id" uuid,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "improvements_value_positive" CHECK ("improvements"."value_pence" is null or "improvements"."value_pence" > 0),
	CONSTRAINT "improvements_cashable_with_value" CHECK (("improvements"."value_pence" is null) = ("improvements"."cashable" is null)),
	CONSTRAINT "improvements_status_known" CHECK ("improvements"."status" in ('submitted', 'verified', 'queried')),
	CONSTRAINT "improvements_type_known" CHECK ("improvements"."type" in ('contract_register', 'management_plans', 'kpis', 'savings', 'cost_avoidance', 'risk_mitigated', 'supplier_performance', 'other'))
);
--> statement-breakpoint
ALTER TABLE "improvement_evidence" ADD CONSTRAINT "improvement_evidence_improvement_id_improvements_id_fk" FOREIGN KEY ("improvement_id") REFERENCES "public"."improvements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "improvement_evidence" ADD CONSTRAINT "improvement_evidence_added_by_id_people_id_fk" FOREIGN KEY ("added_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "improvement_learners" ADD CONSTRAINT "improvement_learners_improvement_id_improvements_id_fk" FOREIGN KEY ("improvement_id") REFERENCES "public"."improvements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "improvement_learners" ADD CONSTRAINT "improvement_learners_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "improvements" ADD CONSTRAINT "improvements_council_id_organisations_id_fk" FOREIGN KEY ("council_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "improvements" ADD CONSTRAINT "improvements_reviewed_by_id_people_id_fk" FOREIGN KEY ("reviewed_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "improvements" ADD CONSTRAINT "improvements_recorded_by_id_people_id_fk" FOREIGN KEY ("recorded_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "improvement_evidence_improvement_idx" ON "improvement_evidence" USING btree ("improvement_id");--> statement-breakpoint
CREATE INDEX "improvement_learners_person_idx" ON "improvement_learners" USING btree ("person_id");--> statement-breakpoint
CREATE INDEX "improvements_council_idx" ON "improvements" USING btree ("council_id","improved_on");--> statement-breakpoint
CREATE INDEX "improvements_status_idx" ON "improvements" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "improvements_no_duplicates" ON "improvements" USING btree ("council_id","type","improved_on",md5("description"));