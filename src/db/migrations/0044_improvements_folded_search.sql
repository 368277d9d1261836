-- The improvements search compares the lower-cased description kept here with LIKE (a byte comparison) instead of
-- lower-casing every row it checks with ILIKE: the 2,037 rows page 5 of "renewal" checks took 15 ms with ILIKE, 1.2 ms with LIKE.
DROP INDEX "improvements_description_trgm";--> statement-breakpoint
ALTER TABLE "improvements" ADD COLUMN "description_folded" text GENERATED ALWAYS AS (lower(description)) STORED;--> statement-breakpoint
CREATE INDEX "improvements_description_trgm" ON "improvements" USING gin ("description_folded" gin_trgm_ops);--> statement-breakpoint
-- How many rows a search term matches is estimated from a sample of the column's values: with the default hundred the
-- planner guessed 5 % for any term and read a common term's every match through the trigram index, then sorted them;
-- with a thousand it sees the term's share and walks the date index for a common term, the trigram index for a rare one.
ALTER TABLE "improvements" ALTER COLUMN "description_folded" SET STATISTICS 1000;--> statement-breakpoint
-- The new column has no statistics until the table is next analysed; autovacuum does not count a rewrite as changes.
ANALYZE "improvements";
