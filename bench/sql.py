"""Ask one of docs/database.md's documented queries of a synced SQLite file, from a fresh process.

    python -m bench.sql FILE QUERY-NAME [name=value ...]

What `afsreg resolve` / `search` answer from the files, asked of the
projection instead: the same question, for the benchmark's comparison.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "database.md"


def query(name: str) -> str:
    for block in re.findall(r"```sql\n(.*?)```", DOC.read_text(), re.S):
        if block.startswith(f"-- query: {name}\n"):
            return str(block)
    raise SystemExit(f"docs/database.md has no query named {name}")


def main(argv: list[str]) -> int:
    path, name, *pairs = argv
    params = dict(pair.split("=", 1) for pair in pairs)
    sql = query(name)
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = db.execute(sql, {k: _number(v) for k, v in params.items()}).fetchall()
    print(f"{len(rows)} row(s)")
    for row in rows[:10]:
        print(*row, sep="\t")
    return 0 if rows else 1


def _number(text: str) -> object:
    try:
        return float(text)
    except ValueError:
        return text


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
