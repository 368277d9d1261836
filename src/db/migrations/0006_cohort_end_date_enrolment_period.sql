-- Existing cohorts end on their last workshop (or their start day when they have none); admins can change it.
ALTER TABLE "cohorts" ADD COLUMN "end_date" date;--> statement-breakpoint
UPDATE "cohorts" SET "end_date" = greatest("start_date", coalesce((select max(d) from unnest("workshop_dates") as d), "start_date"));--> statement-breakpoint
ALTER TABLE "cohorts" ALTER COLUMN "end_date" SET NOT NULL;--> statement-breakpoint
CREATE INDEX "enrolments_period_idx" ON "enrolments" USING btree ("period");--> statement-breakpoint
ALTER TABLE "cohorts" ADD CONSTRAINT "cohorts_end_not_before_start" CHECK ("cohorts"."end_date" >= "cohorts"."start_date");
