"""The database projection: migrations, ``sync`` into SQLite or PostgreSQL, drift ``status``, reports.

    from afsreg.db.sync import sync
    print(sync(".", "postgresql://postgres@127.0.0.1:5432/models").summary())

Modules: connect (URLs, the connection wrapper), migrate, project (pure
row building), events (git audit rows), tables (row I/O), tree_diff (changed
model files), desired (the rows a commit should have), sync (the transaction)
and sync_report, status (drift).
"""
