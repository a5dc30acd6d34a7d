-- 0005_afsreg_owned_rows: the rows afsreg owns in a database it shares with others.
--
-- afsreg is a guest: `artifacts` and `model_versions` may hold rows other services
-- wrote (papers, datasets, a training pipeline's versions, an eval gate's promotion
-- states). One row here per row afsreg created or adopted; sync writes, updates and
-- deletes only these, and only the columns named in written_json.
--   origin        'created': afsreg inserted the row; removing its file deletes it.
--                 'adopted': the row was there before; afsreg took over some columns.
--   role          'version' (a model version file) or 'external' (a reference row
--                 afsreg made for an outside base model or dataset).
--   written_json  the columns afsreg last wrote and their values (for metadata, only
--                 afsreg's keys); digest is the sha256 of that JSON. A row whose
--                 current values differ from these was changed outside git.
--   previous_json for an adopted row, the values those columns had before adoption,
--                 so the adoption can be reported and undone.
-- model_name and version make the model name queryable on any host table shape.
--
-- down: DROP INDEX idx_afsreg_owned_rows_row; DROP INDEX idx_afsreg_owned_rows_model;
--       DROP TABLE afsreg_owned_rows;
--       (afsreg then no longer knows which rows it owns; run it only after removing them)
CREATE TABLE afsreg_owned_rows (
    table_name TEXT NOT NULL CHECK(table_name IN ('artifacts','model_versions')),
    row_id TEXT NOT NULL,
    origin TEXT NOT NULL CHECK(origin IN ('created','adopted')),
    role TEXT NOT NULL CHECK(role IN ('version','external')),
    model_name TEXT,
    version TEXT,
    path TEXT,
    digest TEXT NOT NULL,
    written_json TEXT NOT NULL,
    previous_json TEXT,
    adopted_at TEXT,
    written_at TEXT NOT NULL,
    PRIMARY KEY (table_name, row_id)
);
CREATE INDEX idx_afsreg_owned_rows_model ON afsreg_owned_rows(model_name, version);
CREATE INDEX idx_afsreg_owned_rows_row ON afsreg_owned_rows(row_id);
