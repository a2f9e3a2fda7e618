-- Profile fields that rules could not test before: complaints, and whether the profile is an
-- identified customer (a column, like every other field, so reads and rules share it).
ALTER TABLE profile_features
    ADD COLUMN IF NOT EXISTS email_complained UInt64 AFTER email_unsubscribed,
    ADD COLUMN IF NOT EXISTS identified Bool AFTER lifecycle;
