ALTER TABLE "surveys" ADD COLUMN "schedule_months" integer;--> statement-breakpoint
ALTER TABLE "surveys" ADD COLUMN "schedule_include_sros" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "surveys" ADD COLUMN "schedule_set_on" date;--> statement-breakpoint
ALTER TABLE "surveys" ADD CONSTRAINT "surveys_schedule_months" CHECK ("surveys"."schedule_months" is null or ("surveys"."schedule_months" between 3 and 6 and "surveys"."level" = 'behaviour' and "surveys"."schedule_set_on" is not null));