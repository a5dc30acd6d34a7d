"""`afsreg codeowners`: afsreg's block of .github/CODEOWNERS, written and checked."""

from __future__ import annotations

import os

from conftest import GitRegistry, run_afsreg
from policy_cases import github_env, parse_annotations

from afsreg.read.codeowners import BEGIN, END


def test_codeowners_writes_its_block_and_keeps_the_rest(git_registry: GitRegistry) -> None:
    reg = git_registry
    reg.write(
        "afsreg.yaml",
        'policy_version: 1\nowners:\n  "bio-*": ["@lab/biology"]\npolicy_owners: ["@lab/leads"]\n',
    )
    reg.write_model("majora", "v1", owner="scawful")
    reg.write_model("bio-ode", "v1", owner="someone")
    reg.write_model("legacy", "v1", owner="Data Team")
    reg.write(".github/CODEOWNERS", "# hand-written\n* @lab/everyone\n")

    stale = run_afsreg(["codeowners", "--check"], reg.root)
    assert stale.returncode == 1 and "out of date" in stale.stderr

    wrote = run_afsreg(["codeowners"], reg.root)
    assert wrote.returncode == 0, wrote.stderr
    assert "'Data Team' is not a GitHub user" in wrote.stderr
    text = (reg.root / ".github/CODEOWNERS").read_text()
    assert text.startswith("# hand-written\n* @lab/everyone\n\n" + BEGIN + "\n")
    block = text[text.index(BEGIN) : text.index(END)]
    assert "/afsreg.yaml @lab/leads\n" in block
    assert "/models/bio-ode/ @lab/biology\n" in block
    assert "/models/majora/ @scawful\n" in block
    assert "\n/models/legacy/" not in block

    assert run_afsreg(["codeowners", "--check"], reg.root).returncode == 0
    again = run_afsreg(["codeowners"], reg.root)
    assert "unchanged" in again.stdout
    assert (reg.root / ".github/CODEOWNERS").read_text() == text


def test_stale_codeowners_fails_ci_with_an_annotation(git_registry: GitRegistry) -> None:
    reg = git_registry
    reg.write_model("majora", "v1", owner="alice")
    assert run_afsreg(["codeowners"], reg.root).returncode == 0
    reg.commit("main")
    reg.git("checkout", "-q", "-b", "pr")
    reg.write_model("majora", "v1", owner="carol")  # a new owner, CODEOWNERS not regenerated
    reg.commit("hand the model to carol")
    ci = run_afsreg(["ci"], reg.root, {**os.environ, **github_env(reg)})
    assert ci.returncode == 1, ci.stdout + ci.stderr
    [annotation] = parse_annotations(ci.stdout)
    assert annotation["file"] == ".github/CODEOWNERS" and annotation["line"] == "1"
    assert "afsreg codeowners" in annotation["message"]
