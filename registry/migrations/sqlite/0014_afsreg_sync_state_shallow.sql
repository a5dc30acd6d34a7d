-- 0014_afsreg_sync_state_shallow: the clone's shallow boundary at the last sync.
--
-- A shallow clone's history stops at its boundary commits; `git fetch
-- --unshallow` (or a deeper fetch) brings in history without moving HEAD.
-- sync compares the boundary it synced at with today's, so an unchanged HEAD
-- with new history is a full sync (the audit rows of the fetched commits), not
-- "already synced". '' is a full clone.
--
-- down: ALTER TABLE afsreg_sync_state DROP COLUMN shallow;
ALTER TABLE afsreg_sync_state ADD COLUMN shallow TEXT NOT NULL DEFAULT '';
