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
- NaN and infinities are refused: no field has a use for them.

Locations are not kept with the data (that would cost memory on large
registries); ``locate`` re-reads a file to find a field's line when a problem
has to be reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
# Flow collections ([ and {) are composed recursively in C; a file with many
# of them is checked for depth with the (iterative) event parser first.
_FLOW_CHECK_THRESHOLD = 256

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
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
                    raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", line, col)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
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
    if text.count("[") + text.count("{") >= _FLOW_CHECK_THRESHOLD:
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
        self.constructor = _Loader("")
        self.top_key: yaml.Node | None = None  # the top-level entry being built

    def build(self, node: yaml.Node, depth: int, path: tuple[str | int, ...]) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _node_error(
                self.top_key or node,
                f"more than {MAX_NODES} values after expanding aliases "
                "(an alias bomb?); model files do not need that many",
                path[:1],
            )
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
        return self._scalar(node, path)

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
            return None
        if tag == _BOOL:
            return self.constructor.construct_yaml_bool(node)
        if tag == _INT:
            return self.constructor.construct_yaml_int(node)
        if tag == _FLOAT:
            value = self.constructor.construct_yaml_float(node)
            if not math.isfinite(value):
                raise _node_error(node, f"{node.value!r} is not a finite number", path)
            return value
        raise _tag_error(node, path)


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
    node = compose(text)
    if node is None:
        return None
    return _Builder().build(node, 0, ())


def locate(content: bytes, field_path: Sequence[str | int]) -> tuple[int, int]:
    """1-based (line, column) of the deepest part of ``field_path`` in the file.

    A mapping key is located at the key; a sequence item at the item. When the
    path does not exist (a missing field), the nearest existing parent is
    returned, so "field X is required" points at the mapping that lacks it.
    """
    try:
        node = compose(decode(content))
    except YamlError as exc:
        return exc.line, exc.col
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
