-- 0002_model_versions: seed 000's model_versions table, column for column.
--
-- One row per model version file; artifact_id is the version's artifacts.id.
-- base_model_id and eval_dataset_artifact_id point at artifacts rows: a base
-- model or dataset outside the registry gets an artifacts row of its own
-- (origin_type 'external', id 'external:...'), so the foreign keys always hold.
-- PostgreSQL types: the *_json columns are jsonb and the *_at columns timestamptz,
-- so they can be queried (training_params_json->>'epochs') and compared as times;
-- created_at defaults to now() (seed 000's datetime('now') is SQLite's spelling).
--
-- down: DROP INDEX idx_model_versions_promotion; DROP INDEX idx_model_versions_trained_by;
--       DROP INDEX idx_model_versions_base; DROP TABLE model_versions;
CREATE TABLE IF NOT EXISTS model_versions (
    artifact_id TEXT PRIMARY KEY REFERENCES artifacts(id) ON DELETE CASCADE,
    is_external INTEGER NOT NULL DEFAULT 0,
    external_source_url TEXT,
    external_source_version TEXT, -- HF revision, GitHub SHA, Zenodo version
    base_model_id TEXT REFERENCES artifacts(id), -- for fine-tunes
    code_repo_url TEXT,
    code_commit_sha TEXT,
    code_entrypoint TEXT, -- e.g. "forge/training/train_celltype.py"
    training_started_at TIMESTAMPTZ,
    training_completed_at TIMESTAMPTZ,
    trained_by TEXT, -- agent_id
    gpu_allocation_id TEXT, -- resource_allocations.id reference
    training_params_json JSONB,
    eval_metrics_json JSONB,
    eval_dataset_artifact_id TEXT REFERENCES artifacts(id),
    benchmark_id TEXT,
    promotion_state TEXT NOT NULL DEFAULT 'candidate'
        CHECK(promotion_state IN ('candidate','promoted','rejected','superseded')),
    promotion_notes TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_model_versions_base ON model_versions(base_model_id);
CREATE INDEX IF NOT EXISTS idx_model_versions_trained_by ON model_versions(trained_by);
CREATE INDEX IF NOT EXISTS idx_model_versions_promotion ON model_versions(promotion_state);
