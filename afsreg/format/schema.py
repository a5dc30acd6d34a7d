"""The JSON Schemas, and turning jsonschema's errors into Problems people can act on.

The schemas ship inside the wheel; a registry's own ``schemas/`` folder, when
it has one, takes precedence, so a team can tighten the rules in a pull
request. Two schemas compose: ``model_version.schema.json`` (the whole file)
refers to ``model_artifact_metadata.json`` (seed 000's artifacts.metadata).

Why ~630 lines in one module: loading, the fast compiled pass and the located
jsonschema pass share the schema objects and the oneOf-branch choice; split, each
half would need the other's internals.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from afsreg.errors import AfsregError, ValidationError
from afsreg.format.field_paths import dotted
from afsreg.problems import Problem

FILE_SCHEMA = "model_version.schema.json"
METADATA_SCHEMA = "model_artifact_metadata.json"
SCHEMA_NAMES = (FILE_SCHEMA, METADATA_SCHEMA)

FieldPath = tuple[str | int, ...]


def packaged_schema_dir() -> Path:
    """Where the schemas that ship with afsreg are: in the wheel, or the source tree."""
    from importlib import resources  # ~10 ms: a registry with its own schemas/ never asks

    bundled = resources.files("afsreg") / "_data" / "schemas"
    if bundled.is_dir():
        return Path(str(bundled))
    return Path(__file__).resolve().parents[2] / "schemas"


OUTPUT_SCHEMA = "output.schema.json"


def output_schema(command: str | None = None) -> dict[str, Any]:
    """The JSON Schema of ``--format json`` output (Draft 2020-12), or of one command's.

    ``output_schema("resolve")`` validates what ``afsreg resolve --format json`` prints.
    """
    schema: dict[str, Any] = json.loads((packaged_schema_dir() / OUTPUT_SCHEMA).read_text())
    if command is None:
        return schema
    if command not in schema["$defs"]:
        raise KeyError(f"no output schema for {command!r} (known: {', '.join(schema['$defs'])})")
    return {**schema, "$ref": f"#/$defs/{command}"}


def schema_dir_for(root: Path | None) -> Path:
    if root is not None and all((root / "schemas" / n).is_file() for n in SCHEMA_NAMES):
        return root / "schemas"
    return packaged_schema_dir()


_DATE_TIME_START = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _check_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME_START.match(value):
        return False
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is not None:
            parsed.astimezone(UTC)  # stored as UTC: a time past year 9999 there is not one
    except (ValueError, OverflowError):
        return False
    return parsed.tzinfo is not None


_SPACE = re.compile(r"\s")


def _check_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return (
        bool(parts.scheme)
        and bool(parts.netloc or parts.path)
        and _SPACE.search(value) is None  # \s is str.isspace(), in C
    )


FORMAT_HINTS = {
    "date-time": "expected an ISO 8601 date and time with a time zone, e.g. 2026-01-14T12:00:00Z",
    "uri": "expected an absolute URI, e.g. https://github.com/org/repo",
}

PATTERN_HINTS = {
    "name": "must be a lowercase slug: letters a-z, digits, '.', '_' or '-', starting with a letter or digit",
    "version": "must look like v1, v1.2, v1.2.3 or v2.0.0-rc.1",
    "parent": "must be a version of this model, like v1 or v1.2.3",
    "superseded_by": "must be a version of this model, like v2",
    "model": "must be a version in this registry, as name@version (e.g. majora@v1)",
    "commit_sha": "must be a git commit id: 7 to 40 lowercase hex digits",
    "sha256": "must be 64 lowercase hex digits",
    "env": "must be a lowercase slug, e.g. production",
    "field": "must be a dotted field path, e.g. training.started_at",
    "artifact_id": "must not contain spaces",
}


@dataclass(frozen=True)
class Schemas:
    """The two schemas, ready to validate with."""

    directory: Path
    file_schema: Mapping[str, Any]
    metadata_schema: Mapping[str, Any]
    digest: str

    @classmethod
    def load(cls, root: Path | None = None) -> Schemas:
        return _load(schema_dir_for(root))

    def file_is_valid(self, data: Any) -> bool:
        """Fast yes/no against the whole-file schema (compiled; no error details)."""
        return _fast_file_check(self.directory)(data)

    def file_problems(
        self, data: Any, path: str, locate: Callable[[FieldPath], tuple[int, int]]
    ) -> list[Problem]:
        """Problems of one parsed file against the whole-file schema."""
        return _problems(_file_validator(self.directory), data, path, locate)

    def metadata_problems(self, metadata: Any, path: str = "<metadata>") -> list[Problem]:
        return _problems(_metadata_validator(self.directory), metadata, path, lambda _: (0, 0))


@cache
def _load(directory: Path) -> Schemas:
    texts = {}
    for name in SCHEMA_NAMES:
        try:
            texts[name] = (directory / name).read_bytes()
        except OSError as exc:
            raise AfsregError(f"{directory / name}: cannot read schema ({exc.strerror})") from None
    loaded = {}
    for name, text in texts.items():
        try:
            loaded[name] = json.loads(text)
        except ValueError as exc:
            raise AfsregError(f"{directory / name}: not valid JSON ({exc})") from None
    for name, schema in loaded.items():
        for key, value in _ids(schema):
            raise AfsregError(
                f"{directory / name}: {key} {value!r} is not allowed in a registry's schema: "
                "it would move where $refs resolve (possibly to the network); "
                "afsreg resolves $refs only inside the two schema files"
            )
        for ref in _refs(schema):
            if not (ref.startswith("#") or ref == METADATA_SCHEMA):
                raise AfsregError(
                    f"{directory / name}: $ref {ref!r} points outside the schema files; "
                    f"only local refs (#/...) and {METADATA_SCHEMA!r} are allowed"
                )
    digest = hashlib.sha256(b"".join(texts[n] for n in SCHEMA_NAMES)).hexdigest()[:16]
    return Schemas(directory, loaded[FILE_SCHEMA], loaded[METADATA_SCHEMA], digest)


def _ids(node: Any) -> Iterator[tuple[str, str]]:
    """Every base-URI keyword: ``$id`` anywhere, and a URI-like draft-04 ``id``."""
    if isinstance(node, dict):
        for key, value in node.items():
            uri_like = isinstance(value, str) and (":" in value or "/" in value)
            if (key == "$id" and isinstance(value, str)) or (key == "id" and uri_like):
                yield key, value
            else:
                yield from _ids(value)
    elif isinstance(node, list):
        for item in node:
            yield from _ids(item)


def _refs(node: Any) -> Iterator[str]:
    """Every $ref in a schema (a registry's schema must not make afsreg fetch anything)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _format_checker() -> Any:
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    checker.checks("date-time")(_check_date_time)
    checker.checks("uri")(_check_uri)
    return checker


@cache
def _file_validator(directory: Path) -> Any:
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    schemas = _load(directory)
    registry: Any = Registry().with_resource(
        METADATA_SCHEMA,
        Resource.from_contents(dict(schemas.metadata_schema), default_specification=DRAFT7),
    )
    return Draft7Validator(
        dict(schemas.file_schema), registry=registry, format_checker=_format_checker()
    )


@cache
def _metadata_validator(directory: Path) -> Any:
    from jsonschema import Draft7Validator

    return Draft7Validator(dict(_load(directory).metadata_schema), format_checker=_format_checker())


_FORMATS = {"date-time": _check_date_time, "uri": _check_uri}


class _Invalid(ValueError):
    """What the compiled check raises: the answer is no (details come from jsonschema)."""


@cache
def _fast_file_check(directory: Path) -> Callable[[Any], bool]:
    """The file schema compiled to Python by fastjsonschema, ~50x faster than jsonschema.

    Used as a first pass: a file that passes needs nothing more; one that
    fails is checked again by jsonschema, which reports every error with its
    path. For the schemas afsreg ships, the compiled code ships too
    (format/compiled_check.py, made by ``write_compiled_check``), so no process
    pays fastjsonschema's ~0.1 s compile; a registry's own schemas are compiled
    on first use.
    """
    schemas = _load(directory)
    from afsreg.format import compiled_check

    if schemas.digest == compiled_check.SCHEMA_DIGEST:
        validate: Callable[[Any], Any] = partial(compiled_check.validate, custom_formats=_FORMATS)
        invalid: type[Exception] = compiled_check.JsonSchemaValueException
    else:
        import fastjsonschema

        validate = fastjsonschema.compile(
            _combined_schema(schemas), formats=_FORMATS, use_default=False
        )
        invalid = fastjsonschema.JsonSchemaException

    def check(data: Any) -> bool:
        try:
            validate(data)
        except invalid:
            return False
        return True

    return check


def _combined_schema(schemas: Schemas) -> dict[str, Any]:
    # fastjsonschema does not follow a $ref into another file: the metadata
    # schema is inlined, its definitions moved under a prefix.
    return _inline_metadata(schemas.file_schema, schemas.metadata_schema)


def compiled_check_source(schemas: Schemas) -> str:
    """The text of format/compiled_check.py for ``schemas``: fastjsonschema's code, standalone.

    The exception classes are defined in the module, so that using it does not
    import fastjsonschema (~20 ms).
    """
    import fastjsonschema

    code: str = fastjsonschema.compile_to_code(
        _combined_schema(schemas), formats=_FORMATS, use_default=False
    )
    imports = "from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException\n"
    if imports not in code:
        raise AfsregError(
            "fastjsonschema's generated code changed shape; update compiled_check_source"
        )
    own = (
        "class JsonSchemaValueException(ValueError):\n"
        "    def __init__(self, message, value=None, name=None, definition=None, rule=None):\n"
        "        super().__init__(message)\n\n\n"
        "JsonSchemaValuesException = JsonSchemaValueException\n"
    )
    header = (
        '"""The packaged file schema, compiled by fastjsonschema. Generated: do not edit.\n\n'
        "Remade by afsreg.format.schema.write_compiled_check() when schemas/ change\n"
        "(tests/format/test_schema.py fails until it is).\n\n"
        'Why ~1,100 lines: it is generated, one branch per schema keyword."""\n\n'
        "# ruff: noqa\n# mypy: ignore-errors\n"
        f'SCHEMA_DIGEST = "{schemas.digest}"\n'
    )
    # Only the yes/no is used: each raise's message and schema excerpt (three
    # quarters of the text) is dropped, so the module compiles fast without a .pyc.
    code = re.sub(
        r"^(\s*)raise JsonSchemaValueException\(.*\)$",
        r"\1raise JsonSchemaValueException('')",
        code.replace(imports, own),
        flags=re.MULTILINE,
    )
    # The name of the value checked is only ever used in those messages: a
    # call passes None rather than build it (for a list item with locals()
    # and str.format, ~30 times a file on the cold path).
    code = re.sub(
        r'\(name_prefix or "data"\) \+ "[^"\n]*"(?:\.format\(\*\*locals\(\)\))?', "None", code
    )
    return header + code


def write_compiled_check() -> Path:
    """Regenerate format/compiled_check.py from the packaged schemas; its path."""
    target = Path(__file__).with_name("compiled_check.py")
    target.write_text(compiled_check_source(Schemas.load(None)))
    return target


def _inline_metadata(
    file_schema: Mapping[str, Any], metadata_schema: Mapping[str, Any]
) -> dict[str, Any]:
    prefix = "metadata__"

    def rewrite(node: Any, refs: dict[str, str]) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str) and value in refs:
                    out[key] = refs[value]
                elif key == "$ref" and value == METADATA_SCHEMA:
                    out[key] = "#/definitions/" + prefix + "root"
                else:
                    out[key] = rewrite(value, refs)
            return out
        if isinstance(node, list):
            return [rewrite(item, refs) for item in node]
        return node

    meta_defs = dict(metadata_schema.get("definitions", {}))
    meta_refs = {f"#/definitions/{name}": f"#/definitions/{prefix}{name}" for name in meta_defs}
    meta_root = {k: v for k, v in metadata_schema.items() if k not in ("definitions", "$schema")}
    combined: dict[str, Any] = rewrite(dict(file_schema), {})
    definitions = dict(combined.get("definitions", {}))
    definitions[prefix + "root"] = rewrite(meta_root, meta_refs)
    for name, definition in meta_defs.items():
        definitions[prefix + name] = rewrite(definition, meta_refs)
    combined["definitions"] = definitions
    return combined


def _problems(
    validator: Any, data: Any, path: str, locate: Callable[[FieldPath], tuple[int, int]]
) -> list[Problem]:
    problems: set[Problem] = set()
    for error in validator.iter_errors(data):
        for leaf in _leaf_errors(error):
            field_path, message, at = _describe(leaf)
            line, col = locate(at)
            problems.add(Problem(path, line, col, dotted(field_path), message))
    return sorted(problems)


def _leaf_errors(error: Any) -> Iterator[Any]:
    """Replace a oneOf/anyOf failure by the errors of the branch that applies.

    A branch "applies" when it does not fail on a discriminator: a ``const``
    or ``enum`` it pins (``is_external: true``), or on the type of the value
    itself. check-jsonschema reports only "is not valid under any of the
    given schemas" here, or the wrong branch; we report the right one.
    """
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        yield error
        return
    by_branch: dict[int, list[Any]] = {}
    for sub in error.context:
        by_branch.setdefault(sub.schema_path[0], []).append(sub)
    branch_count = len(error.validator_value)
    for index in range(branch_count):
        by_branch.setdefault(index, [])

    def discriminated_out(subs: list[Any]) -> bool:
        for sub in subs:
            if sub.validator in ("const", "enum") and len(sub.relative_path) == 1:
                return True
            if sub.validator == "type" and not sub.relative_path:
                return True
        return False

    applicable = [subs for subs in by_branch.values() if not discriminated_out(subs)]
    if len(applicable) == 1 and applicable[0]:
        for sub in applicable[0]:
            yield from _leaf_errors(sub)
        return
    yield error  # no single branch applies: _describe words the failure as a whole


# bool before int: True is an int to isinstance, a boolean to a person.
_TYPE_NAMES = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "list"),
    (dict, "mapping"),
)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return next(
        (name for kind, name in _TYPE_NAMES if isinstance(value, kind)), type(value).__name__
    )


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _types(schema_type: Any) -> str:
    names = [schema_type] if isinstance(schema_type, str) else list(schema_type)
    mapping = {"object": "mapping", "array": "list", "number": "number"}
    return " or ".join(mapping.get(n, n) for n in names)


def _describe(error: Any) -> tuple[FieldPath, str, FieldPath]:
    """(field path, message, path to locate) for one leaf error."""
    path: FieldPath = tuple(error.absolute_path)
    value = error.instance
    kind = error.validator
    last = path[-1] if path else ""
    if kind == "required":
        missing = _missing_property(error)
        return (*path, missing), "required field is missing", path
    if kind == "additionalProperties":
        extras = _extra_properties(error)
        extra = extras[0] if extras else "?"
        allowed = sorted(error.schema.get("properties", {}))
        hint = (
            f" (known fields here: {', '.join(allowed)})" if allowed and len(allowed) <= 12 else ""
        )
        return (*path, extra), f"unknown field{hint}", (*path, extra)
    if kind == "not" and error.validator_value == {}:
        if last == "base_model_id":
            return (
                path,
                "is derived from lineage.base_models; write base models there instead",
                path,
            )
        return path, "this field is not allowed here", path
    if kind == "type":
        return (
            path,
            f"expected {_types(error.validator_value)}, got {_type_name(value)} {_show(value)}",
            path,
        )
    if kind in ("oneOf", "anyOf"):
        types = [
            s.get("type") for s in error.validator_value if isinstance(s, dict) and "type" in s
        ]
        if error.context and all(
            sub.validator == "type" and not sub.relative_path for sub in error.context
        ):
            wanted = " or ".join(_types(t) for t in types) if types else "another type"
            return path, f"expected {wanted}, got {_type_name(value)} {_show(value)}", path
        if last == "" and isinstance(value, dict) and "is_external" in value:
            return ("is_external",), "must be true or false", ("is_external",)
        if isinstance(value, dict) and path and path[-2:-1] == ("base_models",):
            if "model" not in value and "external" in value and "source" not in value:
                return (*path, "source"), "required field is missing", path
            if "model" not in value and "external" not in value:
                return (
                    (*path, "model"),
                    "required field is missing (or external: id with source)",
                    path,
                )
            return (
                path,
                "a base model is either {model: name@version} or {external: id, source: ...}, not both",
                path,
            )
        return path, "does not match any allowed form", path
    if kind == "enum":
        options = ", ".join(str(o) for o in error.validator_value)
        return path, f"must be one of: {options} (got {_show(value)})", path
    if kind == "const":
        return path, f"must be {_show(error.validator_value)} (got {_show(value)})", path
    if kind == "pattern":
        hint = PATTERN_HINTS.get(str(last), f"must match {error.validator_value}")
        return path, f"{hint} (got {_show(value)})", path
    if kind == "format":
        hint = FORMAT_HINTS.get(error.validator_value, f"not a valid {error.validator_value}")
        return path, f"{hint} (got {_show(value)})", path
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        op = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[
            kind
        ]
        return path, f"must be {op} {error.validator_value} (got {_show(value)})", path
    if kind in ("minLength", "maxLength"):
        if kind == "minLength":
            return path, "must not be empty", path
        return path, f"is longer than {error.validator_value} characters", path
    if kind == "minItems":
        return path, "must not be an empty list", path
    if kind == "uniqueItems":
        return path, "has the same item twice", path
    if kind in ("minProperties",):
        return path, "must not be empty", path
    if kind == "propertyNames":
        return path, f"has a key that is not allowed: {error.message}", path
    return path, str(error.message), path


def _missing_property(error: Any) -> str:
    match = re.match(r"^'(.*)' is a required property$", error.message)
    if match:
        return match.group(1)
    instance = error.instance if isinstance(error.instance, dict) else {}
    for name in error.validator_value:
        if name not in instance:
            return str(name)
    return "?"


def _extra_properties(error: Any) -> list[str]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    known = set(error.schema.get("properties", {}))
    patterns = list(error.schema.get("patternProperties", {}))
    return sorted(
        key for key in instance if key not in known and not any(re.search(p, key) for p in patterns)
    )


def null_problems(
    data: Mapping[str, Any], path: str, locate: Callable[[FieldPath], tuple[int, int]]
) -> list[Problem]:
    """A null value means "unknown": allowed only while a review flag names it.

    This is how seed 000's "anything ambiguous is held for human review
    rather than guessed" is written down: the field is there, it is null,
    and a ``review`` entry says why.
    """
    flagged = [
        str(flag.get("field"))
        for flag in data.get("review") or []
        if isinstance(flag, dict) and isinstance(flag.get("field"), str)
    ]

    def covered(field: str) -> bool:
        return any(
            field == f or field.startswith(f + ".") or field.startswith(f + "[") for f in flagged
        )

    problems = []
    unflagged = {k: v for k, v in data.items() if k != "review"}  # a flag's "known" may be anything
    for field_path in _null_paths(unflagged, ()):
        field = dotted(field_path)
        if not covered(field):
            line, col = locate(field_path)
            problems.append(
                Problem(
                    path,
                    line,
                    col,
                    field,
                    "is null (unknown) but no review flag names it; "
                    "fill it in, remove it, or add a review entry for it",
                )
            )
    return problems


def _null_paths(value: Any, prefix: FieldPath) -> Iterator[FieldPath]:
    """The path of every None under ``value``, in document order, without a call per value."""
    if not isinstance(value, (dict, list)):
        return
    stack: list[tuple[Iterator[tuple[Any, Any]], FieldPath]] = [(_entries(value), prefix)]
    while stack:
        entries, path = stack[-1]
        for key, item in entries:
            if item is None:
                yield (*path, key)
            elif isinstance(item, (dict, list)):
                stack.append((_entries(item), (*path, key)))
                break
        else:
            stack.pop()


def _entries(node: dict[Any, Any] | list[Any]) -> Iterator[tuple[Any, Any]]:
    return iter(node.items()) if isinstance(node, dict) else enumerate(node)


def validate_metadata(metadata: Mapping[str, Any], review_fields: Iterable[str] = ()) -> None:
    """Check seed 000's ``artifacts.metadata`` for a model; raise ValidationError.

    ``review_fields`` names the fields that are held for human review and so
    may be null. The error's message names every problem, one per line.
    """
    schemas = Schemas.load(None)
    problems = schemas.metadata_problems(metadata)
    if isinstance(metadata, Mapping) and not problems:
        flags = [{"field": f, "reason": "held for review"} for f in review_fields]
        problems = null_problems({**metadata, "review": flags}, "<metadata>", lambda _: (0, 0))
        problems = [p for p in problems if not p.field.startswith("review")]
    if problems:
        raise ValidationError(
            [Problem(p.path, p.line, p.col, p.field, p.message) for p in problems],
            summary="invalid model metadata:",
        )


def located_problems(
    schema: Mapping[str, Any],
    data: Any,
    path: str,
    locate: Callable[[FieldPath], tuple[int, int]],
) -> list[Problem]:
    """Problems of ``data`` against any Draft-07 ``schema`` (the policy file's, say), located."""
    from jsonschema import Draft7Validator

    return _problems(Draft7Validator(dict(schema)), data, path, locate)
