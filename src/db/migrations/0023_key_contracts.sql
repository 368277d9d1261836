CREATE TABLE "contract_kpis" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"contract_id" uuid NOT NULL,
	"name" text NOT NULL,
	"target" text NOT NULL,
	"rating" text,
	"assessed_on" date,
	"note" text,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "contract_kpis_rating_known" CHECK ("contract_kpis"."rating" is null or "contract_kpis"."rating" in ('good', 'approaching', 'requires_improvement', 'inadequate')),
	CONSTRAINT "contract_kpis_assessed_together" CHECK (("contract_kpis"."rating" is null) = ("contract_kpis"."assessed_on" is null))
);
--> statement-breakpoint
CREATE TABLE "contracts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"council_id" uuid NOT NULL,
	"name" text NOT NULL,
	"supplier" text NOT NULL,
	"annual_value_pence" bigint NOT NULL,
	"total_value_pence" bigint NOT NULL,
	"start_date" date NOT NULL,
	"end_date" date NOT NULL,
	"tier" text NOT NULL,
	"manager_id" uuid,
	"has_plan" boolean DEFAULT false NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "contracts_tier_known" CHECK ("contracts"."tier" in ('gold', 'silver', 'bronze')),
	CONSTRAINT "contracts_values_not_negative" CHECK ("contracts"."annual_value_pence" >= 0 and "contracts"."total_value_pence" >= 0),
	CONSTRAINT "contracts_dates_in_order" CHECK ("contracts"."end_date" >= "contracts"."start_date")
);
--> statement-breakpoint
ALTER TABLE "contract_kpis" ADD CONSTRAINT "contract_kpis_contract_id_contracts_id_fk" FOREIGN KEY ("contract_id") REFERENCES "public"."contracts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contracts" ADD CONSTRAINT "contracts_council_id_organisations_id_fk" FOREIGN KEY ("council_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contracts" ADD CONSTRAINT "contracts_manager_id_people_id_fk" FOREIGN KEY ("manager_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "contract_kpis_contract_idx" ON "contract_kpis" USING btree ("contract_id","assessed_on");--> statement-breakpoint
CREATE UNIQUE INDEX "contracts_council_name_supplier_unique" ON "contracts" USING btree ("council_id",lower("name"),lower("supplier"));--> statement-breakpoint
CREATE INDEX "contracts_council_end_idx" ON "contracts" USING btree ("council_id","end_date");--> statement-breakpoint
CREATE INDEX "contracts_manager_idx" ON "contracts" USING btree ("manager_id");