"""A Hugging Face model card for a model version: YAML front matter and a markdown body.

The front matter uses the Hub's names (``base_model``, ``base_model_relation``,
``datasets``, ``model-index``, ``license``, ``library_name``, ``pipeline_tag``,
``language``, ``tags``), so the card loads with ``huggingface_hub.ModelCard``
and shows on the Hub as a model page. The body is for people: description,
training data and configuration, the code pin, lineage, deployments and the
git history of the file.

Base models inside the registry are written as ``name@version``: they have no
Hub id until someone publishes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from afsreg.format.fields import metrics
from afsreg.format.record import ModelVersion
from afsreg.read.audit import AuditEntry
from afsreg.read.lineage import LineageGraph

# afsreg's relation words -> the Hub's ``base_model_relation`` words. The Hub
# has no word for distillation: a distilled student is a new model trained
# from its teacher's outputs, which the Hub files under fine-tunes.
HUB_RELATIONS = {
    "fine-tune": "finetune",
    "adapter": "adapter",
    "quantized": "quantized",
    "merge": "merge",
    "distill": "finetune",
}

CARD_FIELDS = ("license", "library_name", "pipeline_tag", "language")


@dataclass(frozen=True)
class ModelCard:
    """The card's front matter (plain data) and its markdown body."""

    metadata: dict[str, Any]
    body: str

    def text(self) -> str:
        """The whole README.md: ``---`` YAML ``---`` then the body."""
        front = yaml.safe_dump(
            self.metadata, sort_keys=False, allow_unicode=True, default_flow_style=False
        )
        return f"---\n{front}---\n\n{self.body}"


def card_metadata(v: ModelVersion) -> dict[str, Any]:
    """The front matter of ``v``'s card, in the Hub's vocabulary."""
    data = v.data
    meta: dict[str, Any] = {}
    for field in CARD_FIELDS:
        if data.get(field) is not None:
            meta[field] = data[field]
    if data.get("tags"):
        meta["tags"] = list(data["tags"])
    bases = [
        b for b in (v.data.get("lineage") or {}).get("base_models") or [] if isinstance(b, dict)
    ]
    if bases:
        meta["base_model"] = [_base_id(b) for b in bases]
        relations = {HUB_RELATIONS.get(str(b.get("relation")), "finetune") for b in bases}
        # The Hub takes one relation per card: a merge is what several bases mean.
        meta["base_model_relation"] = "merge" if "merge" in relations else sorted(relations)[0]
    datasets = [_dataset_name(d) for d in data.get("training_data") or []]
    if datasets:
        meta["datasets"] = datasets
    index = model_index(v)
    if index:
        meta["model-index"] = index
    return meta


def model_index(v: ModelVersion) -> list[dict[str, Any]]:
    """Evaluation results as the Hub's ``model-index`` (empty without metrics)."""
    found = metrics(v.data)
    if not found:
        return []
    dataset = v.data.get("evaluation_dataset")
    name = _dataset_name(dataset) if dataset else (v.data.get("benchmark_id") or "unknown")
    dataset_entry: dict[str, Any] = {"name": name, "type": name}
    if isinstance(dataset, Mapping) and dataset.get("revision"):
        dataset_entry["revision"] = str(dataset["revision"])
    task = {"type": v.data.get("pipeline_tag") or "other"}
    result_metrics = [
        {"type": metric_type(key), "value": value, "name": metric_name(key)}
        for key, value in found.items()
    ]
    return [
        {
            "name": v.ref_text,
            "results": [{"task": task, "dataset": dataset_entry, "metrics": result_metrics}],
        }
    ]


def metric_name(key: str) -> str:
    """A flattened metric key as people write it: ``custom.pass@1`` -> ``pass@1``."""
    return key.split(".", 1)[1] if key.startswith("custom.") else key


def metric_type(key: str) -> str:
    """The metric's kind for ``model-index``: ``rouge.rougeL`` -> ``rougeL``."""
    name = metric_name(key)
    return name.split(".")[-1] if key.startswith("rouge.") else name


def _base_id(base: Mapping[str, Any]) -> str:
    return str(base.get("model") or base.get("external"))


def _dataset_name(item: Any) -> str:
    if isinstance(item, Mapping):
        return str(item.get("name"))
    return str(item)


def external_source(v: ModelVersion) -> str | None:
    """Where an external model comes from, or None for one trained here."""
    url = v.data.get("external_source_url")
    return url if v.data.get("is_external") and isinstance(url, str) else None


def build_card(
    v: ModelVersion,
    graph: LineageGraph | None = None,
    history: Sequence[AuditEntry] = (),
    commit: str | None = None,
) -> ModelCard:
    """The model card of ``v``: front matter, and a body with lineage and history when given."""
    return ModelCard(card_metadata(v), _body(v, graph, history, commit))


def _body(
    v: ModelVersion, graph: LineageGraph | None, history: Sequence[AuditEntry], commit: str | None
) -> str:
    data = v.data
    out: list[str] = [f"# {_inline(data.get('title') or v.ref_text)}", ""]
    if data.get("description"):
        out += [str(data["description"]).strip(), ""]
    summary = [
        ("Model", f"`{v.ref_text}`"),
        ("Owner", data.get("owner")),
        ("Framework", data.get("framework")),
        ("Model family", data.get("model_family")),
        ("Parameters", _count(data.get("parameter_count"))),
        ("Promotion", (data.get("promotion") or {}).get("state")),
        ("Status", data.get("status")),
        ("Created", data.get("created_at")),
    ]
    out += [*_table(("", ""), [(k, val) for k, val in summary if val is not None]), ""]

    source = external_source(v)
    if data.get("is_external"):
        out += ["## Source", ""]
        revision = data.get("external_source_version")
        where = f"<{source}>" if source else "(not recorded)"
        out += [
            f"An external model: {where}" + (f" at revision `{revision}`." if revision else "."),
            "",
        ]

    if data.get("training_data"):
        out += ["## Training data", ""]
        for item in data["training_data"]:
            if isinstance(item, Mapping):
                extras = [
                    f"{key} {item[key]}" for key in ("revision", "samples", "uri") if item.get(key)
                ]
                out.append(
                    f"- {_inline(item.get('name'))}"
                    + (f" ({', '.join(map(str, extras))})" if extras else "")
                )
        out.append("")

    config = data.get("training_config")
    if isinstance(config, Mapping) and config:
        out += ["## Training configuration", ""]
        out += [*_table(("setting", "value"), list(config.items())), ""]
    training = data.get("training")
    if isinstance(training, Mapping) and any(value is not None for value in training.values()):
        out += ["## Training run", ""]
        out += [*_table(("", ""), [(k, val) for k, val in training.items() if val is not None]), ""]

    code = data.get("code")
    if isinstance(code, Mapping) and any(code.values()):
        out += ["## Code", ""]
        out += [*_table(("", ""), [(k, val) for k, val in code.items() if val]), ""]

    found = metrics(data)
    if found:
        dataset = data.get("evaluation_dataset")
        on = f" on {_inline(_dataset_name(dataset))}" if dataset else ""
        out += ["## Evaluation", "", f"Measured{on}:", ""]
        out += _table(("metric", "value"), [(metric_name(k), val) for k, val in found.items()])
        out.append("")

    out += _lineage_section(v, graph)
    out += _deployments_section(data.get("deployments") or [])

    if history:
        out += ["## History", ""]
        out += _table(
            ("date", "author", "commit", "change"),
            [(e.date, e.author, f"`{e.commit[:10]}`", e.summary) for e in history],
        )
        out.append("")

    flags = data.get("review") or []
    if flags:
        out += ["## Open review flags", ""]
        out += [f"- `{_inline(f.get('field'))}`: {_inline(f.get('reason'))}" for f in flags]
        out.append("")

    at = f" at commit `{commit[:12]}`" if commit else ""
    out += [f"_Generated by afsreg from `{v.path}`{at}._", ""]
    return "\n".join(out)


def _lineage_section(v: ModelVersion, graph: LineageGraph | None) -> list[str]:
    lineage = v.data.get("lineage") or {}
    if not lineage and graph is None:
        return []
    out = ["## Lineage", ""]
    if lineage.get("parent"):
        out.append(f"- parent: `{v.name}@{lineage['parent']}`")
    for base in lineage.get("base_models") or []:
        if isinstance(base, Mapping):
            revision = f" at `{base['revision']}`" if base.get("revision") else ""
            source = f" ({base['source']})" if base.get("source") else ""
            out.append(f"- {base.get('relation')} of `{_base_id(base)}`{source}{revision}")
    if graph is not None and v.ref_text in graph.nodes:
        ancestors = [s.node.id for s in graph.ancestors(v.ref_text)[1:]]
        descendants = [s.node.id for s in graph.descendants(v.ref_text)[1:]]
        if ancestors:
            out.append("- derived from: " + ", ".join(f"`{a}`" for a in ancestors))
        if descendants:
            out.append("- derived into: " + ", ".join(f"`{d}`" for d in descendants))
    if len(out) == 2:
        out.append("No parent or base model: trained from scratch or imported.")
    return [*out, ""]


def _deployments_section(deployments: list[Any]) -> list[str]:
    rows = [
        (
            d.get("env"),
            d.get("deployed_at"),
            d.get("undeployed_at") or "active",
            d.get("deployed_by"),
        )
        for d in deployments
        if isinstance(d, Mapping)
    ]
    if not rows:
        return []
    return ["## Deployments", "", *_table(("env", "from", "until", "by"), rows), ""]


def _table(header: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        value = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return _inline(value).replace("|", "\\|")


def _inline(value: Any) -> str:
    """One line of markdown text: newlines folded."""
    return " ".join(str(value).split())


def _count(value: Any) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    for unit, size in (("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if value >= size:
            return f"{value / size:.1f}{unit} ({value:,})"
    return str(value)
