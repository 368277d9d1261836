-- Full-text search in a network's discussions (src/networks/discussions/repository.ts): thread titles and post text,
-- as the resource library searches (English stemming, GIN indexes). Not declared in schema.ts, like
-- network_resources.search.
ALTER TABLE "network_threads" ADD COLUMN "search" tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, "title")) STORED;--> statement-breakpoint
CREATE INDEX "network_threads_search_idx" ON "network_threads" USING gin ("search");--> statement-breakpoint
ALTER TABLE "network_posts" ADD COLUMN "search" tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, "body")) STORED;--> statement-breakpoint
CREATE INDEX "network_posts_search_idx" ON "network_posts" USING gin ("search");
