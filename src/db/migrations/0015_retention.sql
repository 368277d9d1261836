CREATE TABLE "retention_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"run_on" date NOT NULL,
	"trigger" text NOT NULL,
	"claim_id" uuid NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"counts" jsonb
);
--> statement-breakpoint
ALTER TABLE "people" ADD COLUMN "deactivated_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "retention_runs_daily_key" ON "retention_runs" USING btree ("run_on") WHERE "retention_runs"."trigger" = 'daily';--> statement-breakpoint
CREATE INDEX "retention_runs_started_idx" ON "retention_runs" USING btree ("started_at");--> statement-breakpoint
-- People deactivated before this column existed: the day of their last deactivation in the audit log, or (with no
-- such event) their last change, so retention counts their time from when they were really deactivated.
UPDATE "people" SET "deactivated_at" = coalesce(
  (SELECT max(a."occurred_at") FROM "audit_events" a WHERE a."record_type" = 'person' AND a."record_id" = "people"."id"::text AND a."action" = 'person.deactivated'),
  "people"."updated_at")
WHERE "people"."status" = 'deactivated';
-- No change to the audit log's append-only trigger (migration 0014): retention drops old IP addresses through the same
-- sanctioned rewrite as an erasure, inside a transaction that sets `pioneer.erasing` locally
-- (src/privacy/retention-repository.ts). Deleting stays refused.
