CREATE TABLE "evidence_files" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"improvement_id" uuid,
	"action_id" uuid,
	"storage_key" text NOT NULL,
	"file_name" text NOT NULL,
	"content_type" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"sha256" text NOT NULL,
	"added_by_id" uuid,
	"added_at" timestamp with time zone NOT NULL,
	CONSTRAINT "evidence_files_one_owner" CHECK (("evidence_files"."improvement_id" is null) <> ("evidence_files"."action_id" is null)),
	CONSTRAINT "evidence_files_size_positive" CHECK ("evidence_files"."size_bytes" > 0)
);
--> statement-breakpoint
CREATE TABLE "improvement_contracts" (
	"improvement_id" uuid NOT NULL,
	"contract_id" uuid NOT NULL,
	CONSTRAINT "improvement_contracts_improvement_id_contract_id_pk" PRIMARY KEY("improvement_id","contract_id")
);
--> statement-breakpoint
ALTER TABLE "evidence_files" ADD CONSTRAINT "evidence_files_improvement_id_improvements_id_fk" FOREIGN KEY ("improvement_id") REFERENCES "public"."improvements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence_files" ADD CONSTRAINT "evidence_files_action_id_engagement_actions_id_fk" FOREIGN KEY ("action_id") REFERENCES "public"."engagement_actions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence_files" ADD CONSTRAINT "evidence_files_added_by_id_people_id_fk" FOREIGN KEY ("added_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "improvement_contracts" ADD CONSTRAINT "improvement_contracts_improvement_id_improvements_id_fk" FOREIGN KEY ("improvement_id") REFERENCES "public"."improvements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "improvement_contracts" ADD CONSTRAINT "improvement_contracts_contract_id_contracts_id_fk" FOREIGN KEY ("contract_id") REFERENCES "public"."contracts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "evidence_files_storage_key" ON "evidence_files" USING btree ("storage_key");--> statement-breakpoint
CREATE INDEX "evidence_files_improvement_idx" ON "evidence_files" USING btree ("improvement_id");--> statement-breakpoint
CREATE INDEX "evidence_files_action_idx" ON "evidence_files" USING btree ("action_id");--> statement-breakpoint
CREATE INDEX "evidence_files_added_by_idx" ON "evidence_files" USING btree ("added_by_id");--> statement-breakpoint
CREATE INDEX "improvement_contracts_contract_idx" ON "improvement_contracts" USING btree ("contract_id");