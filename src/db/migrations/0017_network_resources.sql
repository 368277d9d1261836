CREATE TABLE "network_resource_downloads" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"resource_id" uuid,
	"person_id" uuid NOT NULL,
	"downloaded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "network_resources" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"title" text NOT NULL,
	"summary" text NOT NULL,
	"type" text NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"council_id" uuid,
	"networks" text[] NOT NULL,
	"storage_key" text,
	"file_name" text,
	"content_type" text,
	"size_bytes" integer,
	"sha256" text,
	"link_url" text,
	"created_by_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"download_count" integer DEFAULT 0 NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "network_resources_type_known" CHECK ("network_resources"."type" in ('case_study', 'toolkit', 'template', 'other')),
	CONSTRAINT "network_resources_networks_known" CHECK (cardinality("network_resources"."networks") between 1 and 2 and "network_resources"."networks" <@ array['learners', 'sro']::text[]),
	CONSTRAINT "network_resources_file_or_link" CHECK (("network_resources"."link_url" is null and "network_resources"."storage_key" is not null and "network_resources"."file_name" is not null and "network_resources"."content_type" is not null and "network_resources"."size_bytes" is not null and "network_resources"."sha256" is not null)
        or ("network_resources"."link_url" is not null and "network_resources"."link_url" like 'https://%' and "network_resources"."storage_key" is null and "network_resources"."file_name" is null and "network_resources"."content_type" is null and "network_resources"."size_bytes" is null and "network_resources"."sha256" is null))
);
--> statement-breakpoint
ALTER TABLE "network_resource_downloads" ADD CONSTRAINT "network_resource_downloads_resource_id_network_resources_id_fk" FOREIGN KEY ("resource_id") REFERENCES "public"."network_resources"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network_resource_downloads" ADD CONSTRAINT "network_resource_downloads_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network_resources" ADD CONSTRAINT "network_resources_council_id_organisations_id_fk" FOREIGN KEY ("council_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network_resources" ADD CONSTRAINT "network_resources_created_by_id_people_id_fk" FOREIGN KEY ("created_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "network_resource_downloads_resource_idx" ON "network_resource_downloads" USING btree ("resource_id");--> statement-breakpoint
CREATE INDEX "network_resource_downloads_person_idx" ON "network_resource_downloads" USING btree ("person_id","downloaded_at");--> statement-breakpoint
CREATE UNIQUE INDEX "network_resources_storage_key" ON "network_resources" USING btree ("storage_key");--> statement-breakpoint
CREATE INDEX "network_resources_created_idx" ON "network_resources" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "network_resources_downloads_idx" ON "network_resources" USING btree ("download_count","created_at","id");--> statement-breakpoint
CREATE INDEX "network_resources_tags_idx" ON "network_resources" USING gin ("tags");--> statement-breakpoint
CREATE INDEX "network_resources_networks_idx" ON "network_resources" USING gin ("networks");--> statement-breakpoint
-- Full-text search over title, summary and tags (src/networks/resource-repository.ts). array_to_string is only STABLE
-- (it formats elements through their type's output function), which a generated column refuses; for text[] it is
-- immutable in fact, so a wrapper says so.
CREATE FUNCTION network_resource_tags_text(tags text[]) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT array_to_string(tags, ' ') $$;--> statement-breakpoint
ALTER TABLE "network_resources" ADD COLUMN "search" tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english'::regconfig, "title"), 'A')
  || setweight(to_tsvector('english'::regconfig, network_resource_tags_text("tags")), 'A')
  || setweight(to_tsvector('english'::regconfig, "summary"), 'B')
) STORED;--> statement-breakpoint
CREATE INDEX "network_resources_search_idx" ON "network_resources" USING gin ("search");
