"""Checking one file on its own: parse, schema, nulls, review flags, path.

The result depends only on the file's bytes, its path and the schemas, so it
is cached by (blob id, path) under the repository's git directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from afsreg.format.document import RELEASED_PROMOTION_STATES, active_deployments
from afsreg.format.loader import YamlError, load_yaml, locator
from afsreg.format.paths import path_identity
from afsreg.format.record import (
    Summary,
    overlapping,
    parse_instant,
    summarize,
    summary_from_json,
    summary_to_json,
)
from afsreg.format.schema import Schemas, null_problems
from afsreg.format.versions import is_valid_name, is_valid_version
from afsreg.git.sources import NOT_UTF8, SourceFile, is_portable
from afsreg.git.store import Encoded, encode
from afsreg.parallel import parallel_map
from afsreg.problems import Problem


@dataclass
class FileResult:
    """What checking one file found: its summary (None when unusable) and problems."""

    summary: Summary | None
    problems: list[Problem] = field(default_factory=list)

    def to_json(self) -> list[Any]:
        packed = summary_to_json(self.summary) if self.summary is not None else None
        return [packed, [list(p.as_dict().values()) for p in self.problems]]

    @classmethod
    def from_json(cls, raw: list[Any]) -> FileResult:
        summary = summary_from_json(raw[0]) if raw[0] is not None else None
        return cls(summary, [Problem(*p) for p in raw[1]] if raw[1] else [])


def check_file(source: SourceFile, schemas: Schemas) -> FileResult:
    path = source.path
    if source.is_special:
        return FileResult(
            None,
            [
                Problem(
                    path,
                    1,
                    1,
                    "",
                    _special_message(source.special),
                )
            ],
        )
    problems: list[Problem] = []
    identity = path_identity(path)
    if identity is None:
        problems.append(Problem(path, 1, 1, "", _layout_message(path)))
    else:
        name, version = identity
        if not is_valid_name(name):
            problems.append(
                Problem(
                    path,
                    1,
                    1,
                    "name",
                    f"folder {name!r} is not a valid model name "
                    "(lowercase slug: [a-z0-9][a-z0-9._-]*)",
                )
            )
        if not is_valid_version(version):
            problems.append(
                Problem(
                    path,
                    1,
                    1,
                    "version",
                    f"file name {version!r} is not a valid version "
                    "(v1, v1.2, v1.2.3 or v2.0.0-rc.1)",
                )
            )
    try:
        data = load_yaml(source.content)
    except YamlError as exc:
        problems.append(Problem(path, exc.line, exc.col, exc.field, exc.message))
        return FileResult(None, problems)
    if data is None:
        problems.append(
            Problem(path, 1, 1, "", "file is empty; a model file is a mapping of fields")
        )
        return FileResult(None, problems)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single {type(data).__name__} value"
        problems.append(Problem(path, 1, 1, "", f"expected a mapping of fields, got {kind}"))
        return FileResult(None, problems)

    where = locator(source.content)  # one re-parse for all of this file's problems
    schema_problems = (
        [] if schemas.file_is_valid(data) else schemas.file_problems(data, path, where)
    )
    problems.extend(schema_problems)
    if not schema_problems:
        problems.extend(null_problems(data, path, where))
        problems.extend(_deployment_problems(data, path, where))
    if identity is not None:
        problems.extend(_identity_problems(data, identity, path, where))
    problems.extend(_review_warnings(data, path, where))
    # The path is the identity the registry files a version under; a file
    # whose fields disagree with it is reported above and still listed.
    summary = summarize(data, *identity) if identity is not None else None
    return FileResult(summary, problems)


def _special_message(kind: str) -> str:
    if kind == "symbolic link":
        return (
            "is a symbolic link; model files must be "
            "regular files inside the repository (links are never followed)"
        )
    if kind == "git submodule":
        return (
            "is a git submodule (or a nested repository); model files must be "
            "committed in this repository itself"
        )
    if kind == NOT_UTF8:
        return "has a name that is not valid UTF-8; rename it (model names and versions are text)"
    return f"is a {kind}, not a regular file; it is never opened"


def _layout_message(path: str) -> str:
    if path.endswith(".yml"):
        return "model files end in .yaml, not .yml (models/<name>/<version>.yaml)"
    return "model files live at models/<name>/<version>.yaml"


def _identity_problems(
    data: dict[str, Any], identity: tuple[str, str], path: str, where: Any
) -> list[Problem]:
    name, version = identity
    problems = []
    for key, expected in (("name", name), ("version", version)):
        value = data.get(key)
        if isinstance(value, str) and value != expected:
            line, col = where((key,))
            problems.append(
                Problem(
                    path,
                    line,
                    col,
                    key,
                    f"is {value!r} but the file is at {path} "
                    f"(expected {expected!r}); move the file or fix the field",
                )
            )
    return problems


def _deployment_problems(data: dict[str, Any], path: str, where: Any) -> list[Problem]:
    """status: deployed and an active deployment go together, and only for released versions."""
    active = active_deployments(data)
    status = data.get("status")
    state = data["promotion"]["state"]
    problems = []

    def problem(field: tuple[str, ...], message: str) -> None:
        line, col = where(field)
        problems.append(Problem(path, line, col, ".".join(field), message))

    if status == "deployed" and not active:
        problem(
            ("status",),
            "is deployed but no deployment is active "
            "(every entry under deployments has undeployed_at)",
        )
    if active and status != "deployed":
        problem(
            ("status",),
            f"is {status} but the version is deployed in "
            f"{', '.join(sorted({d['env'] for d in active}))}; set status: deployed",
        )
    problems += _deployment_timeline_problems(data, path, where)
    if active and state not in RELEASED_PROMOTION_STATES:
        problem(("promotion", "state"), f"is {state}, but only a promoted version can be deployed")
    return problems


def _deployment_timeline_problems(data: dict[str, Any], path: str, where: Any) -> list[Problem]:
    """Each deployment ends after it starts, and one environment's records don't overlap."""
    problems: list[Problem] = []
    by_env: dict[str, list[int]] = {}
    spans: list[tuple[datetime, datetime | None]] = []
    for index, entry in enumerate(data.get("deployments") or []):
        start = parse_instant(entry["deployed_at"])
        end = parse_instant(entry.get("undeployed_at"))
        if start is None:
            return problems  # reported by the schema
        if end is not None and end < start:
            line, col = where(("deployments", index, "undeployed_at"))
            problems.append(
                Problem(
                    path,
                    line,
                    col,
                    f"deployments[{index}].undeployed_at",
                    f"is before deployed_at ({entry['deployed_at']})",
                )
            )
            end = start
        by_env.setdefault(entry["env"], []).append(index)
        spans.append((start, end))
    for env, indexes in by_env.items():
        pair = overlapping([spans[i] for i in indexes])
        if pair is not None:
            first, second = sorted(indexes[i] for i in pair)
            line, col = where(("deployments", second))
            problems.append(
                Problem(
                    path,
                    line,
                    col,
                    f"deployments[{second}]",
                    f"overlaps deployments[{first}] in {env}: a version is deployed "
                    "in an environment once at a time (set undeployed_at on the earlier one)",
                )
            )
    return problems


def _review_warnings(data: dict[str, Any], path: str, where: Any) -> list[Problem]:
    warnings = []
    for index, flag in enumerate(data.get("review") or []):
        if not isinstance(flag, dict):
            continue
        line, col = where(("review", index))
        reason = flag.get("reason", "")
        warnings.append(
            Problem(
                path,
                line,
                col,
                str(flag.get("field", "")),
                f"open review flag: {reason}",
                "warning",
            )
        )
    return warnings


def check_files_encoded(
    sources: list[SourceFile], schemas: Schemas
) -> list[tuple[FileResult, Encoded]]:
    """check_file over many files (on every core when it pays), each with its cached form.

    The cached form, the result's JSON text, is made in the worker processes
    (the cache stores it as it is) and is all that crosses back: a string
    pickles far cheaper than nested lists, and no one process encodes them all.
    """
    import json

    # A file a worker can read itself travels as its path and blob id (the
    # worker reads it: no one process reads all of them); any other as bytes.
    portable = [
        s if is_portable(s) else SourceFile(s.path, s.content, s.blob_id, special=s.special)
        for s in sources
    ]
    texts = parallel_map(partial(_check_encoded, schemas=schemas), portable)
    return [(FileResult.from_json(json.loads(text)), Encoded(text)) for text in texts]


def _check_encoded(source: SourceFile, schemas: Schemas) -> str:
    return encode(check_file(source, schemas).to_json())
