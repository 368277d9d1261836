CREATE TABLE "fund_budget_lines" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"fund_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"budget_pence" bigint NOT NULL,
	"level" text,
	"unit_cost_pence" bigint,
	"day_rate_pence" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fund_budget_lines_kind_known" CHECK ("fund_budget_lines"."kind" in ('training_places', 'support_days', 'networks', 'evaluation', 'programme_management')),
	CONSTRAINT "fund_budget_lines_budget_not_negative" CHECK ("fund_budget_lines"."budget_pence" >= 0),
	CONSTRAINT "fund_budget_lines_places_priced" CHECK (("fund_budget_lines"."kind" = 'training_places') = ("fund_budget_lines"."level" is not null and "fund_budget_lines"."unit_cost_pence" is not null)),
	CONSTRAINT "fund_budget_lines_days_priced" CHECK (("fund_budget_lines"."kind" = 'support_days') = ("fund_budget_lines"."day_rate_pence" is not null))
);
--> statement-breakpoint
CREATE TABLE "fund_spend" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"line_id" uuid NOT NULL,
	"supplier" text NOT NULL,
	"spent_on" date NOT NULL,
	"amount_pence" bigint NOT NULL,
	"reference" text DEFAULT '' NOT NULL,
	"recorded_by_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fund_spend_amount_positive" CHECK ("fund_spend"."amount_pence" > 0)
);
--> statement-breakpoint
CREATE TABLE "funds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source" text NOT NULL,
	"name" text NOT NULL,
	"amount_pence" bigint NOT NULL,
	"start_date" date NOT NULL,
	"end_date" date NOT NULL,
	"conditions" text DEFAULT '' NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "funds_dates_ordered" CHECK ("funds"."end_date" >= "funds"."start_date"),
	CONSTRAINT "funds_amount_not_negative" CHECK ("funds"."amount_pence" >= 0)
);
--> statement-breakpoint
ALTER TABLE "fund_budget_lines" ADD CONSTRAINT "fund_budget_lines_fund_id_funds_id_fk" FOREIGN KEY ("fund_id") REFERENCES "public"."funds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fund_spend" ADD CONSTRAINT "fund_spend_line_id_fund_budget_lines_id_fk" FOREIGN KEY ("line_id") REFERENCES "public"."fund_budget_lines"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fund_spend" ADD CONSTRAINT "fund_spend_recorded_by_id_people_id_fk" FOREIGN KEY ("recorded_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "fund_budget_lines_name_key" ON "fund_budget_lines" USING btree ("fund_id","name");--> statement-breakpoint
CREATE INDEX "fund_spend_line_idx" ON "fund_spend" USING btree ("line_id","spent_on");--> statement-breakpoint
CREATE UNIQUE INDEX "funds_name_key" ON "funds" USING btree ("name");