"""The write layer's readers of command-line input: templates, assignments, scores."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from afsreg.errors import AfsregError
from afsreg.seeds.import_json import import_defaults
from afsreg.write.register import (
    KEYWORD_FIELDS,
    fields_from_assignments,
    parse_score,
    read_template,
)


def test_a_template_is_read_as_text_with_its_comments(tmp_path: Path) -> None:
    template = tmp_path / "v1.yaml"
    template.write_text("# kept\nname: majora\n")
    assert read_template(template) == "# kept\nname: majora\n"


def test_a_broken_template_is_refused_at_its_file_and_line(tmp_path: Path) -> None:
    template = tmp_path / "v1.yaml"
    template.write_text("name: majora\nowner: [unclosed\n")
    # The parser notices the unclosed list where the file ends: line 3, column 1.
    with pytest.raises(AfsregError, match=rf"^{re.escape(str(template))}:3:1: "):
        read_template(template)


def test_a_missing_template_is_named(tmp_path: Path) -> None:
    with pytest.raises(AfsregError, match="no such file"):
        read_template(tmp_path / "absent.yaml")


def test_assignments_become_dotted_fields_with_yaml_values() -> None:
    fields = fields_from_assignments(["training_config.epochs=3", "tags=[a, b]"])
    assert fields == {"training_config.epochs": 3, "tags": ["a", "b"]}


def test_scores_keep_integers_exact_and_refuse_what_is_not_a_number() -> None:
    assert parse_score("accuracy=0.87") == ("accuracy", 0.87)
    assert parse_score("tokens=12345678901234567890") == ("tokens", 12345678901234567890)
    for bad in ("accuracy", "=1", "accuracy=high", "accuracy=nan"):
        with pytest.raises(AfsregError):
            parse_score(bad)


def test_import_defaults_are_top_level_fields_only() -> None:
    assert import_defaults(["model_family=qwen2.5-coder"]) == {"model_family": "qwen2.5-coder"}
    with pytest.raises(AfsregError, match="top-level"):
        import_defaults(["training_config.epochs=3"])


def test_the_flat_keywords_name_fields_of_a_version_file() -> None:
    assert KEYWORD_FIELDS["epochs"] == ("training_config", "epochs")
    assert KEYWORD_FIELDS["lora_path"] == ("files", "lora", "path")
