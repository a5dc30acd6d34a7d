"""Problems in the formats CI systems read: GitHub workflow commands and SARIF 2.1.0.

    ::error file=models/majora/v3.yaml,line=31,col=3,title=afsreg%3A evaluation_metrics.f1_score::majora@v3: ...

GitHub shows each as an annotation on that line of the pull request. Its
escaping rules (from the runner's command parser): in the message, ``%``,
CR and LF are written ``%25``, ``%0D`` and ``%0A``; in a property value also
``:`` and ``,`` (``%3A``, ``%2C``), since those end a property.

SARIF is what code-scanning tools (GitHub code scanning among them) import.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from afsreg.problems import Problem
from afsreg.version import __version__

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
DEFAULT_RULE = "validate"
RULE_HELP = {
    DEFAULT_RULE: "A model version file breaks the file format, a cross-file rule, or the "
    "immutability of released versions.",
    "policy/metrics": "A gated metric is missing or outside the policy's bounds.",
    "policy/no_regression": "A metric is worse than on the version this one replaces.",
    "policy/required_fields": "A field the policy requires is empty.",
    "policy/no_open_review": "The version still has open review flags.",
    "policy/require_evaluation_dataset": "The version does not say what it was evaluated on.",
    "policy/require_code_pin": "The version does not pin its training code (code.commit_sha).",
    "policy/promoted_inputs": "A base model or training data set is not promoted.",
    "policy/environments": "A deployment to an unknown environment, or out of order.",
    "codeowners": "The generated block of .github/CODEOWNERS is out of date.",
}


def checkout_prefix(root: Path, environ: Mapping[str, str] = os.environ) -> str:
    """Where the registry sits in the checkout (``registry/``), as annotations need paths
    relative to GITHUB_WORKSPACE; empty when it is the checkout itself or not under it."""
    workspace = environ.get("GITHUB_WORKSPACE")
    if not workspace:
        return ""
    try:
        relative = root.resolve().relative_to(Path(workspace).resolve())
    except ValueError:
        return ""
    return "" if relative == Path(".") else relative.as_posix() + "/"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_command(problem: Problem, prefix: str = "") -> str:
    """One problem as a GitHub workflow command; ``prefix`` puts the path under the checkout."""
    kind = "error" if problem.severity == "error" else "warning"
    properties = {
        "file": prefix + problem.path,
        "line": str(max(problem.line, 1)),
        "col": str(max(problem.col, 1)),
        "title": f"afsreg: {problem.field or problem.rule or 'file'}",
    }
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{kind} {joined}::{escape_data(problem.message)}"


def github_commands(problems: Sequence[Problem], prefix: str = "") -> list[str]:
    return [github_command(p, prefix) for p in problems]


def sarif_log(problems: Sequence[Problem], prefix: str = "") -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run of afsreg."""
    rule_ids = sorted({p.rule or DEFAULT_RULE for p in problems} | {DEFAULT_RULE})
    rules = [
        {
            "id": rule_id,
            "name": rule_id.replace("/", "-"),
            "shortDescription": {"text": RULE_HELP.get(rule_id, rule_id)},
        }
        for rule_id in rule_ids
    ]
    results = [
        {
            "ruleId": p.rule or DEFAULT_RULE,
            "ruleIndex": rule_ids.index(p.rule or DEFAULT_RULE),
            "level": "error" if p.severity == "error" else "warning",
            "message": {"text": f"{p.field}: {p.message}" if p.field else p.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": prefix + p.path, "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": max(p.line, 1), "startColumn": max(p.col, 1)},
                    }
                }
            ],
        }
        for p in problems
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "afsreg",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
