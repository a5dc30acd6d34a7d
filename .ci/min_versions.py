"""Print pip constraints pinning every dependency to the oldest version pyproject.toml admits.

CI installs these into a second virtualenv and runs the tests there, so the
day a lower bound stops being true (an old release behaves differently) CI
says so. Only the runtime dependencies are pinned; theirs, and the test tools,
resolve as usual.

    python3 .ci/min_versions.py > constraints.txt
    pip install -c constraints.txt -e ".[test]"
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*(?:\[[^\]]*\])?\s*>=\s*([^,;\s]+)")


def lowest(requirements: list[str]) -> list[str]:
    pins = []
    for requirement in requirements:
        match = REQUIREMENT.match(requirement)
        if match is None:
            if requirement.startswith("afsreg"):
                continue  # the package's own extras
            sys.exit(f"no lower bound to pin in {requirement!r}: give every dependency a >= bound")
        pins.append(f"{match.group(1)}=={match.group(2)}")
    return pins


def main() -> None:
    project = tomllib.loads(Path("pyproject.toml").read_text())["project"]
    # What users install: the runtime dependencies. The test tools (pytest, the
    # MLflow client, Playwright...) stay at their newest, as in the main run.
    requirements = list(project["dependencies"])
    print("\n".join(lowest(requirements)))


if __name__ == "__main__":
    main()
