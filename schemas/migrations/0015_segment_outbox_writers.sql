-- Several processes may record segment changes (in distributed mode, each pipeline process
-- and the jobs service): each appends under its own name, in its own increasing seqs, and an
-- outlet keeps a cursor per writer (`outlet@writer`). The embedded engine writes as ''.
ALTER TABLE segment_outbox
    ADD COLUMN IF NOT EXISTS writer String DEFAULT '' AFTER seq;
