-- 0004_afsreg_sync_state: which commit the tables project, when, and by which afsreg.
--
-- A single row (id = 1). sync reads commit_sha to sync incrementally, and to
-- skip the work entirely when the database already projects the requested commit.
--
-- down: DROP TABLE afsreg_sync_state;
CREATE TABLE afsreg_sync_state (
    id INTEGER PRIMARY KEY CHECK(id = 1),
    commit_sha TEXT NOT NULL,
    rev TEXT NOT NULL,
    synced_at TIMESTAMPTZ NOT NULL,
    afsreg_version TEXT NOT NULL,
    mode TEXT NOT NULL CHECK(mode IN ('full','incremental'))
);
