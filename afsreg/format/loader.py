"""Safe, strict loading of model files, and finding the line of a field.

Model files are plain data. We parse with libyaml's C parser where it is
available, then build Python values ourselves from the node graph, so that:

- only the YAML core tags (str, int, float, bool, null, map, seq) are built;
  a tag that would build a Python object is refused;
- timestamps are not resolved: ``2026-01-14T12:00:00Z`` stays a string and is
  checked by the schema's ``date-time`` format, instead of turning into a
  ``datetime`` that fails as "not of type string";
- duplicate keys are an error (PyYAML silently keeps the last one);
- aliases are expanded under a budget, and nesting under a depth limit, so a
  "billion laughs" file or a deeply nested one fails fast with a clear error;
- NaN and infinities are refused: no field has a use for them;
- a core tag must build its value (``!!bool "maybe"`` is an error, not a
  crash), integers have at most MAX_INT_DIGITS digits, and number forms that
  YAML 1.1 and YAML 1.2 read differently (``017``, ``1:20``, ``0b11``,
  ``1_000``) are refused rather than guessed (docs/format.md, "Numbers").

Most files are read by yaml-rs, a Rust parser ~4x faster than the above
(``_fast_load``), but only when a cheap scan of the text and a walk of the
result show that the strict loader would build the same data; anything else
is read strictly, and the strict loader words every error.

Locations are not kept with the data (that would cost memory on large
registries); ``locator`` re-reads a file once to find the lines of every
problem it has to report.

Why ~550 lines in one module: every limit the format sets (tags, depth, aliases,
sizes, numbers) is enforced while building values, in one pass, and the fast
path's guard is written against those same limits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import yaml

from afsreg.errors import AfsregError
from afsreg.format.field_paths import dotted

try:  # libyaml's C parser is ~10x faster; fall back to pure Python without it.
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    # The pure-Python loader is another class than CSafeLoader, with the same interface.
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 100_000
# Aliases can repeat a long string: the text of every value built is budgeted
# too, so a small file cannot expand into hundreds of megabytes.
MAX_EXPANDED_CHARS = 4 * MAX_FILE_BYTES
# No field needs more; Python refuses to convert past 4,300 digits anyway.
MAX_INT_DIGITS = 100
# Collections are composed recursively in C (with no depth limit in older
# libyaml builds), so a text that could nest deeper than MAX_DEPTH is first
# checked with the iterative event parser. Flow nesting needs brackets; block
# nesting needs either indentation or "- " / "? " / ": " markers at the start
# of a line (each block level adds at least one column, or two for a
# sequence), so a text with few brackets and short line prefixes cannot be
# deep and skips the (slower, pure-Python) check.
_FLOW_CHECK_THRESHOLD = 256
_DEEP_BLOCK_PREFIX = re.compile(rf"^[ ?:-]{{{MAX_DEPTH // 2 - 1},}}", re.MULTILINE)
# Number forms only YAML 1.1 has (YAML 1.2 and JSON read them as strings or
# as other numbers): leading-zero octal, base 60, binary, digit separators.
_YAML11_ONLY_NUMBER = re.compile(
    r"[-+]?(0[0-7_]*[0-7][0-7_]*|0b[01_]+|[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?|.*_.*)"
)

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class YamlError(AfsregError):
    """A file that is not acceptable YAML for a model file."""

    def __init__(self, message: str, line: int = 1, col: int = 1, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col
        self.field = field


class _Loader(_BaseLoader):
    """The safe loader without timestamp resolution."""

    # libyaml calls resolve() back in Python for every scalar, keys included;
    # keys and many values repeat across files, so the answer is memoised.
    _scalar_tags: ClassVar[dict[tuple[str, bool], str]] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode:
            key = (value, implicit[0])
            tag = self._scalar_tags.get(key)
            if tag is None:
                # types-PyYAML leaves Resolver.resolve untyped.
                tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
                if len(self._scalar_tags) > 200_000:
                    self._scalar_tags.clear()
                self._scalar_tags[key] = tag
            return tag
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]  # as above


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


def read_limited(path: Path, limit: int = MAX_FILE_BYTES, what: str = "file") -> bytes:
    """A file given on the command line, read with a size limit: never /dev/zero forever.

    Only regular files are read (a FIFO or a device could block or never end).
    """
    import os
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise AfsregError(f"{path}: no such file") from None
    except OSError as exc:
        raise AfsregError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise AfsregError(f"{path}: not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            content = handle.read(limit + 1)
    finally:
        os.close(fd)
    if len(content) > limit:
        raise AfsregError(f"{path}: a {what} may be at most {limit // 1024 // 1024} MiB")
    return content


def decode(content: bytes) -> str:
    """Bytes to text: strict UTF-8, no byte-order mark, size-limited."""
    if len(content) > MAX_FILE_BYTES:
        raise YamlError(
            f"file is {len(content) / 1024 / 1024:.1f} MiB; a model file may be at most "
            f"{MAX_FILE_BYTES // 1024 // 1024} MiB (keep weights and data outside the registry)"
        )
    if content.startswith(b"\xef\xbb\xbf") or content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise YamlError("file starts with a byte-order mark; save it as UTF-8 without BOM")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        col = exc.start - (content.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlError(f"not valid UTF-8 (byte 0x{content[exc.start]:02x})", line, col) from None


def _check_depth(text: str, *, report_syntax: bool = True) -> None:
    """Refuse nesting deeper than MAX_DEPTH, before libyaml composes the text.

    The events come from PyYAML's pure-Python parser, which yields them as it
    reads: libyaml scans far ahead and (since PyYAML 6.0.4) stops at its own,
    higher limit with its own wording, and our limit must hold whichever
    PyYAML is installed.
    """
    # One entry per open collection: [is_mapping, next event is a key, key or index].
    # The node depth and field path match what _Builder reports for the same file.
    stack: list[list[Any]] = []
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            is_node = isinstance(event, yaml.NodeEvent)
            parent = stack[-1] if stack else None
            is_key = bool(parent and parent[0] and parent[1])
            if is_node and parent is not None:
                if parent[0]:  # a mapping alternates key, value
                    if is_key:
                        parent[2] = event.value if isinstance(event, yaml.ScalarEvent) else "?"
                    parent[1] = not is_key
                else:
                    parent[2] += 1
            if is_node and not is_key and len(stack) > MAX_DEPTH:
                mark = event.start_mark
                line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
                path = [entry[2] for entry in stack]
                raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", line, col, dotted(path))
            if isinstance(event, yaml.CollectionStartEvent):
                mapping = isinstance(event, yaml.MappingStartEvent)
                stack.append([mapping, True, "" if mapping else -1])
            elif isinstance(event, yaml.CollectionEndEvent):
                stack.pop()
    except yaml.YAMLError as exc:
        if report_syntax:
            raise _yaml_error(exc, text) from None


def _yaml_error(exc: yaml.YAMLError, text: str) -> YamlError:
    if isinstance(exc, yaml.reader.ReaderError):
        position = min(exc.position, len(text))
        line = text.count("\n", 0, position) + 1
        col = position - (text.rfind("\n", 0, position) + 1) + 1
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        return YamlError(
            f"control character U+{char:04X} is not allowed in YAML; "
            'write it as an escape inside double quotes (e.g. "\\e")',
            line,
            col,
        )
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"not valid YAML: {problem}"
    if context:
        message += f" ({context})"
    if mark is None:
        return YamlError(message)
    if 0 <= mark.index < len(text) and text[mark.index] == "\t":
        message += "; indent with spaces, not tabs"
    return YamlError(message, mark.line + 1, mark.column + 1)


def compose(text: str) -> yaml.Node | None:
    """The node graph of a single-document YAML text, or None when empty."""
    if text.count("[") + text.count("{") >= _FLOW_CHECK_THRESHOLD or _DEEP_BLOCK_PREFIX.search(
        text
    ):
        _check_depth(text)
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    except yaml.YAMLError as exc:
        # A parser's own limits (depth, say) must not replace ours: find out
        # whether the text breaks one of afsreg's first.
        _check_depth(text, report_syntax=False)
        raise _yaml_error(exc, text) from None
    except RecursionError:
        raise YamlError(f"nesting deeper than {MAX_DEPTH} levels") from None
    finally:
        loader.dispose()


class _Builder:
    """Builds plain Python values from nodes, under a node budget."""

    def __init__(self) -> None:
        self.nodes = 0
        self.chars = 0
        self.constructor = _Loader("")
        self.top_key: yaml.Node | None = None  # the top-level entry being built

    def build(self, node: yaml.Node, depth: int, path: tuple[str | int, ...]) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self._over_budget(node, path, f"{MAX_NODES} values", "that many")
        if depth > MAX_DEPTH:
            raise _node_error(node, f"nesting deeper than {MAX_DEPTH} levels", path)
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP:
                raise _tag_error(node, path)
            return self._mapping(node, depth, path)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise _tag_error(node, path)
            return [self.build(item, depth + 1, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        self.chars += len(node.value)
        if self.chars > MAX_EXPANDED_CHARS:
            size = f"{MAX_EXPANDED_CHARS // 1024 // 1024} MiB of text"
            raise self._over_budget(node, path, size, "that much")
        return self._scalar(node, path)

    def _over_budget(
        self, node: yaml.Node, path: tuple[str | int, ...], amount: str, need: str
    ) -> YamlError:
        """The alias budget ran out: point at the top-level entry that expanded."""
        return _node_error(
            self.top_key or node,
            f"more than {amount} after expanding aliases "
            f"(an alias bomb?); model files do not need {need}",
            path[:1],
        )

    def _mapping(self, node: yaml.MappingNode, depth: int, path: tuple[str | int, ...]) -> Any:
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _node_error(key_node, "merge keys (<<) are not allowed in model files", path)
            if not isinstance(key_node, yaml.ScalarNode):
                raise _node_error(key_node, "a key must be a plain string", path)
            key = key_node.value
            if "\x00" in key:
                raise _node_error(key_node, "a key contains a NUL character (\\0)", path)
            if key in result:
                raise _node_error(
                    key_node,
                    f"duplicate key {key!r} (first at line {first_line[key]})",
                    (*path, key),
                )
            first_line[key] = key_node.start_mark.line + 1
            if depth == 0:
                self.top_key = key_node
            result[key] = self.build(value_node, depth + 1, (*path, key))
        return result

    def _scalar(self, node: yaml.ScalarNode, path: tuple[str | int, ...]) -> Any:
        tag = node.tag
        if tag == _STR:
            if "\x00" in node.value:
                raise _node_error(
                    node, "contains a NUL character (\\0), which databases cannot store", path
                )
            return node.value
        if tag == _NULL:
            if node.value not in _NULL_FORMS:
                raise _node_error(node, f"{node.value!r} is not a null (write null or ~)", path)
            return None
        if tag == _BOOL:
            value = node.value.lower()
            if value not in self.constructor.bool_values:
                raise _node_error(node, f"{node.value!r} is not a boolean (true or false)", path)
            return self.constructor.bool_values[value]
        if tag == _INT:
            return self._integer(node, path)
        if tag == _FLOAT:
            _refuse_yaml11_number(node, path)
            try:
                value = self.constructor.construct_yaml_float(node)
            except (ValueError, TypeError, IndexError):
                raise _node_error(node, f"{node.value!r} is not a number", path) from None
            if not math.isfinite(value):
                raise _node_error(node, f"{node.value!r} is not a finite number", path)
            return value
        raise _tag_error(node, path)

    def _integer(self, node: yaml.ScalarNode, path: tuple[str | int, ...]) -> int:
        _refuse_yaml11_number(node, path)
        digits = node.value.lstrip("+-")
        if len(digits) > MAX_INT_DIGITS:
            raise _node_error(
                node,
                f"integer has {len(digits)} digits; at most {MAX_INT_DIGITS} are allowed",
                path,
            )
        try:
            return int(self.constructor.construct_yaml_int(node))
        except (ValueError, TypeError, IndexError):
            raise _node_error(node, f"{node.value!r} is not an integer", path) from None


_NULL_FORMS = ("", "~", "null", "Null", "NULL")


def _refuse_yaml11_number(node: yaml.ScalarNode, path: Sequence[str | int]) -> None:
    """Refuse number forms whose value depends on which YAML version reads them."""
    text = node.value
    if text not in ("0", "+0", "-0") and _YAML11_ONLY_NUMBER.fullmatch(text):
        raise _node_error(
            node,
            f"{text!r} means different numbers in YAML 1.1 and YAML 1.2; "
            "write it in plain decimal, or quote it if it is text",
            path,
        )


def _node_error(node: yaml.Node, message: str, path: Sequence[str | int]) -> YamlError:
    mark = node.start_mark
    return YamlError(message, mark.line + 1, mark.column + 1, dotted(path))


def _tag_error(node: yaml.Node, path: Sequence[str | int]) -> YamlError:
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    return _node_error(
        node,
        f"tag {tag} is not allowed: model files hold plain data (strings, numbers, lists, maps)",
        path,
    )


def load_yaml(content: bytes) -> Any:
    """Parse a model file's bytes into plain data; raise YamlError on anything unsafe."""
    text = decode(content)
    fast = _fast_load(text)
    if fast is not _NO_FAST:
        return fast
    return _strict_load(text)


def _strict_load(text: str) -> Any:
    """The authority: what the format allows, built from libyaml's node graph."""
    node = compose(text)
    if node is None:
        return None
    return _Builder().build(node, 0, ())


# The fast path. yaml-rs (a Rust YAML 1.2 parser) builds the same data ~5x
# faster than libyaml plus _Builder, but it drops tags silently, reads numbers
# the YAML 1.2 way, and has its own limits. So it is used only for texts where
# it cannot disagree with the strict loader, which stays the authority: a text
# with anything the format restricts is parsed strictly, and so is any result
# that holds a value the strict loader could have read otherwise. The
# property tests in tests/format/test_loader.py hold the two to the same data.
_NO_FAST = object()
# Tags, anchors and aliases, escapes (which can write any character), and the
# characters YAML 1.1 and 1.2 treat differently (tabs, CR, C0/C1 controls,
# NEL and the Unicode line separators, BOM, non-characters, lone surrogates).
_FAST_REFUSED_CHARS = re.compile(
    r"[!&*\\\t\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]"
)
# The ASCII characters that are not refused: an ASCII text is scanned with
# bytes.translate (which deletes these; whatever is left is refused), ~8x
# faster than the regular expression, which scans any other text.
_FAST_ALLOWED_ASCII = bytes(b for b in range(128) if not _FAST_REFUSED_CHARS.match(chr(b)))
# A plain scalar that starts with a reserved or indicator character (after a
# line start, the text being searched with a newline in front, a space or a
# flow indicator); a directive or a document marker (a line starting with
# "---" or "..."), and a quoted key followed by a number with no space
# ({"a":017}) are looked for apart (see _refused_token): one pattern with a
# lookbehind in each branch tried every branch at every character.
_FAST_REFUSED_TOKEN = re.compile(r"[\s\[{,][@`?:%]")
_FAST_QUOTED_KEY_NUMBER = re.compile(r"[\"']:[-+.0-9]")
# A word that may be a whole plain scalar, and looks like a number: yaml-rs
# reads it the YAML 1.2 way plus digit separators anywhere, even first ("_0",
# "._5" and "-_1" are numbers to it, text to YAML 1.1 and 1.2), the strict
# loader the YAML 1.1 way, so only plain decimals, which both read alike,
# stay fast.
_NUMBER_WORD = re.compile(r"[-+._0-9](?<=[\s\[{,].)[-+.0-9A-Za-z_]*(?=[ ]*(?:$|[#,\]}]))", re.M)
_YAML12_NUMBER = re.compile(
    r"[-+]?(?:[0-9_]+(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][-+]?[0-9_]+)?"
    r"|[-+]?0[xXoObB][0-9a-fA-F_]+"
)
_PLAIN_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?")
# In a flow collection, libyaml's reading of ':' depends on its version, and
# YAML 1.2 reads "[a:]" as a mapping.
_FLOW_COLON = re.compile(r":\S")
# What the strict loader's resolvers could read a plain scalar as, by its first
# character (as PyYAML looks them up), one pattern per character; timestamps
# are excluded there too.
_IMPLICIT_BY_FIRST: dict[str, re.Pattern[str]] = {
    first: re.compile(
        "|".join(f"(?:{regexp.pattern})" for tag, regexp in resolvers if tag != _STR), re.X
    )
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
}
# A line that could nest deeper than MAX_DEPTH (see _DEEP_BLOCK_PREFIX), searched
# in the text with a newline in front: a pattern that starts with a literal is
# searched ~4x faster than one that starts with "^".
_DEEP_BLOCK_LINE = re.compile(rf"\n[ ?:-]{{{MAX_DEPTH // 2 - 1}}}")
_ONLY_STR = frozenset((str,))
# The parser's ints are exact whatever their size; the format allows MAX_INT_DIGITS.
_INT_LIMIT = 10**MAX_INT_DIGITS


def _fast_load(text: str) -> Any:
    """The data of ``text`` by yaml-rs, or _NO_FAST when the strict loader must decide."""
    if (
        len(text) >= MAX_NODES // 2  # the node budget could be reached: count it strictly
        or "<<" in text
        or text.count("[") + text.count("{") >= _FLOW_CHECK_THRESHOLD
        or _refused_char(text)
        or _refused_token(lined := "\n" + text)
        or any(_ambiguous_number(word) for word in _NUMBER_WORD.findall(lined))
        or _DEEP_BLOCK_LINE.search(lined)
        or any(_risky_flow(flow) for flow in _flow_parts(text))
    ):
        return _NO_FAST
    try:
        import yaml_rs
    except ImportError:  # pragma: no cover - a platform without a yaml-rs wheel
        return _NO_FAST
    try:
        data = yaml_rs.loads(text, parse_datetime=False)
    except Exception:  # any complaint: the strict loader words it, with its line
        return _NO_FAST
    except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        return _NO_FAST
    if type(data) is not dict or not _plain(data):
        return _NO_FAST
    return data


def _refused_char(text: str) -> bool:
    """``_FAST_REFUSED_CHARS.search(text)``, by bytes.translate when the text is ASCII."""
    if text.isascii():
        return bool(text.encode("ascii").translate(None, _FAST_ALLOWED_ASCII))
    return _FAST_REFUSED_CHARS.search(text) is not None


def _refused_token(lined: str) -> bool:
    """An indicator starting a plain scalar, a directive or document marker, or {"a":017}."""
    return (
        _FAST_REFUSED_TOKEN.search(lined) is not None
        or "\n---" in lined
        or "\n..." in lined
        or (('":' in lined or "':" in lined) and _FAST_QUOTED_KEY_NUMBER.search(lined) is not None)
    )


def _ambiguous_number(word: str) -> bool:
    return _YAML12_NUMBER.fullmatch(word) is not None and _PLAIN_DECIMAL.fullmatch(word) is None


def _flow_parts(text: str) -> Iterator[str]:
    """Each line that has a flow collection, from its first bracket or brace."""
    start = 0
    while True:
        found = [i for i in (text.find("[", start), text.find("{", start)) if i >= 0]
        if not found:
            return
        end = text.find("\n", min(found))
        yield text[min(found) : end if end >= 0 else len(text)]
        if end < 0:
            return
        start = end


def _risky_flow(flow: str) -> bool:
    """A flow collection that goes on past its line, or has a ':' not followed by a space."""
    opened = flow.count("[") + flow.count("{")
    return opened != flow.count("]") + flow.count("}") or _FLOW_COLON.search(flow) is not None


def _plain(data: dict[Any, Any]) -> bool:
    """True when the strict loader reads the same value: no type, depth or size it words otherwise.

    Keys need only be strings: the strict loader takes a key's text as written,
    and yaml-rs returns a string key only when it read the text as one. One
    loop over every value, no call per value: this runs for every file read.
    """
    implicit = _IMPLICIT_BY_FIRST.get
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if type(node) is dict:
            if not _ONLY_STR.issuperset(map(type, node)):  # every key a str, looped in C
                return False
            children = node.values()
        else:
            children = node
        if children and depth >= MAX_DEPTH:  # the children would be nested too deep
            return False
        for item in children:
            kind = type(item)
            if kind is str:
                pattern = implicit(item[:1])
                if pattern is not None and pattern.match(item):
                    return False  # written plain, strict would read it as another type
            elif kind is dict or kind is list:
                stack.append((item, depth + 1))
            elif kind is int:
                if not -_INT_LIMIT < item < _INT_LIMIT:
                    return False
            elif kind is float:
                if not math.isfinite(item):
                    return False
            elif kind is not bool and item is not None:
                return False
    return True


def locate(content: bytes, field_path: Sequence[str | int]) -> tuple[int, int]:
    """1-based (line, column) of the deepest part of ``field_path`` in the file.

    A mapping key is located at the key; a sequence item at the item. When the
    path does not exist (a missing field), the nearest existing parent is
    returned, so "field X is required" points at the mapping that lacks it.
    """
    return locator(content)(field_path)


def locator(content: bytes) -> Callable[[Sequence[str | int]], tuple[int, int]]:
    """``locate`` for many fields of one file: the file is parsed once, on the first call."""
    parsed: list[yaml.Node | YamlError | None] = []

    def find(field_path: Sequence[str | int]) -> tuple[int, int]:
        if not parsed:
            try:
                parsed.append(compose(decode(content)))
            except YamlError as exc:
                parsed.append(exc)
        root = parsed[0]
        if isinstance(root, YamlError):
            return root.line, root.col
        return _find(root, field_path)

    return find


def _find(node: yaml.Node | None, field_path: Sequence[str | int]) -> tuple[int, int]:
    if node is None:
        return 1, 1
    line, col = 1, 1
    if field_path:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
    for part in field_path:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                    line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                    node = value_node
                    break
            else:
                return line, col
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line, col
            node = node.value[part]
            line, col = node.start_mark.line + 1, node.start_mark.column + 1
        else:
            return line, col
    return line, col
