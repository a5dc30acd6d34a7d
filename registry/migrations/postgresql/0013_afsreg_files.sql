-- 0013_afsreg_files: the files of every version (files.lora, files.gguf, ...).
--
-- One row per role: path and/or uri as the file writes them, location (uri,
-- else path: what a deploy script fetches), sha256 and size_bytes when given.
--
-- down: DROP TABLE afsreg_files;
CREATE TABLE afsreg_files (
    artifact_id TEXT NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    path TEXT,
    uri TEXT,
    location TEXT,
    sha256 TEXT,
    size_bytes BIGINT,
    PRIMARY KEY (artifact_id, role)
);
