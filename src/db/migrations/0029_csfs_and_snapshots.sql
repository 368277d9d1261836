CREATE TABLE "csf_indicators" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"csf_id" uuid NOT NULL,
	"indicator_key" text NOT NULL,
	"target" double precision NOT NULL,
	"amber" double precision NOT NULL,
	"position" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "csfs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"position" integer NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "indicator_snapshots" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"indicator_key" text NOT NULL,
	"month" date NOT NULL,
	"value" double precision,
	"as_of" date NOT NULL,
	"computed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "indicator_snapshots_first_of_month" CHECK (extract(day from "indicator_snapshots"."month") = 1)
);
--> statement-breakpoint
ALTER TABLE "csf_indicators" ADD CONSTRAINT "csf_indicators_csf_id_csfs_id_fk" FOREIGN KEY ("csf_id") REFERENCES "public"."csfs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "csf_indicators_key" ON "csf_indicators" USING btree ("csf_id","indicator_key");--> statement-breakpoint
CREATE UNIQUE INDEX "csfs_name_key" ON "csfs" USING btree (lower("name"));--> statement-breakpoint
CREATE UNIQUE INDEX "indicator_snapshots_key_month" ON "indicator_snapshots" USING btree ("indicator_key","month");