"""Model cards load in huggingface_hub (offline) and carry the version's fields."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT, GitRegistry, run_afsreg
from web_fixtures import QWEN, build_web_registry

from afsreg.read.card import HUB_RELATIONS, build_card
from afsreg.registry import Registry

repocard = pytest.importorskip("huggingface_hub.repocard", reason="the test extra installs it")
ModelCard = repocard.ModelCard


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> GitRegistry:
    return build_web_registry(GitRegistry(tmp_path_factory.mktemp("card") / "registry"))


def card_file(registry: GitRegistry, ref: str, tmp_path: Path) -> ModelCard:
    out = tmp_path / f"{ref.replace('@', '-')}.md"
    result = run_afsreg(["card", ref, "-o", str(out)], cwd=registry.root)
    assert result.returncode == 0, result.stderr
    return ModelCard.load(out)  # a local path: no network


def test_every_card_loads_and_round_trips(registry: GitRegistry, tmp_path: Path) -> None:
    reg = Registry.open(registry.root)
    for v in reg:
        card = card_file(registry, v.ref_text, tmp_path)
        data = card.data
        source = v.data
        for field in ("license", "library_name", "pipeline_tag", "language"):
            assert getattr(data, field) == source.get(field), (v.ref_text, field)
        assert data.tags == (source.get("tags") or None)
        bases = (source.get("lineage") or {}).get("base_models") or []
        expected_bases = [b.get("model") or b.get("external") for b in bases]
        assert (data.base_model or []) == expected_bases
        if bases:
            assert data.to_dict()["base_model_relation"] == HUB_RELATIONS[bases[0]["relation"]]
        assert (data.datasets or []) == [d["name"] for d in source.get("training_data") or []]
        # The card re-serialised by huggingface_hub still carries the same front matter.
        again = yaml.safe_load(str(card).split("---")[1])
        assert again == yaml.safe_load(card.content.split("---")[1])


def test_eval_results_are_model_index(registry: GitRegistry, tmp_path: Path) -> None:
    card = card_file(registry, "coder@v2", tmp_path)
    results = {(r.metric_type, r.metric_value) for r in card.data.eval_results}
    assert results == {("accuracy", 0.86), ("pass@1", 0.52)}
    first = card.data.eval_results[0]
    assert first.dataset_name == "asm-eval" and first.dataset_revision == "v3"
    assert first.task_type == "text-generation"
    assert card.data.model_name == "coder@v2"


def test_relations_in_hub_words(registry: GitRegistry, tmp_path: Path) -> None:
    assert card_file(registry, "coder@v1", tmp_path).data.to_dict()["base_model"] == [
        QWEN["external"]
    ]
    assert (
        card_file(registry, "coder@v1", tmp_path).data.to_dict()["base_model_relation"]
        == "finetune"
    )
    tiny = card_file(registry, "tiny-coder@v1", tmp_path).data.to_dict()
    assert tiny["base_model"] == ["coder@v2"] and tiny["base_model_relation"] == "finetune"


def test_body_has_lineage_deployments_history(registry: GitRegistry, tmp_path: Path) -> None:
    text = card_file(registry, "coder@v2", tmp_path).text
    assert "## Lineage" in text and "`coder@v1`" in text
    assert "## Deployments" in text and "production" in text
    assert "## History" in text and "Bob Builder" in text and "coder v2: more data" in text
    assert "3f2c9a1b7d4e" in text and "## Training configuration" in text


def test_external_card_points_at_its_source(registry: GitRegistry, tmp_path: Path) -> None:
    card = card_file(registry, "qwen-coder@v1", tmp_path)
    assert "https://huggingface.co/Qwen/Qwen2.5-Coder-7B" in card.text
    assert "0123abcd" in card.text
    assert card.data.license == "apache-2.0"


def test_card_refs_and_errors(registry: GitRegistry, tmp_path: Path) -> None:
    promoted = run_afsreg(["card", "coder@promoted"], cwd=registry.root)
    assert promoted.returncode == 0 and "# Coder v2" in promoted.stdout
    staging = run_afsreg(["card", "tiny-coder@staging"], cwd=registry.root)
    assert staging.returncode == 0 and "# Tiny Coder" in staging.stdout
    for bad in ("coder@v9", "nope@v1", "Coder", "coder@canary"):
        result = run_afsreg(["card", bad], cwd=registry.root)
        assert result.returncode == 1 and result.stderr.startswith("error: "), bad
        assert "Traceback" not in result.stderr
    missing_dir = run_afsreg(
        ["card", "coder@v1", "-o", str(tmp_path / "no" / "x.md")], cwd=registry.root
    )
    assert missing_dir.returncode == 1 and not (tmp_path / "no").exists()


def test_card_without_history_or_graph() -> None:
    reg = Registry.open(REPO_ROOT)
    card = build_card(reg.get("majora@v2"))
    assert card.text().startswith("---\n") and card.metadata["base_model"] == ["majora@v1"]


def test_a_card_file_is_readable_by_all_and_a_replaced_one_keeps_its_mode(
    registry: GitRegistry, tmp_path: Path
) -> None:
    out = tmp_path / "README.md"
    assert run_afsreg(["card", "coder@promoted", "-o", str(out)], cwd=registry.root).returncode == 0
    assert out.stat().st_mode & 0o777 == 0o644  # a model card is published, not private
    out.chmod(0o600)
    assert run_afsreg(["card", "coder@promoted", "-o", str(out)], cwd=registry.root).returncode == 0
    assert out.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]  # no temporary left
