-- 0003_model_version_events: the git audit trail of the model files.
--
-- One row per commit and changed model file (a rename is one row, path = new
-- path, old_path = old path). No foreign key to artifacts: the history of a
-- deleted version stays here after its rows are gone. changed_fields_json is a
-- JSON array of the dotted field paths whose value changed.
--
-- down: DROP INDEX idx_model_version_events_committed; DROP INDEX idx_model_version_events_artifact;
--       DROP TABLE model_version_events;
CREATE TABLE model_version_events (
    commit_sha TEXT NOT NULL,
    path TEXT NOT NULL,
    old_path TEXT,
    artifact_id TEXT,
    model_name TEXT,
    version TEXT,
    change_type TEXT NOT NULL
        CHECK(change_type IN ('added','modified','renamed','deleted')),
    author_name TEXT NOT NULL,
    author_email TEXT NOT NULL,
    committed_at TEXT NOT NULL,
    message TEXT NOT NULL,
    changed_fields_json TEXT,
    promotion_state_before TEXT,
    promotion_state_after TEXT,
    PRIMARY KEY (commit_sha, path)
);
CREATE INDEX idx_model_version_events_artifact ON model_version_events(artifact_id);
CREATE INDEX idx_model_version_events_committed ON model_version_events(committed_at);
