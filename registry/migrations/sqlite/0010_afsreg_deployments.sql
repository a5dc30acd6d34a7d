-- 0010_afsreg_deployments: every deployment record of every version, with the commits.
--
-- One row per entry of a version file's `deployments` list (position = its
-- index, oldest first). A deployment is active while undeployed_at is NULL, so
-- "what was in production at time T" is
--   WHERE env = 'production' AND deployed_at <= T AND (undeployed_at IS NULL OR undeployed_at > T).
-- deployed_commit / undeployed_commit: the first commit whose file had the record
-- / its undeployed_at (join model_version_events on commit_sha for who and when).
-- Owned by afsreg entirely: sync rewrites the rows of the versions it projects.
--
-- down: DROP INDEX idx_afsreg_deployments_env; DROP TABLE afsreg_deployments;
CREATE TABLE afsreg_deployments (
    artifact_id TEXT NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    model TEXT NOT NULL,
    version TEXT NOT NULL,
    env TEXT NOT NULL,
    deployed_at TEXT,
    deployed_by TEXT,
    undeployed_at TEXT,
    undeployed_by TEXT,
    reason TEXT,
    deployed_commit TEXT,
    undeployed_commit TEXT,
    PRIMARY KEY (artifact_id, position)
);
CREATE INDEX idx_afsreg_deployments_env ON afsreg_deployments(model, env, deployed_at);
