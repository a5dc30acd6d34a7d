"""The floors afsreg is compared with: the least work that does the same job.

``python -m bench.floors validate ROOT`` reads every model file, parses it with
PyYAML's C loader, validates it with jsonschema's Draft7Validator and applies
the cross-file rules (bench.generate.check_files), in one process, with no
cache, no line numbers and no error messages beyond a count: what a validator
of this schema cannot go below in Python.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench.generate import check_files


def validate(root: Path) -> int:
    files = {
        str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "models").glob("*/*.yaml"))
    }
    problems = check_files(files)
    print(f"{len(files)} files, {len(problems)} problems")
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "validate":
        print("usage: python -m bench.floors validate ROOT", file=sys.stderr)
        return 2
    return validate(Path(argv[1]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
