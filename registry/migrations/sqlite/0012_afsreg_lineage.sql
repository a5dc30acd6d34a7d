-- 0012_afsreg_lineage: every lineage edge, not only the first base model.
--
-- One row per pointer of a version: its lineage.parent (kind 'parent',
-- position 0) and each entry of lineage.base_models (kind 'base_model',
-- position = its index). parent_ref is the canonical id of what it points at:
-- NAME@VERSION inside the registry, SOURCE:ID outside it
-- (huggingface:Qwen/Qwen2.5-Coder-7B; the revision is a column of its own).
-- parent_artifact_id is the artifacts.id a registry version has, NULL outside.
-- No foreign key on the parent: a base model outside the registry has an
-- artifacts row only when it is a version's first base model.
--
-- down: DROP INDEX idx_afsreg_lineage_parent; DROP INDEX idx_afsreg_lineage_parent_id;
--       DROP TABLE afsreg_lineage;
CREATE TABLE afsreg_lineage (
    child_artifact_id TEXT NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK(kind IN ('parent','base_model')),
    position INTEGER NOT NULL,
    child_model TEXT NOT NULL,
    child_version TEXT NOT NULL,
    parent_ref TEXT NOT NULL,
    parent_artifact_id TEXT,
    external_source TEXT,
    revision TEXT,
    relation TEXT,
    PRIMARY KEY (child_artifact_id, kind, position)
);
CREATE INDEX idx_afsreg_lineage_parent ON afsreg_lineage(parent_ref);
CREATE INDEX idx_afsreg_lineage_parent_id ON afsreg_lineage(parent_artifact_id);
