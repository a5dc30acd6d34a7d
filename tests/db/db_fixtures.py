"""Helpers the database tests share (beside the ``db_url`` fixture in tests/conftest.py)."""

from __future__ import annotations

from typing import Any

from afsreg.db.connect import connect
from afsreg.db.details import DETAIL_TABLES
from afsreg.db.tables import fetch, tables


def all_rows(url: str) -> dict[str, Any]:
    """Every afsreg table's rows as the database holds them, by table name."""
    with connect(url) as db:
        return {t.name: fetch(db, t) for t in (*tables(db), *DETAIL_TABLES)}
