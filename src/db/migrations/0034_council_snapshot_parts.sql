CREATE TABLE "indicator_snapshot_parts" (
	"snapshot_id" uuid NOT NULL,
	"council_id" uuid NOT NULL,
	"numerator" bigint NOT NULL,
	"denominator" bigint NOT NULL,
	CONSTRAINT "indicator_snapshot_parts_snapshot_id_council_id_pk" PRIMARY KEY("snapshot_id","council_id")
);
--> statement-breakpoint
ALTER TABLE "indicator_snapshots" ADD COLUMN "council_parts" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "indicator_snapshot_parts" ADD CONSTRAINT "indicator_snapshot_parts_snapshot_id_indicator_snapshots_id_fk" FOREIGN KEY ("snapshot_id") REFERENCES "public"."indicator_snapshots"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "indicator_snapshot_parts" ADD CONSTRAINT "indicator_snapshot_parts_council_id_organisations_id_fk" FOREIGN KEY ("council_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;