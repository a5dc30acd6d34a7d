"""afsreg seen through MLflow's Model Registry: registered models, integer versions, aliases.

The mapping (docs/web.md):

- a model is a registered model of the same name;
- its versions, in afsreg's version order (``version_key``: v1 < v1.1 < v2 <
  v10), are MLflow versions 1, 2, 3, ...; the afsreg version is the tag
  ``afsreg.version``. A version added later that sorts between existing ones
  (a pre-release, a patch of an old line) renumbers the ones after it: pin
  ``afsreg.version`` when a number must never move;
- each environment a version is deployed to (an active deployment) is an
  alias of that name, and the promoted version has the alias ``promoted``;
- ``current_stage`` is Production / Staging when deployed to an env of that
  name, Archived when deprecated or archived, else None;
- ``source`` and the download URI are the version's first file (checkpoint,
  gguf, lora, config: its uri, else its path), or an external model's source URL.

Filters follow MLflow's search grammar: ``clause AND clause ...`` where a
clause is ``name``, ``version_number``, ``run_id``, ``source_path`` or
``tags.<key>`` compared with =, !=, <, <=, >, >=, LIKE, ILIKE, IN or NOT IN.

Why ~470 lines in one module: MLflow's whole read surface (its version numbers,
aliases, filter grammar and error format) is one mapping, read best in one place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from afsreg.errors import AfsregError
from afsreg.format.record import ModelVersion
from afsreg.read.search import COMPARISONS
from afsreg.web.snapshot import Snapshot

PROMOTED_ALIAS = "promoted"
FILE_ORDER = ("checkpoint", "gguf", "lora", "config")
STAGES = ("None", "Staging", "Production", "Archived")


class MlflowError(AfsregError):
    """An error in MLflow's terms: an error code and the HTTP status it goes with."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def body(self) -> dict[str, str]:
        return {"error_code": self.code, "message": self.message}


def invalid(message: str) -> MlflowError:
    return MlflowError("INVALID_PARAMETER_VALUE", message, 400)


def missing(message: str) -> MlflowError:
    return MlflowError("RESOURCE_DOES_NOT_EXIST", message, 404)


# -- the mapping ------------------------------------------------------------


def numbered(snapshot: Snapshot, name: str) -> list[tuple[int, ModelVersion]]:
    """The versions of ``name`` with their MLflow numbers (1 = the first in version order)."""
    return list(enumerate(snapshot.registry.versions(name), start=1))


def by_number(snapshot: Snapshot, name: str, number: str) -> tuple[int, ModelVersion]:
    versions = numbered(snapshot, name)
    if not versions:
        raise missing(f"Registered Model with name={name} not found")
    if not number.isdigit():
        raise invalid(f"Parameter 'version' must be an integer, got {number!r}")
    index = int(number)
    if not 1 <= index <= len(versions):
        raise missing(f"Model Version (name={name}, version={number}) not found")
    return versions[index - 1]


def aliases_of(v: ModelVersion) -> list[str]:
    found = list(v.active_envs)
    if v.promotion_state == "promoted":
        found.append(PROMOTED_ALIAS)
    return found


def stage(v: ModelVersion) -> str:
    envs = v.active_envs
    if "production" in envs:
        return "Production"
    if "staging" in envs:
        return "Staging"
    if v.status in ("deprecated", "archived"):
        return "Archived"
    return "None"


def download_uri(v: ModelVersion) -> str | None:
    files = v.data.get("files") or {}
    for kind in FILE_ORDER:
        ref = files.get(kind)
        if isinstance(ref, dict) and (ref.get("uri") or ref.get("path")):
            return str(ref.get("uri") or ref.get("path"))
    url = v.data.get("external_source_url")
    return url if isinstance(url, str) else None


def _millis(text: Any) -> int | None:
    if not isinstance(text, str):
        return None
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def _timestamps(snapshot: Snapshot, v: ModelVersion) -> tuple[int, int]:
    """(created, last updated) in ms: created_at, else the file's first commit; its last commit."""
    log = snapshot.version_log(v) if snapshot.history.tip else []
    first = _millis(log[-1].date) if log else None
    last = _millis(log[0].date) if log else None
    created = _millis(v.data.get("created_at")) or first or 0
    return created, max(last or created, created)


def model_version(snapshot: Snapshot, number: int, v: ModelVersion) -> dict[str, Any]:
    created, updated = _timestamps(snapshot, v)
    data = v.data
    tags = {
        "afsreg.version": v.version,
        "afsreg.ref": v.ref_text,
        "afsreg.path": v.path,
        "afsreg.promotion_state": v.promotion_state,
        "afsreg.status": v.status or "",
        "afsreg.framework": v.framework or "",
        "afsreg.artifact_id": v.artifact_id,
    }
    for tag in data.get("tags") or []:
        tags.setdefault(str(tag), "true")
    code = data.get("code") or {}
    return {
        "name": v.name,
        "version": str(number),
        "creation_timestamp": created,
        "last_updated_timestamp": updated,
        "user_id": str(data.get("owner") or ""),
        "current_stage": stage(v),
        "description": str(data.get("description") or ""),
        "source": download_uri(v) or "",
        "run_id": str(code.get("commit_sha") or "") if isinstance(code, dict) else "",
        "status": "READY",
        "tags": [{"key": k, "value": val} for k, val in tags.items()],
        "aliases": aliases_of(v),
    }


def registered_model(snapshot: Snapshot, name: str) -> dict[str, Any]:
    versions = numbered(snapshot, name)
    if not versions:
        raise missing(f"Registered Model with name={name} not found")
    stamps = [_timestamps(snapshot, v) for _, v in versions]
    latest = snapshot.registry.latest(name) or versions[-1][1]
    return {
        "name": name,
        "creation_timestamp": min(s[0] for s in stamps),
        "last_updated_timestamp": max(s[1] for s in stamps),
        "description": str(latest.data.get("description") or ""),
        "latest_versions": latest_versions(snapshot, name, []),
        "tags": [
            {"key": "afsreg.owner", "value": str(latest.data.get("owner") or "")},
            {"key": "afsreg.framework", "value": latest.framework or ""},
        ],
        "aliases": [
            {"alias": alias, "version": str(number)}
            for number, v in versions
            for alias in aliases_of(v)
        ],
    }


def latest_versions(snapshot: Snapshot, name: str, stages: Iterable[str]) -> list[dict[str, Any]]:
    """The highest version in each stage (all stages when none are asked for)."""
    wanted = {s.lower() for s in stages}
    best: dict[str, tuple[int, ModelVersion]] = {}
    for number, v in numbered(snapshot, name):
        best[stage(v)] = (number, v)
    return [
        model_version(snapshot, number, v)
        for st, (number, v) in sorted(best.items(), key=lambda item: item[1][0])
        if not wanted or st.lower() in wanted
    ]


def by_alias(snapshot: Snapshot, name: str, alias: str) -> dict[str, Any]:
    versions = numbered(snapshot, name)
    if not versions:
        raise missing(f"Registered Model with name={name} not found")
    for number, v in reversed(versions):
        if alias in aliases_of(v):
            return model_version(snapshot, number, v)
    raise missing(f"Registered model alias {alias} not found.")


# -- filters ----------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op><=|>=|!=|<>|=|<|>)
      | (?P<paren>[(),])
      | (?P<ident>(?:tags?|attributes?)\.`[^`]+`|`[^`]+`|[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.X,
)


@dataclass(frozen=True)
class Clause:
    key: str  # "name", "version_number", "run_id", "source_path", "tags.<key>"
    op: str
    value: Any


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise invalid(f"Invalid filter {text!r}: cannot parse at {text[pos : pos + 20]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


def _unquote(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1])


def _key(ident: str, allowed: tuple[str, ...]) -> str:
    ident = ident.replace("`", "")
    head, dot, rest = ident.partition(".")
    if head in ("tag", "tags") and dot and rest:
        return f"tags.{rest}"
    if head in ("attribute", "attributes") and dot:
        ident = rest
    if ident not in allowed:
        raise invalid(
            f"Invalid attribute key '{ident}' specified. Valid keys are {', '.join(allowed)} and tags.<key>"
        )
    return ident


def parse_filter(text: str | None, allowed: tuple[str, ...]) -> list[Clause]:
    """MLflow's ``clause AND clause`` filter, as clauses; INVALID_PARAMETER_VALUE on a bad one."""
    if not text or not text.strip():
        return []
    tokens = tokenize(text)
    clauses: list[Clause] = []
    i = 0

    def take() -> tuple[str, str]:
        nonlocal i
        if i >= len(tokens):
            raise invalid(f"Invalid filter {text!r}: it ends too early")
        i += 1
        return tokens[i - 1]

    while True:
        kind, ident = take()
        if kind != "ident":
            raise invalid(f"Invalid filter {text!r}: expected a key, got {ident!r}")
        key = _key(ident, allowed)
        kind, op = take()
        if kind == "ident" and op.upper() == "NOT":
            kind, word = take()
            op = "NOT " + word
        op = op.upper() if kind == "ident" else op
        if op == "<>":
            op = "!="
        if kind == "ident" and op not in ("LIKE", "ILIKE", "IN", "NOT IN"):
            raise invalid(f"Invalid filter {text!r}: unknown comparator {op!r}")
        if op in ("IN", "NOT IN"):
            if take() != ("paren", "("):
                raise invalid(f"Invalid filter {text!r}: IN needs a list in parentheses")
            values: list[Any] = []
            while True:
                kind, raw = take()
                values.append(_unquote(raw) if kind == "string" else raw)
                sep = take()
                if sep == ("paren", ")"):
                    break
                if sep != ("paren", ","):
                    raise invalid(f"Invalid filter {text!r}: expected , or ) in the list")
            value: Any = values
        else:
            kind, raw = take()
            if kind == "string":
                value = _unquote(raw)
            elif kind == "number":
                value = float(raw) if "." in raw else int(raw)
            else:
                raise invalid(f"Invalid filter {text!r}: expected a quoted value or a number")
        clauses.append(Clause(key, op, value))
        if i == len(tokens):
            return clauses
        kind, word = take()
        if kind != "ident" or word.upper() != "AND":
            raise invalid(f"Invalid filter {text!r}: clauses join with AND only")


def _like(pattern: str, flags: int = 0) -> re.Pattern[str]:
    parts = (".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts) + r"\Z", flags | re.S)


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if actual is None:
        return op in ("!=", "NOT IN")
    if op in ("LIKE", "ILIKE"):
        flags = re.I if op == "ILIKE" else 0
        return bool(_like(str(expected), flags).match(str(actual)))
    if op == "IN":
        return str(actual) in [str(x) for x in expected]
    if op == "NOT IN":
        return str(actual) not in [str(x) for x in expected]
    if isinstance(actual, int):
        try:
            expected = float(expected)
        except (TypeError, ValueError):
            raise invalid(f"{expected!r} is not a number") from None
    else:
        expected = str(expected)
    return COMPARISONS[op](actual, expected)


def matches(record: dict[str, Any], clauses: list[Clause]) -> bool:
    tags = {t["key"]: t["value"] for t in record.get("tags", [])}
    for clause in clauses:
        if clause.key.startswith("tags."):
            actual: Any = tags.get(clause.key[len("tags.") :])
        elif clause.key == "version_number":
            actual = int(record["version"])
        elif clause.key == "source_path":
            actual = record.get("source")
        else:
            actual = record.get(clause.key)
        if not _compare(actual, clause.op, clause.value):
            return False
    return True


# -- searches ---------------------------------------------------------------

VERSION_KEYS = ("name", "version_number", "run_id", "source_path")
MODEL_KEYS = ("name",)


def _order(
    rows: list[dict[str, Any]], order_by: list[str], allowed: tuple[str, ...]
) -> list[dict[str, Any]]:
    for spec in reversed(order_by):
        parts = spec.split()
        if (
            not parts
            or len(parts) > 2
            or (len(parts) == 2 and parts[1].upper() not in ("ASC", "DESC"))
        ):
            raise invalid(f"Invalid order_by clause {spec!r}")
        key = parts[0].replace("`", "")
        if key not in allowed:
            raise invalid(f"Invalid order_by key {key!r}: use one of {', '.join(allowed)}")
        desc = len(parts) == 2 and parts[1].upper() == "DESC"

        def sort_key(row: dict[str, Any], key: str = key) -> Any:
            return int(row["version"]) if key == "version_number" else row.get(key) or ""

        rows = sorted(rows, key=sort_key, reverse=desc)
    return rows


@dataclass(frozen=True)
class SearchRequest:
    """One page of an MLflow search, as both search endpoints take it."""

    filter_text: str | None = None
    max_results: int | None = None  # None: the endpoint's default
    order_by: tuple[str, ...] = ()
    page_token: str | None = None


@dataclass(frozen=True)
class _Endpoint:
    """What differs between the two searches: the answer's key, the page sizes, the sort keys."""

    key: str
    default: int
    limit: int
    order_keys: tuple[str, ...]


VERSIONS_SEARCH = _Endpoint(
    "model_versions",
    10_000,
    200_000,
    ("name", "version_number", "creation_timestamp", "last_updated_timestamp"),
)
MODELS_SEARCH = _Endpoint(
    "registered_models", 100, 1000, ("name", "creation_timestamp", "last_updated_timestamp")
)


def _page(
    rows: list[dict[str, Any]], request: SearchRequest, endpoint: _Endpoint
) -> dict[str, Any]:
    """The ordered page the request asks for, with MLflow's next_page_token when more follow."""
    rows = _order(rows, list(request.order_by), endpoint.order_keys)
    size = endpoint.default if request.max_results is None else request.max_results
    if not 1 <= size <= endpoint.limit:
        raise invalid(f"Invalid value {size} for parameter 'max_results': 1 to {endpoint.limit}")
    start = 0
    if request.page_token:
        if not request.page_token.isdigit():
            raise invalid(f"Invalid page token {request.page_token!r}")
        start = int(request.page_token)
    more = start + size < len(rows)
    return {
        endpoint.key: rows[start : start + size],
        **({"next_page_token": str(start + size)} if more else {}),
    }


def search_versions(snapshot: Snapshot, request: SearchRequest) -> dict[str, Any]:
    """``model-versions/search``: versions matching the filter, one page, in MLflow's shape."""
    clauses = parse_filter(request.filter_text, VERSION_KEYS)
    names = snapshot.registry.models()
    # A name = '...' clause narrows the work to one model before anything is built.
    exact = {c.value for c in clauses if c.key == "name" and c.op == "="}
    if exact:
        names = [n for n in names if n in exact]
    rows = [
        record
        for name in names
        for number, v in numbered(snapshot, name)
        if matches(record := model_version(snapshot, number, v), clauses)
    ]
    rows = sorted(rows, key=lambda r: (r["name"], -int(r["version"])))
    return _page(rows, request, VERSIONS_SEARCH)


def search_models(snapshot: Snapshot, request: SearchRequest) -> dict[str, Any]:
    """``registered-models/search``: models matching the filter, one page, in MLflow's shape."""
    clauses = parse_filter(request.filter_text, MODEL_KEYS)
    rows = [
        record
        for name in snapshot.registry.models()
        if matches(record := registered_model(snapshot, name), clauses)
    ]
    return _page(rows, request, MODELS_SEARCH)


def read_only(path: str) -> MlflowError:
    """The answer to a write: this registry changes through pull requests."""
    command = {
        "registered-models/create": "afsreg add NAME ... --commit",
        "model-versions/create": "afsreg add NAME --parent VERSION ... --commit",
        "model-versions/transition-stage": "afsreg promote / afsreg deploy --env ENV --commit",
        "registered-models/alias": "afsreg promote NAME@VERSION or afsreg deploy NAME@VERSION --env ENV",
        "model-versions/update": "afsreg score NAME@VERSION metric=value --commit",
        "model-versions/delete": "afsreg archive NAME@VERSION --commit",
        "registered-models/delete": "afsreg archive NAME@VERSION --commit",
    }.get(path, "afsreg add / score / promote / deploy ... --commit")
    return MlflowError(
        "PERMISSION_DENIED",
        f"This MLflow endpoint is read-only: the afsreg registry changes through pull requests "
        f"to its YAML files. Run `{command}` in a clone of the registry repository and open a "
        f"pull request; this server shows the change once it is merged.",
        403,
    )
