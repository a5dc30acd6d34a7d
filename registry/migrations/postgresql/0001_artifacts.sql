-- 0001_artifacts: the artifacts table the registry's versions are projected into.
--
-- Seed 000 assumes a host database that already has `artifacts` with its lineage
-- columns; when it exists it is reused exactly as it is (IF NOT EXISTS), and afsreg
-- writes only the columns it finds. On a fresh database this creates it.
-- PostgreSQL types: metadata is jsonb, the *_at columns timestamptz (see docs/database.md).
--
-- down: DROP TABLE artifacts;  -- only if afsreg created it; never run automatically
CREATE TABLE IF NOT EXISTS artifacts (
    id TEXT PRIMARY KEY,
    artifact_type TEXT NOT NULL,
    name TEXT,
    title TEXT,
    metadata JSONB,
    version_number INTEGER,
    parent_version_id TEXT,
    version_tag TEXT,
    changelog TEXT,
    is_latest INTEGER NOT NULL DEFAULT 0,
    lifecycle_state TEXT,
    superseded_by TEXT,
    origin_type TEXT,
    origin_url TEXT,
    created_at TIMESTAMPTZ DEFAULT now(),  -- NULL for external references (unknown)
    updated_at TIMESTAMPTZ DEFAULT now()
);
