-- Cluster of every profile, kept per run (see the clusters job). `distance` is the
-- Euclidean distance to the centroid in standardized feature space.
CREATE TABLE IF NOT EXISTS cluster_assignments
(
    run_id String,
    profile_key String,
    cluster UInt32,
    distance Float64
)
ENGINE = MergeTree
ORDER BY (run_id, profile_key);
