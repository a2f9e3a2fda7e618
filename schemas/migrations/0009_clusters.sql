-- Cluster of every profile, kept per run (see the clusters job). `distance` is the
-- Euclidean distance to the centroid in standardized feature space. One partition per run:
-- a run keeps its own and the previous run's, and drops older ones whole.
CREATE TABLE IF NOT EXISTS cluster_assignments
(
    run_id String,
    profile_key String,
    cluster UInt32,
    distance Float64
)
ENGINE = MergeTree
PARTITION BY run_id
ORDER BY profile_key;

-- One row per cluster and run. `centroid` is the fitted centroid in the run's standardized
-- space; `position` the same point in feature units (before standardization), which the next
-- run matches its centroids against to keep cluster ids stable. `means` and `z` are the
-- members' mean of each feature in natural units and standardized. `description` is JSON:
-- the features that set the cluster apart. `features` names the feature order of the arrays.
CREATE TABLE IF NOT EXISTS cluster_centroids
(
    run_id String,
    cluster UInt32,
    computed_at DateTime64(3, 'UTC'),
    features Array(String),
    size UInt64,
    centroid Array(Float64),
    position Array(Float64),
    means Array(Float64),
    z Array(Float64),
    label String,
    description String
)
ENGINE = MergeTree
ORDER BY (run_id, cluster);

-- The features of a clusters run, in order: how they were standardized (mean and sd of the
-- fitted sample, in feature units) and their mean over every profile in natural units.
CREATE TABLE IF NOT EXISTS cluster_features
(
    run_id String,
    position UInt8,
    feature String,
    transform LowCardinality(String),
    mean Float64,
    sd Float64,
    population_mean Float64
)
ENGINE = MergeTree
ORDER BY (run_id, position);
