-- 0011_afsreg_versions: per version, what seed 000's model_versions has no column for.
--
-- One row per version: its owner (who answers for it) and its promotion
-- decision: promotion_state, decided_by, decided_at, promotion_notes, and
-- superseded_by (the artifacts.id of the version that replaced it) with that
-- version's string. The history of decisions is in model_version_events
-- (promotion_state_before / promotion_state_after, one row per commit).
--
-- down: DROP INDEX idx_afsreg_versions_state; DROP TABLE afsreg_versions;
CREATE TABLE afsreg_versions (
    artifact_id TEXT PRIMARY KEY REFERENCES artifacts(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    version TEXT NOT NULL,
    owner TEXT,
    promotion_state TEXT NOT NULL,
    decided_by TEXT,
    decided_at TIMESTAMPTZ,
    promotion_notes TEXT,
    superseded_by TEXT,
    superseded_by_version TEXT
);
CREATE INDEX idx_afsreg_versions_state ON afsreg_versions(model, promotion_state);
