"""One model version file on its own, without git: loading, editing, schema, fields, names."""
