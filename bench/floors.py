"""The floors afsreg is compared with: the least work that does the same job.

``python -m bench.floors validate ROOT`` reads every model file, parses it with
PyYAML's C loader, validates it with jsonschema's Draft7Validator and applies
the cross-file rules (bench.generate.check_files), in one process, with no
cache, no line numbers and no error messages beyond a count: the plain way to
write this validator.

``python -m bench.floors parse ROOT`` only reads and parses (PyYAML's C
loader, one process): no validator built on PyYAML goes below it without a
cache or more cores.
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


def parse(root: Path) -> int:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    count = 0
    for p in sorted((root / "models").glob("*/*.yaml")):
        yaml.load(p.read_bytes(), Loader=loader)
        count += 1
    print(f"{count} files parsed")
    return 0


def main(argv: list[str]) -> int:
    modes = {"validate": validate, "parse": parse}
    if len(argv) != 2 or argv[0] not in modes:
        print("usage: python -m bench.floors validate|parse ROOT", file=sys.stderr)
        return 2
    return modes[argv[0]](Path(argv[1]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
