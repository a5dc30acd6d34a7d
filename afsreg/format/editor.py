"""Edit YAML text the way a person would: change only what changed.

``edit_yaml(text, new_data)`` returns ``text`` with the smallest splices that
make it parse to ``new_data``. Comments, key order, blank lines and the
quoting of untouched values stay byte-identical, so a pull request diff shows
only the change. The edits are:

- replace a value (a scalar in place; a collection under its key);
- add a missing key at the end of its mapping, with the mapping's indentation;
- append items to a sequence, at the column of its dashes;
- remove a key (its lines, and the comment on its line).

Flow collections (``[a, b]``, ``{a: 1}``) that change shape are written again
in flow style. New values are written by PyYAML's own emitter, so a string that
would read back as something else (``"yes"``, ``"1.0"``, a timestamp) gets
quoted. After every splice the text is parsed again and the edited value
compared with the intended one (types included): a splicing bug becomes an
error, never a wrong file.

``dump_yaml(data)`` writes a new document in the same style (block mappings,
sequences indented under their key).

Why ~470 lines in one module: every splice above is checked by re-parsing the
text, and the splices share one node-position model of the document; they are
read together or not at all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from afsreg.errors import AfsregError
from afsreg.format.field_paths import dotted
from afsreg.format.fields import same
from afsreg.format.loader import YamlError, compose, load_yaml

Path = tuple[str | int, ...]

# Bound on splices per edit: every splice fixes one difference, so this only
# trips on a bug (an edit that does not converge).
_MAX_SPLICES = 10_000


class YamlEditError(AfsregError):
    """An edit that cannot be made without changing more than intended."""


class _Dumper(yaml.SafeDumper):
    """Writes new values: double quotes when quotes are needed, no line folding."""

    def choose_scalar_style(self) -> str:
        style: str = super().choose_scalar_style()
        # Double-quoted strings can hold anything on one line; single-quoted
        # ones fold newlines, which is harder to read in a diff.
        return '"' if style == "'" else style


def _dump(value: Any, flow: bool) -> str:
    return yaml.dump(
        value,
        Dumper=_Dumper,
        default_flow_style=flow,
        sort_keys=False,
        allow_unicode=True,
        width=math.inf,
    )


def flow_text(value: Any) -> str:
    """``value`` as one line of YAML, valid both in block and in flow context."""
    if isinstance(value, float) and not math.isfinite(value):
        raise YamlEditError(f"{value!r} is not a finite number")
    # Dumping inside a flow sequence makes the emitter quote anything that
    # would not survive in flow context; the brackets are then taken off.
    text = _dump([value], flow=True).rstrip("\n")
    if not (text.startswith("[") and text.endswith("]")) or "\n" in text:
        raise YamlEditError(f"cannot write {value!r} on one line")  # pragma: no cover
    return text[1:-1]


def block_text(value: Any) -> str:
    """A scalar (or empty collection) as the value of a block mapping or sequence item.

    Block context allows more plain text than flow context (commas, brackets),
    so ``a, b`` stays unquoted here.
    """
    if _is_block_value(value):
        raise YamlEditError(
            "block_text writes scalars and empty collections only"
        )  # pragma: no cover
    if isinstance(value, float) and not math.isfinite(value):
        raise YamlEditError(f"{value!r} is not a finite number")
    text = _dump({"k": value}, flow=False)
    if not text.startswith("k: ") or text.count("\n") != 1:
        raise YamlEditError(f"cannot write {value!r} on one line")  # pragma: no cover
    return text[3:-1]


def key_text(key: Any) -> str:
    """A mapping key as written before its colon."""
    text = _dump({key: None}, flow=False)
    if text.startswith("? ") or not text.endswith(": null\n") or text.count("\n") != 1:
        raise YamlEditError(f"cannot write {key!r} as a mapping key")
    return text[: -len(": null\n")]


def _is_block_value(value: Any) -> bool:
    return isinstance(value, (dict, list)) and len(value) > 0


@dataclass(frozen=True)
class _Style:
    """Indentation of the document being edited, so new lines match it."""

    map_indent: int = 2  # a nested mapping's keys, relative to its key
    seq_indent: int = 2  # a sequence's dashes, relative to its key
    newline: str = "\n"


def _block_lines(value: Any, indent: int, style: _Style) -> list[str]:
    """A non-empty mapping or sequence as block YAML lines at ``indent``."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            key = key_text(key)
            if isinstance(item, dict) and item:
                lines.append(f"{pad}{key}:")
                lines.extend(_block_lines(item, indent + style.map_indent, style))
            elif isinstance(item, list) and item:
                lines.append(f"{pad}{key}:")
                lines.extend(_block_lines(item, indent + style.seq_indent, style))
            else:
                lines.append(f"{pad}{key}: {block_text(item)}")
        return lines
    for item in value:
        if _is_block_value(item):
            inner = _block_lines(item, indent + 2, style)
            inner[0] = f"{pad}- {inner[0][indent + 2 :]}"
            lines.extend(inner)
        else:
            lines.append(f"{pad}- {block_text(item)}")
    return lines


def dump_yaml(data: Mapping[str, Any]) -> str:
    """A new YAML document for ``data``, in the style ``edit_yaml`` writes."""
    if not data:
        return "{}\n"
    text = "\n".join(_block_lines(dict(data), 0, _Style())) + "\n"
    if not same(load_text(text), dict(data)):
        raise YamlEditError("the written YAML does not read back as the data")  # pragma: no cover
    return text


def load_text(text: str) -> Any:
    """Parse YAML text with afsreg's strict loader (timestamps stay strings)."""
    return load_yaml(text.encode("utf-8"))


# -- the differences between two values, one splice at a time -----------------


@dataclass(frozen=True)
class _Edit:
    kind: str  # "replace" | "insert" | "delete" | "append"
    path: Path
    value: Any = None


def _first_difference(old: Any, new: Any, path: Path) -> _Edit | None:
    if same(old, new):
        return None
    if isinstance(old, dict) and isinstance(new, dict):
        # Inserts before deletes: a block mapping losing its last old key to
        # a new one stays a block mapping.
        for key in old:
            if key in new:
                edit = _first_difference(old[key], new[key], (*path, key))
                if edit is not None:
                    return edit
        for key in new:
            if key not in old:
                return _Edit("insert", (*path, key), new[key])
        for key in old:
            if key not in new:
                return _Edit("delete", (*path, key))
    if isinstance(old, list) and isinstance(new, list) and len(new) >= len(old):
        for index, item in enumerate(old):
            edit = _first_difference(item, new[index], (*path, index))
            if edit is not None:
                return edit
        return _Edit("append", path, new[len(old) :])
    return _Edit("replace", path, new)


def _get(data: Any, path: Path) -> Any:
    for part in path:
        data = data[part]
    return data


def _set(data: Any, path: Path, value: Any) -> Any:
    """A copy of ``data`` with the subtree at ``path`` replaced by ``value``."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        return {**data, head: _set(data[head], rest, value) if head in data else value}
    assert isinstance(head, int)
    copy = list(data)
    copy[head] = _set(copy[head], rest, value)
    return copy


# -- locating nodes and spans in the text --------------------------------------


def _is_flow(node: yaml.Node) -> bool:
    return isinstance(node, yaml.CollectionNode) and bool(node.flow_style)


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node]:
    """(key node or None, value node) of ``part`` in ``node``."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                return key_node, value_node
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        return None, node.value[part]
    raise KeyError(part)  # pragma: no cover - paths come from the parsed data


def _content_end(node: yaml.Node, text: str) -> int:
    """Where the node's own text ends (trailing blank lines of block scalars excluded)."""
    while isinstance(node, yaml.CollectionNode) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    start, end = node.start_mark.index, node.end_mark.index
    while end > start and text[end - 1] in " \t\r\n":
        end -= 1
    return end


def _line_after(text: str, index: int) -> int:
    """Start of the line after the one holding ``index``, past any comment on it."""
    newline = text.find("\n", index)
    if newline < 0:
        return len(text)
    rest = text[index:newline].strip()
    if rest and not rest.startswith("#"):
        raise YamlEditError(f"unexpected text after a value: {rest!r}")
    return newline + 1


def _colon_after(text: str, key_node: yaml.Node) -> int:
    """Index of the ``:`` that follows a mapping key."""
    index = key_node.end_mark.index
    while index < len(text) and text[index] in " \t":
        index += 1
    if index >= len(text) or text[index] != ":":
        raise YamlEditError(f"line {key_node.start_mark.line + 1}: cannot find the ':' after a key")
    return index


def _dash_before(text: str, node: yaml.Node) -> int:
    """Index of the ``-`` that introduces a block sequence item."""
    index = node.start_mark.index - 1
    while index >= 0 and text[index] in " \t":
        index -= 1
    if index < 0 or text[index] != "-":
        raise YamlEditError(
            f"line {node.start_mark.line + 1}: cannot edit a sequence item written this way"
        )
    return index


def _detect_style(root: yaml.Node, text: str) -> _Style:
    map_indent: int | None = None
    seq_indent: int | None = None
    stack: list[yaml.Node] = [root]
    while stack and (map_indent is None or seq_indent is None):
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in reversed(node.value):
                if isinstance(value_node, yaml.CollectionNode) and not value_node.flow_style:
                    offset = value_node.start_mark.column - key_node.start_mark.column
                    if isinstance(value_node, yaml.MappingNode) and map_indent is None:
                        map_indent = offset
                    if isinstance(value_node, yaml.SequenceNode) and seq_indent is None:
                        seq_indent = offset
                stack.append(value_node)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
    return _Style(
        map_indent=map_indent if map_indent and map_indent > 0 else 2,
        seq_indent=seq_indent if seq_indent is not None and seq_indent >= 0 else 2,
        newline="\r\n" if "\r\n" in text else "\n",
    )


def _check_no_anchors(text: str, path: str = "<yaml>") -> None:
    if "&" not in text and "*" not in text:
        return
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            mark = event.start_mark
            line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
            raise YamlEditError(
                f"{path}:{line}:{col}: (file): the file uses YAML anchors or aliases; "
                "afsreg cannot edit it without changing other values (expand them first)"
            )


# -- the splices ----------------------------------------------------------------


class _Document:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        node = compose(text)
        if not isinstance(node, yaml.MappingNode):
            raise YamlEditError(f"{path}: the document is not a mapping")
        self.root: yaml.MappingNode = node
        self.data = load_text(text)
        self.style = _detect_style(node, text)

    def nodes(self, path: Path) -> list[tuple[yaml.Node | None, yaml.Node]]:
        """(key node, value node) for the root and each part of ``path``."""
        chain: list[tuple[yaml.Node | None, yaml.Node]] = [(None, self.root)]
        for part in path:
            chain.append(_child(chain[-1][1], part))
        return chain

    def splice(self, start: int, end: int, new: str) -> str:
        return self.text[:start] + new.replace("\n", self.style.newline) + self.text[end:]

    def apply(self, edit: _Edit, target: Any) -> tuple[str, Path, Any]:
        """The new text, and which subtree it changed to which value."""
        parent_path = edit.path if edit.kind == "append" else edit.path[:-1]
        chain = self.nodes(parent_path)
        # Inside a flow collection, rewrite the outermost one in flow style.
        for depth, (_, node) in enumerate(chain):
            if _is_flow(node):
                flow_path = parent_path[:depth]
                value = _get(target, flow_path)
                return self.replace(flow_path, value, flow=True), flow_path, value
        parent = chain[-1][1]
        if edit.kind == "replace":
            return self.replace(edit.path, edit.value, flow=False), edit.path, edit.value
        if edit.kind == "append":
            value = [*_get(self.data, edit.path), *edit.value]
            return self.append(parent, edit.value), edit.path, value
        if edit.kind == "insert":
            return self.insert(parent, edit.path[-1], edit.value), edit.path, edit.value
        value = {k: v for k, v in _get(self.data, parent_path).items() if k != edit.path[-1]}
        return self.delete(parent_path, parent, edit.path[-1]), parent_path, value

    def replace(self, path: Path, value: Any, flow: bool) -> str:
        if not path:
            # The whole document (all its keys went, or it is a flow mapping).
            start, end = self.root.start_mark.index, _content_end(self.root, self.text)
            if _is_flow(self.root) or flow or not _is_block_value(value):
                return self.splice(start, end, flow_text(value))
            column = self.root.start_mark.column
            return self.splice(
                start, end, "\n".join(_block_lines(value, column, self.style))[column:]
            )
        key_node, node = self.nodes(path)[-1]
        start, end = node.start_mark.index, _content_end(node, self.text)
        if _is_flow(node) or flow or not _is_block_value(value):
            if isinstance(node, yaml.CollectionNode) and not node.flow_style:
                # A block collection becomes a one-line value after its key or dash.
                start = (
                    _colon_after(self.text, key_node) + 1
                    if key_node is not None
                    else _dash_before(self.text, node) + 1
                )
                return self.splice(start, end, " " + block_text(value))
            if _is_flow(node) and _is_block_value(value):
                return self.splice(start, end, flow_text(value))
            new = flow_text(value) if flow or _is_flow(node) else block_text(value)
            return self.splice(start, end, " " + new if start == end else new)
        # A block value replacing a scalar or a block collection.
        if key_node is not None:
            start = _colon_after(self.text, key_node) + 1
            comment = ""
            if isinstance(node, yaml.ScalarNode):
                # Keep a comment on the old value's line, on the key's line.
                line_end = self.text.find("\n", end)
                line_end = len(self.text) if line_end < 0 else line_end
                rest = self.text[end:line_end].strip()
                if rest.startswith("#"):
                    comment, end = "  " + rest, line_end
            step = self.style.map_indent if isinstance(value, dict) else self.style.seq_indent
            lines = _block_lines(value, key_node.start_mark.column + step, self.style)
            return self.splice(start, end, comment + "\n" + "\n".join(lines))
        dash = _dash_before(self.text, node)
        column = dash - (self.text.rfind("\n", 0, dash) + 1)
        lines = _block_lines([value], column, self.style)
        return self.splice(dash, end, "\n".join(lines)[column:])

    def _insertion_point(self, node: yaml.Node) -> tuple[int, str]:
        """Where lines go after ``node``, and the line break they need in front."""
        end = _content_end(node, self.text)
        point = _line_after(self.text, end)
        prefix = "" if point > 0 and self.text[point - 1] == "\n" else "\n"
        return point, prefix

    def insert(self, mapping: yaml.Node, key: str | int, value: Any) -> str:
        if not isinstance(mapping, yaml.MappingNode):
            raise YamlEditError(f"{self.path}: cannot add a key to a non-mapping")
        if not mapping.value:  # pragma: no cover - an empty mapping is always flow style
            raise YamlEditError(f"{self.path}: cannot add a key to an empty block mapping")
        point, prefix = self._insertion_point(mapping)
        column = mapping.value[0][0].start_mark.column
        lines = _block_lines({key: value}, column, self.style)
        return self.splice(point, point, prefix + "\n".join(lines) + "\n")

    def append(self, sequence: yaml.Node, items: list[Any]) -> str:
        if not isinstance(sequence, yaml.SequenceNode) or not sequence.value:
            raise YamlEditError(f"{self.path}: cannot append to a non-sequence")
        point, prefix = self._insertion_point(sequence)
        column = sequence.start_mark.column
        lines = _block_lines(items, column, self.style)
        return self.splice(point, point, prefix + "\n".join(lines) + "\n")

    def delete(self, parent_path: Path, mapping: yaml.Node, key: str | int) -> str:
        assert isinstance(mapping, yaml.MappingNode)
        if len(mapping.value) == 1:
            return self.replace(parent_path, {}, flow=True)
        entries = mapping.value
        index = next(i for i, (k, _) in enumerate(entries) if k.value == key)
        key_node, value_node = entries[index]
        line_start = self.text.rfind("\n", 0, key_node.start_mark.index) + 1
        if self.text[line_start : key_node.start_mark.index].strip() == "":
            end = _line_after(self.text, _content_end(value_node, self.text))
            return self.splice(line_start, end, "")
        # The first key of a sequence item (``- key: value``): the next key
        # moves up behind the dash.
        next_key = entries[index + 1][0]
        return self.splice(key_node.start_mark.index, next_key.start_mark.index, "")


def edit_yaml(text: str, new_data: Mapping[str, Any], path: str = "<yaml>") -> str:
    """``text`` changed as little as possible so that it parses to ``new_data``.

    Raises YamlEditError when an edit would not read back exactly (a bug, or a
    document written in a way afsreg does not edit, like anchors).
    """
    target = dict(new_data)
    _check_no_anchors(text, path)
    for _ in range(_MAX_SPLICES):
        document = _Document(text, path)
        edit = _first_difference(document.data, target, ())
        if edit is None:
            return text
        where = dotted(edit.path) or "the document"
        try:
            new_text, changed, value = document.apply(edit, target)
            result = load_text(new_text)
        except YamlError as exc:
            raise YamlEditError(
                f"{path}: editing {where} produced invalid YAML ({exc}); the file was not changed"
            ) from None
        if not same(result, _set(document.data, changed, value)):
            raise YamlEditError(
                f"{path}: editing {where} did not read back as intended; the file was not changed"
            )
        text = new_text
    raise YamlEditError(f"{path}: too many edits")  # pragma: no cover
