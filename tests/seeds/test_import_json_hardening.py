"""import-json on hostile JSON (issue 11): every refusal names the JSON file, nothing is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import DATA, GitRegistry, run_afsreg

LEGACY = DATA / "legacy" / "registry.json"
DEFAULTS = ["--set", "model_family=qwen2.5-coder", "--set", "parameter_count=1"]


def variant(tmp_path: Path, old: str, new: str) -> Path:
    text = json.dumps(json.loads(LEGACY.read_text()))
    assert old in text
    path = tmp_path / "registry.json"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('"accuracy": 0.85', '"accuracy": NaN', "NaN is not a number afsreg stores"),
        ('"accuracy": 0.85', '"accuracy": -Infinity', "-Infinity is not a number afsreg stores"),
        ('"samples": 223', '"samples": ' + "9" * 5000, "an integer has 5000 digits"),
        (
            '"epochs": 3,',
            '"epochs": 3, "x": ' + "[" * 100_000 + "]" * 100_000 + ",",
            "nested deeper than 64",
        ),
        (
            '"epochs": 3,',
            '"epochs": 3, "x": ' + "[" * 80 + "]" * 80 + ",",
            "models.majora.versions.v1.training.x[0]",
        ),
        (
            '"notes": "Primary model"',
            '"notes": "' + "x" * 2_000_000 + '"',
            "models.majora.versions.v1 cannot become models/majora/v1.yaml",
        ),
    ],
    ids=["nan", "infinity", "huge-integer", "very-deep", "deep", "oversized-field"],
)
def test_hostile_json_is_refused_naming_the_file(
    git_registry: GitRegistry, tmp_path: Path, old: str, new: str, words: str
) -> None:
    path = variant(tmp_path, old, new)
    result = run_afsreg(["import-json", str(path), *DEFAULTS], git_registry.root)
    assert result.returncode == 1, result
    assert result.stderr.startswith(f"error: {path}") and words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not list((git_registry.root / "models").iterdir())


def test_import_json_from_dev_zero_is_refused_not_read_forever(git_registry: GitRegistry) -> None:
    result = run_afsreg(["import-json", "/dev/zero"], git_registry.root)
    assert result.returncode == 1 and "/dev/zero: not a regular file" in result.stderr


def test_a_long_integer_within_the_limit_is_imported_exactly(
    git_registry: GitRegistry, tmp_path: Path
) -> None:
    path = variant(tmp_path, '"samples": 223', '"samples": ' + "9" * 30)
    result = run_afsreg(["import-json", str(path), *DEFAULTS], git_registry.root)
    assert result.returncode == 0, result.stderr
    assert "9" * 30 in (git_registry.root / "models/majora/v1.yaml").read_text()
