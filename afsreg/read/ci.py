"""``afsreg ci``: what the GitHub Action runs on a pull request (or a push).

It reads the job's context the way GitHub hands it over (GITHUB_EVENT_PATH,
GITHUB_BASE_REF, GITHUB_HEAD_REF, GITHUB_SHA, GITHUB_WORKSPACE, ...), then:

1. validates the checkout against the pull request's base: the schema and
   cross-file rules, immutability of released versions, and the policy
   (afsreg.yaml) for the versions the change touches;
2. checks that .github/CODEOWNERS is up to date, when afsreg manages it;
3. prints every problem as a GitHub workflow command, so it appears as an
   annotation on the offending line of the pull request;
4. writes the review summary (afsreg.read.summary) to the job summary
   ($GITHUB_STEP_SUMMARY) and to a file for a PR comment, and sets the
   step's outputs (errors, warnings, gate-failures, summary-path).

Everything GitHub-specific is read from the environment mapping passed in,
so tests run it in a local repository with the variables set.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from afsreg.errors import AfsregError
from afsreg.problems import Problem
from afsreg.read.validate import Report, validate
from afsreg.text import visible

ZERO_SHA = "0" * 40


@dataclass
class CiContext:
    base: str | None  # the revision to compare with; None: nothing to compare with
    base_label: str
    head_label: str
    event: str


@dataclass
class CiResult:
    report: Report  # validate's, plus a stale CODEOWNERS block
    annotations: list[str]
    summary: str
    summary_path: Path | None = None
    gate_failures: int = 0

    @property
    def errors(self) -> list[Problem]:
        return self.report.errors

    @property
    def warnings(self) -> list[Problem]:
        return self.report.warnings


def github_context(root: Path, environ: Mapping[str, str], base: str | None = None) -> CiContext:
    """Which revision the change is compared with, and what to call both sides."""
    from afsreg.git.repo import open_repo
    from afsreg.read.diff import rev_label

    repo = open_repo(root)
    event_name = environ.get("GITHUB_EVENT_NAME", "")
    payload = _event_payload(environ)
    head_label = environ.get("GITHUB_HEAD_REF") or environ.get("GITHUB_REF_NAME") or "HEAD"
    label = None
    if base is None:
        pull = payload.get("pull_request")
        if isinstance(pull, dict) and isinstance(pull.get("base"), dict):
            sha = pull["base"].get("sha")
            base = sha if isinstance(sha, str) else None
            label = environ.get("GITHUB_BASE_REF") or pull["base"].get("ref")
        elif environ.get("GITHUB_BASE_REF"):
            ref = environ["GITHUB_BASE_REF"]
            base = _first_existing(repo, [f"origin/{ref}", ref]) or f"origin/{ref}"
            label = ref
        else:
            before = payload.get("before")  # a push: compare with what the branch was
            if isinstance(before, str) and before != ZERO_SHA:
                base = before
    if base is not None:
        from afsreg.git.repo import resolve_commit

        try:
            resolve_commit(repo, base)
        except AfsregError:
            raise AfsregError(
                f"the base revision {base} is not in this clone; check out with "
                "`fetch-depth: 0` (actions/checkout) so afsreg can compare with it"
            ) from None
        label = label or rev_label(repo, base)
    return CiContext(base, label or "(no base)", head_label, event_name)


def _event_payload(environ: Mapping[str, str]) -> dict[str, object]:
    path = environ.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        loaded = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AfsregError(f"{path}: cannot read the GitHub event ({exc})") from None
    return loaded if isinstance(loaded, dict) else {}


def _first_existing(repo: object, revs: list[str]) -> str | None:
    import pygit2

    assert isinstance(repo, pygit2.Repository)
    for rev in revs:
        try:
            repo.revparse_single(rev)
            return rev
        except (KeyError, ValueError, pygit2.GitError):
            continue
    return None


def run_ci(root: Path, environ: Mapping[str, str], base: str | None = None) -> CiResult:
    """Validate, check CODEOWNERS, summarise; write the job summary and outputs GitHub reads."""
    from afsreg.checks.policy import read_policy
    from afsreg.read.codeowners import BEGIN, codeowners
    from afsreg.read.reporters import checkout_prefix, github_commands
    from afsreg.read.summary import append_step_summary, pull_request_summary, render_summary
    from afsreg.registry import Registry

    context = github_context(root, environ, base)
    report = validate(root, against=context.base)
    problems = list(report.problems)

    policy, _ = read_policy(root)
    owners = codeowners(Registry.open(root), policy)
    if owners.current is not None and BEGIN in owners.current and owners.stale:
        line = owners.current[: owners.current.find(BEGIN)].count("\n") + 1
        problems.append(
            Problem(
                owners.path,
                line,
                1,
                "",
                "the afsreg block is out of date with the models' owners; run "
                "`afsreg codeowners` and commit the result",
                rule="codeowners",
            )
        )

    if context.base is not None:
        summary = pull_request_summary(
            root,
            context.base,
            None,
            base_label=context.base_label,
            head_label=context.head_label,
        )
        text = render_summary(summary)
        gate_failures = len(summary.failed_gates)
    else:
        text = "### Registry check\n\nNo base revision to compare with; validated the checkout.\n"
        gate_failures = 0
    text += visible(_validation_section(problems))
    result = CiResult(
        Report(problems, report.files_checked, report.versions),
        github_commands(problems, checkout_prefix(root, environ)),
        text,
        gate_failures=gate_failures,
    )
    append_step_summary(text, environ)
    result.summary_path = _write_summary_file(text, environ)
    _set_outputs(environ, result)
    return result


def _validation_section(problems: list[Problem]) -> str:
    from afsreg.read.diff import _md

    errors = [p for p in problems if p.severity == "error"]
    warnings = len(problems) - len(errors)
    if not errors:
        return f"\n:white_check_mark: **afsreg validate passed** ({warnings} warning(s)).\n"
    lines = ["", f":x: **afsreg validate: {len(errors)} error(s)**, {warnings} warning(s)", ""]
    lines += [
        f"- `{_md(p.path)}:{p.line}:{p.col}` {_md(p.field or '(file)')}: {_md(p.message)}"
        for p in errors
    ]
    return "\n".join(lines) + "\n"


def _write_summary_file(text: str, environ: Mapping[str, str]) -> Path:
    folder = environ.get("RUNNER_TEMP") or tempfile.gettempdir()
    fd, name = tempfile.mkstemp(prefix="afsreg-summary-", suffix=".md", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    return Path(name)


def _set_outputs(environ: Mapping[str, str], result: CiResult) -> None:
    target = environ.get("GITHUB_OUTPUT")
    if not target:
        return
    values = {
        "errors": str(len(result.errors)),
        "warnings": str(len(result.warnings)),
        "gate-failures": str(result.gate_failures),
        "summary-path": str(result.summary_path or ""),
    }
    try:
        with open(target, "a", encoding="utf-8") as out:
            for key, value in values.items():
                out.write(f"{key}={value}\n")
    except OSError as exc:
        raise AfsregError(f"{target}: cannot write the step outputs ({exc.strerror})") from None
