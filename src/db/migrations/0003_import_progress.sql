ALTER TABLE "import_runs" ADD COLUMN "phase" text;--> statement-breakpoint
ALTER TABLE "import_runs" ADD COLUMN "processed" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "import_runs" ADD COLUMN "upload" "bytea";--> statement-breakpoint
ALTER TABLE "import_runs" ADD COLUMN "format" text;--> statement-breakpoint
ALTER TABLE "import_runs" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "import_runs" ADD COLUMN "finished_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "import_runs_unfinished_idx" ON "import_runs" USING btree ("updated_at") WHERE status in ('queued', 'running');--> statement-breakpoint
UPDATE "import_runs" SET "finished_at" = "created_at", "updated_at" = "created_at";
