"""Search: one expression language over every field of a model version.

    promotion = 'promoted' AND metrics.accuracy > 0.8
    name LIKE 'maj%' AND (status = 'deployed' OR tags = 'coder')
    created_at >= '2026-01-01' AND NOT owner IN ('bob', 'carol')
    derived_from = 'huggingface:Qwen/Qwen2.5-Coder-7B' AND training.cost_usd IS NOT NULL

The library API (the CLI, the web site and the MLflow endpoints all use it):

    parse(expr) -> Expr                         SearchSyntaxError names the column
    matches(expr, version, registry=None) -> bool
    parse_order_by("metrics.accuracy desc, name") -> list[OrderKey]
    search(registry, expr, order_by=None, limit=None) -> list[ModelVersion]
    search_values(...) -> [(version, {field: value})]   the same, with the values it read

**Fields** are dotted paths into the file (``training.trained_by``,
``evaluation_metrics.rouge.rouge1``, ``files.gguf.uri``); a path through a
list reaches every item (``training_data.name``, ``deployments.env``).
Shorter names: ``metrics.X`` (``evaluation_metrics.X``, else
``evaluation_metrics.custom.X``), ``params.X`` (``training_config.X``),
``promotion`` (``promotion.state``), ``parent`` (``lineage.parent``),
``tags`` (the list), ``tags.X`` (true when X is a tag), ``deployed`` (the
environments the version is active in), ``base_models`` (the canonical ids
of its direct base models: ``majora@v1``, ``huggingface:Qwen/Qwen2.5-Coder-7B``),
``derived_from`` (those of everything it derives from, through every
generation), ``latest`` (true for each model's latest version), and
``name``, ``version``, ``ref``, ``artifact_id``, ``path``.

**Operators**: ``= != <> < <= > >=``, ``[NOT] LIKE`` and ``[NOT] ILIKE``
(``%`` any text, ``_`` one character, ``\\`` escapes), ``[NOT] IN (...)``,
``IS [NOT] NULL``, ``AND``, ``OR``, ``NOT``, parentheses. Keywords are
case-insensitive. Strings are quoted with ``'`` or ``"`` (a quote doubled
inside); a key with other characters is written in backticks
(``tags.`coder-v2```).

**Types**: numbers compare as numbers, timestamps (ISO 8601; a date alone
is 00:00 UTC) as times, versions (``version``, ``parent``) in version order
(v10 after v9), other text as text. A comparison of a missing field, or of
values of different types, is unknown, as in SQL: ``NOT`` of unknown is
unknown, and only a true answer matches. On a list field a comparison
holds when it holds for some item; ``!=``, ``NOT LIKE`` and ``NOT IN`` hold
when the positive form holds for none. ``IS NULL`` holds for a missing
field, a null and an empty list.

**Order**: ``--order-by FIELD [asc|desc], ...``; versions without the
field come last either way; ties are in (name, version) order.

**Cost**: a search reads, per model, one stored column of values per field
it names (Registry.per_model, keyed by the model folder's tree id), evaluates
the expression a column at a time, and builds versions only for the matches:
O(versions) small steps, with memory flat as the registry grows.

Why ~1,000 lines in one module: it is one language (tokens, parser, the field
table, three-valued evaluation, ordering, the columns a search reads), read
together; split, the meaning of one operator would be spread over files.
"""

from __future__ import annotations

import json
import math
import re
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from afsreg.errors import AfsregError
from afsreg.format.record import ModelVersion
from afsreg.format.versions import is_valid_version, version_key

if TYPE_CHECKING:
    from afsreg.read.lineage import LineageGraph
    from afsreg.registry import Registry

T = TypeVar("T")


class SearchSyntaxError(AfsregError):
    """An expression that does not parse; ``column`` is 1-based."""

    def __init__(self, expr: str, column: int, message: str) -> None:
        self.expr = expr
        self.column = column
        self.reason = message
        pointer = " " * (column - 1) + "^"
        super().__init__(f"search expression, column {column}: {message}\n  {expr}\n  {pointer}")


# -- the expression tree ------------------------------------------------------

Literal = str | int | float | bool | None
_IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def field_text(path: tuple[str, ...]) -> str:
    return ".".join(
        p if _IDENT_RE.match(p) and p.upper() not in KEYWORDS else f"`{p}`" for p in path
    )


def _literal_text(value: Literal) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class Compare:
    field: tuple[str, ...]
    op: str  # = != < <= > >=
    value: Literal

    def __str__(self) -> str:
        return f"{field_text(self.field)} {self.op} {_literal_text(self.value)}"


@dataclass(frozen=True)
class Like:
    field: tuple[str, ...]
    pattern: str
    insensitive: bool = False
    negated: bool = False

    def __str__(self) -> str:
        op = ("NOT " if self.negated else "") + ("ILIKE" if self.insensitive else "LIKE")
        return f"{field_text(self.field)} {op} {_literal_text(self.pattern)}"


@dataclass(frozen=True)
class In:
    field: tuple[str, ...]
    values: tuple[Literal, ...]
    negated: bool = False

    def __str__(self) -> str:
        items = ", ".join(_literal_text(v) for v in self.values)
        return f"{field_text(self.field)} {'NOT IN' if self.negated else 'IN'} ({items})"


@dataclass(frozen=True)
class IsNull:
    field: tuple[str, ...]
    negated: bool = False

    def __str__(self) -> str:
        return f"{field_text(self.field)} IS {'NOT NULL' if self.negated else 'NULL'}"


@dataclass(frozen=True)
class Not:
    operand: Expr

    def __str__(self) -> str:
        return f"NOT {_wrapped(self.operand)}"


@dataclass(frozen=True)
class _Connective:
    """AND and OR: two operands, written with the parentheses precedence needs (AND binds tighter)."""

    left: Expr
    right: Expr

    def __str__(self) -> str:
        if isinstance(self, And):
            return f"{_wrapped(self.left, Or)} AND {_wrapped(self.right, Or, And)}"
        return f"{self.left} OR {_wrapped(self.right, Or)}"


class And(_Connective):
    """Both operands (the dataclass's equality tells And from Or by class)."""


class Or(_Connective):
    """Either operand."""


Expr = Compare | Like | In | IsNull | Not | And | Or


def _wrapped(expr: Expr, *kinds: type) -> str:
    """Parenthesised where the precedence needs it (``str(parse(x))`` parses back to the same tree)."""
    needs = isinstance(expr, And | Or) if not kinds else isinstance(expr, kinds)
    return f"({expr})" if needs else str(expr)


def fields_of(expr: Expr) -> set[tuple[str, ...]]:
    """Every field an expression reads."""
    if isinstance(expr, Not):
        return fields_of(expr.operand)
    if isinstance(expr, And | Or):
        return fields_of(expr.left) | fields_of(expr.right)
    return {expr.field}


# -- tokens and the parser ----------------------------------------------------

KEYWORDS = {"AND", "OR", "NOT", "LIKE", "ILIKE", "IN", "IS", "NULL", "TRUE", "FALSE"}
_TOKEN_RE = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
  | (?P<op><=|>=|<>|!=|==|=|<|>)
  | (?P<punct>[(),.])
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<quoted>`[^`]*`)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # number string op punct word quoted end
    text: str
    column: int  # 1-based

    @property
    def keyword(self) -> str | None:
        return self.text.upper() if self.kind == "word" and self.text.upper() in KEYWORDS else None


def tokenize(expr: str) -> list[Token]:
    tokens = []
    pos = 0
    while pos < len(expr):
        match = _TOKEN_RE.match(expr, pos)
        if match is None:
            char = expr[pos]
            if char in "'\"":
                raise SearchSyntaxError(expr, pos + 1, f"unterminated string (no closing {char})")
            if char == "`":
                raise SearchSyntaxError(expr, pos + 1, "unterminated `quoted` name")
            raise SearchSyntaxError(expr, pos + 1, f"unexpected character {char!r}")
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group(), pos + 1))
        pos = match.end()
    tokens.append(Token("end", "", len(expr) + 1))
    return tokens


class _Parser:
    """Recursive descent; one method per rule, lowest precedence first.

    expr      := and_expr (OR and_expr)*
    and_expr  := not_expr (AND not_expr)*
    not_expr  := NOT not_expr | '(' expr ')' | predicate
    predicate := field ( OP literal | [NOT] (LIKE|ILIKE) string
                       | [NOT] IN '(' literal (',' literal)* ')' | IS [NOT] NULL )
    field     := name ('.' name)*          name := word | `quoted`
    literal   := number | string | TRUE | FALSE | NULL
    """

    def __init__(self, expr: str) -> None:
        self.expr = expr
        self.tokens = tokenize(expr)
        self.pos = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def fail(self, message: str, token: Token | None = None) -> SearchSyntaxError:
        token = token or self.token
        found = "the end of the expression" if token.kind == "end" else repr(token.text)
        return SearchSyntaxError(self.expr, token.column, f"{message}, found {found}")

    def parse(self) -> Expr:
        if self.token.kind == "end":
            raise SearchSyntaxError(self.expr, 1, "empty expression (e.g. metrics.accuracy > 0.8)")
        expr = self.or_expr()
        if self.token.kind != "end":
            raise self.fail("expected AND, OR or the end of the expression")
        return expr

    def or_expr(self) -> Expr:
        return self._chain("OR", self.and_expr, Or)

    def and_expr(self) -> Expr:
        return self._chain("AND", self.not_expr, And)

    def _chain(
        self, keyword: str, operand: Callable[[], Expr], node: Callable[[Expr, Expr], Expr]
    ) -> Expr:
        """``operand (KEYWORD operand)*``, grouped from the left."""
        expr = operand()
        while self.token.keyword == keyword:
            self.advance()
            expr = node(expr, operand())
        return expr

    def not_expr(self) -> Expr:
        if self.token.keyword == "NOT":
            self.advance()
            return Not(self.not_expr())
        if self.token.text == "(" and self.token.kind == "punct":
            opening = self.advance()
            expr = self.or_expr()
            if self.token.text != ")":
                raise self.fail(f"expected ')' to close the '(' at column {opening.column}")
            self.advance()
            return expr
        return self.predicate()

    def field(self) -> tuple[str, ...]:
        parts = [self.name()]
        while self.token.kind == "punct" and self.token.text == ".":
            self.advance()
            parts.append(self.name())
        return tuple(parts)

    def name(self) -> str:
        token = self.token
        if token.kind == "quoted":
            self.advance()
            if len(token.text) == 2:
                raise SearchSyntaxError(self.expr, token.column, "empty `quoted` name")
            return token.text[1:-1]
        if token.kind == "word" and token.keyword is None:
            self.advance()
            return token.text
        raise self.fail("expected a field name (e.g. metrics.accuracy, tags, name)")

    def predicate(self) -> Expr:
        field = self.field()
        token = self.token
        if token.kind == "op":
            self.advance()
            op = {"==": "=", "<>": "!="}.get(token.text, token.text)
            return Compare(field, op, self.literal(f"expected a value after {token.text!r}"))
        negated = False
        if token.keyword == "NOT":
            self.advance()
            negated = True
        keyword = self.token.keyword
        if keyword in ("LIKE", "ILIKE"):
            self.advance()
            pattern = self.token
            if pattern.kind != "string":
                raise self.fail(f"expected a quoted pattern after {keyword} (e.g. 'maj%')")
            self.advance()
            return Like(field, _unquote(pattern.text), keyword == "ILIKE", negated)
        if keyword == "IN":
            self.advance()
            if self.token.text != "(":
                raise self.fail("expected '(' after IN")
            self.advance()
            values = [self.literal("expected a value in the IN list")]
            while self.token.text == ",":
                self.advance()
                values.append(self.literal("expected a value after ','"))
            if self.token.text != ")":
                raise self.fail("expected ',' or ')' in the IN list")
            self.advance()
            return In(field, tuple(values), negated)
        if negated:
            raise self.fail("expected LIKE, ILIKE or IN after NOT")
        if keyword == "IS":
            self.advance()
            is_not = self.token.keyword == "NOT"
            if is_not:
                self.advance()
            if self.token.keyword != "NULL":
                raise self.fail("expected NULL after IS" + (" NOT" if is_not else ""))
            self.advance()
            return IsNull(field, is_not)
        name = field_text(field)
        raise self.fail(
            f"expected an operator after {name} (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS NULL)"
        )

    def literal(self, message: str) -> Literal:
        token = self.token
        if token.kind == "number":
            self.advance()
            text = token.text
            value: float = float(text)
            if not math.isfinite(value):
                raise SearchSyntaxError(self.expr, token.column, f"number out of range: {text}")
            return int(text) if re.fullmatch(r"-?\d+", text) else value
        if token.kind == "string":
            self.advance()
            return _unquote(token.text)
        if token.keyword in ("TRUE", "FALSE", "NULL"):
            self.advance()
            return {"TRUE": True, "FALSE": False, "NULL": None}[token.keyword]
        if token.kind == "word" and token.keyword is None:
            raise self.fail(
                message + f" (to compare with the text {token.text}, quote it: '{token.text}')"
            )
        raise self.fail(message)


def _unquote(text: str) -> str:
    quote = text[0]
    return text[1:-1].replace(quote * 2, quote)


@lru_cache(maxsize=256)
def parse(expr: str) -> Expr:
    """The expression tree of ``expr``; SearchSyntaxError (with the column) when it does not parse."""
    return _Parser(expr).parse()


# -- field values -------------------------------------------------------------

_ABSENT: Any = object()
SUMMARY_FIELDS = {
    "name": "name",
    "version": "version",
    "artifact_id": "artifact_id",
    "owner": "owner",
    "framework": "framework",
    "model_family": "model_family",
    "title": "title",
    "status": "status",
    "promotion": "promotion_state",
    "promotion_state": "promotion_state",
    "parent": "parent",
}
REGISTRY_FIELDS = {"derived_from", "latest"}


# Field values read from the files of a registry, by field and blob id (see Context.project),
# shared by every Context of that registry in a process.
_PROJECTED: weakref.WeakKeyDictionary[Registry, dict[tuple[str, ...], dict[str, Any]]] = (
    weakref.WeakKeyDictionary()
)


class Context:
    """What field values need beyond one file: the registry's lineage graph and latest versions.

    It also holds the values of file fields projected for the whole registry
    (``project``), so an expression reads one stored value per version and
    field instead of parsing every file.
    """

    def __init__(self, registry: Registry | None) -> None:
        self.registry = registry
        self._graph: LineageGraph | None = None
        self._latest: set[str] | None = None
        self.values: dict[tuple[str, ...], dict[str, Any]] = (
            _PROJECTED.setdefault(registry, {}) if registry is not None else {}
        )

    def project(self, fields: Iterable[tuple[str, ...]]) -> None:
        """Read (or compute once and store) every version's value of each file field in ``fields``."""
        wanted = sorted({tuple(f) for f in fields if reads_file(f)} - self.values.keys())
        if not wanted or self.registry is None:
            return
        from afsreg.git.projections import project
        from afsreg.git.repo import git_dir

        def compute(field: tuple[str, ...]) -> Callable[[ModelVersion], Any]:
            return lambda version: field_value(version, field)

        keys = {f"search:{field_text(f)}": f for f in wanted}
        found = project(
            self.registry, {k: compute(f) for k, f in keys.items()}, git_dir(self.registry.root)
        )
        for key, field in keys.items():
            self.values[field] = found[key]

    def need_registry(self, field: str) -> Registry:
        if self.registry is None:
            raise AfsregError(f"the field {field} needs the whole registry (pass registry=)")
        return self.registry

    def derived_from(self, version: ModelVersion) -> list[str]:
        if self._graph is None:
            from afsreg.read.lineage import LineageGraph

            self._graph = LineageGraph.from_versions(self.need_registry("derived_from"))
        return [s.node.id for s in self._graph.ancestors(version.ref_text)[1:]]

    def is_latest(self, version: ModelVersion) -> bool:
        if self._latest is None:
            registry = self.need_registry("latest")
            found = (registry.latest(name) for name in registry.models())
            self._latest = {v.ref_text for v in found if v is not None}
        return version.ref_text in self._latest


def _walk(value: Any, path: Sequence[str]) -> Any:
    """Follow a dotted path; through a list, into every item (a list of what was found)."""
    for i, part in enumerate(path):
        if isinstance(value, list):
            found = [_walk(item, path[i:]) for item in value]
            flat: list[Any] = []
            for item in found:
                if isinstance(item, list):
                    flat.extend(item)
                elif item is not _ABSENT:
                    flat.append(item)
            return flat
        if not isinstance(value, dict) or part not in value:
            return _ABSENT
        value = value[part]
    return value


def field_value(version: ModelVersion, field: Sequence[str], context: Context | None = None) -> Any:
    """The value of a field for one version (None when it is missing)."""
    head, rest = field[0], tuple(field[1:])
    summary_key = SUMMARY_FIELDS.get(head)
    if summary_key is not None and not rest:
        return version.summary.get(summary_key)
    if context is not None:
        projected = context.values.get(tuple(field))
        if projected is not None and version.blob_id in projected:
            return projected[version.blob_id]
    if not rest:
        if head == "ref":
            return version.ref_text
        if head == "path":
            return version.path
        if head == "deployed":
            return version.active_envs
        if head == "tags":
            tags = version.data.get("tags")
            return tags if isinstance(tags, list) else None
        if head == "base_models":
            from afsreg.format.refs import base_model_id

            return [base_model_id(b) for b in version.base_models]
        if head == "derived_from":
            return (context or Context(None)).derived_from(version)
        if head == "latest":
            return (context or Context(None)).is_latest(version)
    data = version.data
    if head == "tags" and len(rest) == 1:
        tags = data.get("tags")
        return True if isinstance(tags, list) and rest[0] in tags else None
    if head == "metrics":
        metrics = data.get("evaluation_metrics")
        found = _walk(metrics, rest)
        if found is _ABSENT:
            found = _walk(metrics, ("custom", *rest))
    elif head == "params":
        found = _walk(data.get("training_config"), rest)
    elif head == "promotion" and not rest:
        found = version.promotion_state
    elif head == "parent" and not rest:
        found = version.parent
    else:
        found = _walk(data, field)
    return None if found is _ABSENT else found


_NOT_IN_FILE = {"ref", "path", "deployed", "base_models", "derived_from", "latest"}


def reads_file(field: Sequence[str]) -> bool:
    """Whether the field's value is read from the file (not from the summary or the registry).

    Such a value is a function of the blob alone, so it can be stored by blob id.
    """
    return len(field) > 1 or (field[0] not in SUMMARY_FIELDS and field[0] not in _NOT_IN_FILE)


def needs_data(fields: Iterable[tuple[str, ...]]) -> bool:
    """Whether some field is read from the file (not only from the registry's summary)."""
    return any(reads_file(f) for f in fields)


# -- evaluation (three-valued, as SQL) -----------------------------------------

Truth = bool | None
_VERSION_FIELDS = {("version",), ("parent",), ("lineage", "parent")}


@lru_cache(maxsize=4096)  # a search compares the same few texts (states, names) 100,000 times
def _timestamp(value: str) -> datetime | None:
    from afsreg.git.asof import parse_when

    try:
        return parse_when(value)
    except AfsregError:
        return None


# The comparison operators, shared with the MLflow filter grammar (afsreg.web.mlflow).
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: bool(a == b),
    "!=": lambda a, b: bool(a != b),
    "<": lambda a, b: bool(a < b),
    "<=": lambda a, b: bool(a <= b),
    ">": lambda a, b: bool(a > b),
    ">=": lambda a, b: bool(a >= b),
}


@lru_cache(maxsize=256, typed=True)  # typed: 1, 1.0 and True are three literals
def _comparer(field: tuple[str, ...], op: str, b: Literal) -> Callable[[Any], Truth]:
    """``a OP b`` as a function of ``a``: typed comparison, unknown (None) when types differ.

    Numbers compare as numbers, booleans only with booleans, text as
    versions (``version``, ``parent``), else as times when both are
    timestamps, else as text; anything else, or a null, is unknown. What
    depends on ``b`` alone is worked out once, not for every version.
    """
    compare = COMPARISONS[op]
    if b is None:
        return lambda a: None
    if isinstance(b, bool):
        return lambda a: compare(a, b) if isinstance(a, bool) else None
    if isinstance(b, int | float):
        return lambda a: (
            compare(a, b) if isinstance(a, int | float) and not isinstance(a, bool) else None
        )
    text = b
    b_version = version_key(text) if field in _VERSION_FIELDS and is_valid_version(text) else None
    b_time = _timestamp(text)

    def compare_text(a: Any) -> Truth:
        if not isinstance(a, str):
            return None
        if b_version is not None and is_valid_version(a):
            return compare(version_key(a), b_version)
        if b_time is not None:
            a_time = _timestamp(a)
            if a_time is not None:
                return compare(a_time, b_time)
        return compare(a, text)

    return compare_text


def _any(items: list[Any], test: Callable[[Any], Truth]) -> Truth:
    """SQL's ANY: true if some item is, else unknown if some item is unknown, else false."""
    unknown = False
    for item in items:
        result = test(item)
        if result:
            return True
        unknown = unknown or result is None
    return None if unknown else False


@lru_cache(maxsize=256)
def _like_regex(pattern: str, insensitive: bool) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        i += 1
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if insensitive else 0))


def evaluate(expr: Expr, version: ModelVersion, context: Context | None = None) -> Truth:
    """True, False, or None (unknown) for one version."""
    return truth(expr, lambda field: field_value(version, field, context))


def truth(expr: Expr, value_of: Callable[[tuple[str, ...]], Any]) -> Truth:
    """True, False, or None (unknown), reading each field's value with ``value_of``.

    The one evaluation of an expression: over a version (``evaluate``) or
    over a compact row of the values a search read (``search_values``).
    """
    if isinstance(expr, And | Or):
        # A false operand decides an AND, a true one an OR; else unknown if either is.
        decisive = isinstance(expr, Or)
        left = truth(expr.left, value_of)
        if left is decisive:
            return decisive
        right = truth(expr.right, value_of)
        if right is decisive:
            return decisive
        return None if left is None or right is None else not decisive
    if isinstance(expr, Not):
        inner = truth(expr.operand, value_of)
        return None if inner is None else not inner
    return _test(expr)(value_of(expr.field))


Predicate = Compare | Like | In | IsNull


@lru_cache(maxsize=256)
def _test(expr: Predicate) -> Callable[[Any], Truth]:
    """One predicate as a function of its field's value: the meaning of every operator."""
    if isinstance(expr, IsNull):
        negated = expr.negated

        def is_null(value: Any) -> Truth:
            empty = value is None or value == [] or value == {}
            return not empty if negated else empty

        return is_null
    item: Callable[[Any], Truth]
    negated = expr.op == "!=" if isinstance(expr, Compare) else expr.negated
    if isinstance(expr, Compare):
        item = _comparer(expr.field, "=" if expr.op == "!=" else expr.op, expr.value)
    elif isinstance(expr, Like):
        regex = _like_regex(expr.pattern, expr.insensitive)

        def item(a: Any) -> Truth:
            return None if not isinstance(a, str) else regex.fullmatch(a) is not None
    else:
        equals = [_comparer(expr.field, "=", b) for b in expr.values]

        def item(a: Any) -> Truth:
            return _any(equals, lambda equal: equal(a))

    def test(value: Any) -> Truth:
        if isinstance(value, list):
            if not value:
                return None
            result = _any(value, item)
        else:
            result = item(value)  # SQL's ANY over one item is that item's answer
        if negated:
            return None if result is None else not result
        return result

    return test


def _truths(expr: Expr, columns: Mapping[tuple[str, ...], list[Any]]) -> list[Truth]:
    """``truth`` for every row of ``columns``, a column at a time (the same answers, fewer calls)."""
    if isinstance(expr, And | Or):
        left = _truths(expr.left, columns)
        right = _truths(expr.right, columns)
        decisive = isinstance(expr, Or)
        return [
            decisive
            if a is decisive or b is decisive
            else None
            if a is None or b is None
            else not decisive
            for a, b in zip(left, right, strict=True)
        ]
    if isinstance(expr, Not):
        return [None if t is None else not t for t in _truths(expr.operand, columns)]
    return list(map(_test(expr), columns[expr.field]))


def matches(expr: Expr | str, version: ModelVersion, registry: Registry | None = None) -> bool:
    """Whether ``version`` matches (only a true answer does, as in SQL's WHERE)."""
    tree = parse(expr) if isinstance(expr, str) else expr
    return evaluate(tree, version, Context(registry)) is True


# -- ordering and the search itself --------------------------------------------


@dataclass(frozen=True)
class OrderKey:
    field: tuple[str, ...]
    descending: bool = False

    def __str__(self) -> str:
        return field_text(self.field) + (" DESC" if self.descending else "")


def parse_order_by(text: str | Sequence[str] | None) -> list[OrderKey]:
    """``"metrics.accuracy desc, name"`` (or a list of such) -> order keys."""
    if text is None:
        return []
    items = [text] if isinstance(text, str) else list(text)
    keys = []
    for item in items:
        for part in item.split(","):
            words = part.strip()
            if not words:
                continue
            direction = None
            head, _, last = words.rpartition(" ")
            if head and last.upper() in ("ASC", "DESC"):
                words, direction = head.strip(), last.upper()
            parser = _Parser(words)
            try:
                field = parser.field()
            except SearchSyntaxError as exc:
                raise SearchSyntaxError(
                    part.strip(), exc.column, f"order by: {exc.reason}"
                ) from None
            if parser.token.kind != "end":
                raise parser.fail("order by: expected FIELD [ASC|DESC]")
            keys.append(OrderKey(field, direction == "DESC"))
    return keys


def _sort_value(field: tuple[str, ...], value: Any) -> tuple[int, Any] | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or isinstance(value, dict):
        return None
    if isinstance(value, bool):
        return 0, int(value)
    if isinstance(value, int | float):
        return 1, value
    text = str(value)
    if field in _VERSION_FIELDS and is_valid_version(text):
        return 2, version_key(text)
    moment = _timestamp(text)
    if moment is not None:
        return 3, moment.timestamp()
    return 4, text


def order(
    versions: list[ModelVersion], keys: Sequence[OrderKey], context: Context | None = None
) -> list[ModelVersion]:
    """Sorted by the keys (stable: ties keep the given order); missing values last."""
    return _ordered(versions, keys, lambda v, field: field_value(v, field, context))


def _ordered(
    items: list[T], keys: Sequence[OrderKey], value_of: Callable[[T, tuple[str, ...]], Any]
) -> list[T]:
    """``items`` sorted by the keys, each item's value of a field read with ``value_of``."""
    result = list(items)
    for key in reversed(keys):
        values = [(item, _sort_value(key.field, value_of(item, key.field))) for item in result]
        present = [(item, s) for item, s in values if s is not None]
        present.sort(key=lambda pair: pair[1], reverse=key.descending)
        result = [item for item, _ in present] + [item for item, s in values if s is None]
    return result


def search(
    registry: Registry,
    expr: Expr | str | None = None,
    order_by: str | Sequence[str] | Sequence[OrderKey] | None = None,
    limit: int | None = None,
) -> list[ModelVersion]:
    """The versions of ``registry`` matching ``expr`` (all when None), ordered, at most ``limit``."""
    return [version for version, _ in search_values(registry, expr, order_by, limit)]


Values = dict[tuple[str, ...], Any]


def search_values(
    registry: Registry,
    expr: Expr | str | None = None,
    order_by: str | Sequence[str] | Sequence[OrderKey] | None = None,
    limit: int | None = None,
) -> list[tuple[ModelVersion, Values]]:
    """``search``, each match with its values of the fields the expression and ORDER BY read.

    Every field but ``derived_from`` depends on one model's files alone, so
    the values of a field are read per model, as a column stored by the
    model folder's tree id (Registry.per_model; a file field is computed from
    the field store by blob id on a miss). The expression runs over compact
    rows of those values, a batch of models at a time; only the matches
    become versions.
    """
    tree = parse(expr) if isinstance(expr, str) else expr
    keys: list[OrderKey]
    if order_by is None or isinstance(order_by, str):
        keys = parse_order_by(order_by)
    else:
        keys = [k if isinstance(k, OrderKey) else parse_order_by(k)[0] for k in order_by]
    if limit is not None and limit < 0:
        raise AfsregError(f"limit must be 0 or more, not {limit}")
    fields = sorted((fields_of(tree) if tree is not None else set()) | {k.field for k in keys})
    if ("derived_from",) in fields:  # it depends on other models: the whole registry in memory
        return _search_in_memory(registry, tree, keys, limit, fields)
    matched: list[tuple[tuple[str, str], Values]] = []
    computes = {
        _VERSIONS_KIND: _version_names,
        **{column_kind(f): column(registry, f) for f in fields},
    }
    for name, found in registry.per_model(computes):
        names = found[_VERSIONS_KIND]
        columns = {f: found[column_kind(f)] for f in fields}
        truths = _truths(tree, columns) if tree is not None else [True] * len(names)
        for index, version in enumerate(names):
            if truths[index] is True:
                matched.append(((name, version), {f: columns[f][index] for f in fields}))
    matched = _ordered(matched, keys, lambda item, field: item[1][field])
    if limit is not None:
        matched = matched[:limit]
    versions = {(v.name, v.version): v for v in registry.select(ref for ref, _ in matched)}
    return [(versions[ref], row) for ref, row in matched if ref in versions]


def _search_in_memory(
    registry: Registry,
    tree: Expr | None,
    keys: list[OrderKey],
    limit: int | None,
    fields: list[tuple[str, ...]],
) -> list[tuple[ModelVersion, Values]]:
    """search_values over every version in memory (what a field across models needs)."""
    context = Context(registry)
    context.project(fields)  # only the file fields named, from the store: no file parsed
    found = (
        list(registry)
        if tree is None
        else [v for v in registry if evaluate(tree, v, context) is True]
    )
    found = order(found, keys, context)
    found = found if limit is None else found[:limit]
    return [(v, {f: field_value(v, f, context) for f in fields}) for v in found]


# The per-model values a search reads (afsreg.registry.Registry.per_model): each
# model's version names, and a column per field ("search:" and the field; no field
# can be named like the first).
_VERSIONS_KIND = "search/versions"


def column_kind(field: tuple[str, ...]) -> str:
    """The name a field's column is stored under, per model."""
    return f"search:{field_text(field)}"


def _version_names(batch: Mapping[str, list[ModelVersion]]) -> dict[str, list[str]]:
    return {name: [v.version for v in versions] for name, versions in batch.items()}


def column(
    registry: Registry, field: tuple[str, ...]
) -> Callable[[Mapping[str, list[ModelVersion]]], dict[str, list[Any]]]:
    """What computes a field's values for a batch of models: name -> a value per version.

    Each value is what ``field_value`` gives with the registry's context, as
    JSON reads it back (a file field's value comes from the field store, read
    back the same way): so a stored column answers as the computation would.
    """

    def compute(batch: Mapping[str, list[ModelVersion]]) -> dict[str, list[Any]]:
        from afsreg.registry import latest_of

        context = Context(None)
        if reads_file(field):
            versions = [v for vs in batch.values() for v in vs]
            context.values[field] = _project(registry, field, versions)
        found = {}
        for name, versions in batch.items():
            if field == ("latest",):
                latest = latest_of(versions)
                values = [latest is not None and v.ref_text == latest.ref_text for v in versions]
            else:
                values = [field_value(v, field, context) for v in versions]
            found[name] = [_as_read(value) for value in values]
        return found

    return compute


def _project(
    registry: Registry, field: tuple[str, ...], versions: list[ModelVersion]
) -> dict[str, Any]:
    """blob id -> the field's value for ``versions`` (a batch), through the field store."""
    from afsreg.git.projections import project
    from afsreg.git.repo import git_dir

    def compute(version: ModelVersion) -> Any:
        return field_value(version, field)

    key = f"search:{field_text(field)}"
    return project(versions, {key: compute}, git_dir(registry.root), prune=False)[key]


def _as_read(value: Any) -> Any:
    """``value`` as JSON reads it back; as it is when JSON cannot write it (as the field store does)."""
    if value is None or isinstance(value, str | int | float):
        return value  # the same after a round trip (bool is an int)
    try:
        return json.loads(json.dumps(value, separators=(",", ":")))
    except (TypeError, ValueError):
        return value


def known_fields(registry: Registry, sample: int = 200) -> list[str]:
    """Field names to suggest for a mistyped one: the aliases, and the dotted paths of some files."""
    from afsreg.format.fields import flatten

    names = set(ALIASES)
    for v in _first_versions(registry, sample):
        names.update(flatten(v.data))
        names.update(f"metrics.{k}" for k in flatten(v.data.get("evaluation_metrics") or {}))
    return sorted(names)


def _first_versions(registry: Registry, count: int) -> list[ModelVersion]:
    """The first ``count`` versions in registry order, reading only the models they are in."""
    found: list[ModelVersion] = []
    for name in registry.models():
        if len(found) >= count:
            break
        found.extend(registry.versions(name))
    return found[:count]


ALIASES = {*SUMMARY_FIELDS, "ref", "path", "deployed", "tags", "base_models", *REGISTRY_FIELDS}


def unknown_fields(
    registry: Registry, expr: Expr | None, keys: Sequence[OrderKey] = ()
) -> list[str]:
    """Fields no version of the registry has (likely mistyped), for a warning.

    Read from the same per-model columns as a search, stopping at the first
    model that has a value for every field in question.
    """
    fields = (fields_of(expr) if expr is not None else set()) | {k.field for k in keys}
    asked = [
        field
        for field in sorted(fields)
        if not (len(field) == 1 and field[0] in ALIASES)
        and not (field[0] == "tags" and len(field) == 2)
    ]
    seen: set[tuple[str, ...]] = set()
    if asked:
        computes = {column_kind(f): column(registry, f) for f in asked}
        for _, found in registry.per_model(computes):
            seen.update(f for f in asked if any(v is not None for v in found[column_kind(f)]))
            if len(seen) == len(asked):
                break
    return [field_text(field) for field in asked if field not in seen]
