-- A segment may require consent purposes: its members are only customers whose latest
-- `consent_<purpose>` trait is `granted` for each one (ANDed into the compiled rule).
ALTER TABLE segment_definitions
    ADD COLUMN IF NOT EXISTS requires_consent Array(String) AFTER rule;
