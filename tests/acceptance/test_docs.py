"""The documentation's examples are real: they validate and name every field."""

import json
import re

from conftest import REPO_ROOT, GitRegistry

from afsreg import Registry
from afsreg.format.fields import flatten

REPO = REPO_ROOT


def format_example() -> str:
    text = (REPO / "docs" / "format.md").read_text()
    match = re.search(r"```yaml\n(# majora v2.*?)```", text, re.S)
    assert match, "docs/format.md lost its full example"
    return match.group(1)


def test_full_example_in_format_doc_is_valid(git_registry: GitRegistry) -> None:
    git_registry.write("models/majora/v2.yaml", format_example())
    git_registry.write_model("majora", "v1", promotion={"state": "superseded"})
    registry = Registry.open(git_registry.root)
    assert registry.errors == []
    assert registry.get("majora@v2").data["evaluation_metrics"]["rouge"]["rougeL"] == 0.58


def test_format_doc_names_every_schema_field() -> None:
    doc = (REPO / "docs" / "format.md").read_text()
    schema = json.loads((REPO / "schemas" / "model_version.schema.json").read_text())
    for field in schema["properties"]:
        assert f"`{field}" in doc, field
    example_fields = flatten(__import__("yaml").safe_load(format_example()))
    for section in ("code", "training", "files", "lineage", "promotion"):
        for name in schema["properties"][section]["properties"]:
            assert f"{section}.{name}" in doc or any(
                k.startswith(f"{section}.{name}") for k in example_fields
            ), (section, name)
