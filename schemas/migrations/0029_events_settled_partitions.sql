-- backfills: complete
-- A year of the event log that has taken no new event for an hour is merged into one part.
-- Streaming segment evaluation reads the events of a few hundred customer keys at a time, and
-- finding them costs a search of each part's key index for every key inside its range: an
-- anonymous id, random, falls inside every part's range. A year no longer written keeps
-- the parts its merges left (at a million people, 17 for the two years of the generated
-- history), which nothing merges further. Measured on a copy of that log with 400,000 events
-- of other people added as ingest adds them (27 parts in all), one evaluation's statement of
-- the twenty benchmark segments for 100 of those people, median of eight: 122 ms; with the two
-- years of history in one part each, 95 ms. The merges are the store's own, in the background,
-- as the partition has been idle for `min_age_to_force_merge_seconds`; a year still written
-- (the current one) is left to the usual merges. Settings only: no row is copied.
ALTER TABLE events
    MODIFY SETTING min_age_to_force_merge_seconds = 3600, min_age_to_force_merge_on_partition_only = 1;
