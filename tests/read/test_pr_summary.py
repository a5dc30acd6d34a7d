"""The pull-request summary: a promotion with a regression, as a reviewer reads it."""

from __future__ import annotations

from conftest import GitRegistry, run_afsreg
from policy_cases import ENVIRONMENTS, good_v2, policy_registry

POLICY = (
    ENVIRONMENTS
    + """\
gates:
  - stage: promoted
    no_regression: {metrics: [f1_score, accuracy], tolerance: 0.01}
  - stage: production
    metrics:
      f1_score: {min: 0.80}
"""
)


def test_markdown_summary_of_a_promotion_with_a_regression(
    git_registry: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    reg = policy_registry(git_registry, POLICY, afsreg_env)
    reg.write_model(
        "majora",
        "v2",
        **good_v2(
            evaluation_metrics={"accuracy": 0.93, "f1_score": 0.82},
            training_config={"epochs": 5, "samples": 400},
            review=[{"field": "parameter_count", "reason": "copied from v1"}],
        ),
    )
    reg.commit("add majora v2")
    # Promote and deploy it without the policy (as a hand edit would), then
    # see what the reviewer is shown.
    policy = (reg.root / "afsreg.yaml").read_text()
    (reg.root / "afsreg.yaml").unlink()
    for args in (
        ["promote", "majora@v2"],
        ["deploy", "majora@v2", "--env", "staging"],
        ["deploy", "majora@v2", "--env", "production"],
    ):
        result = run_afsreg(args, reg.root, afsreg_env)
        assert result.returncode == 0, result.stderr
    (reg.root / "afsreg.yaml").write_text(policy)
    reg.commit("promote and deploy majora v2")
    head = reg.git("rev-parse", "HEAD").strip()

    step_summary = reg.root.parent / "step-summary.md"
    step_summary.write_text("earlier step\n")
    env = {**afsreg_env, "GITHUB_STEP_SUMMARY": str(step_summary)}
    result = run_afsreg(["diff", "main", head, "--format", "markdown"], reg.root, env)
    assert result.returncode == 0, result.stderr
    md = result.stdout
    assert step_summary.read_text() == "earlier step\n" + md

    assert md.startswith("### Registry changes: `main` → `pr`")  # branches, not SHAs
    assert ":x: **1 gate check(s) failed**" in md
    assert "- majora promoted: v1 -> v2" in md
    assert "- majora production: v1 -> v2" in md
    assert "- majora staging: v1 -> v2" in md
    assert "#### `majora@v2` (added, parent v1)" in md
    assert "**Gates** (promoted, production, staging)" in md
    assert (
        ":x: promotion gate · no_regression: f1_score 0.82 regressed from 0.84 "
        "(majora@v1, the version it replaces) by 0.02; the promotion gate allows 0.01"
    ) in md
    assert ":white_check_mark: promotion gate · no_regression: accuracy 0.93 vs 0.90" in md
    assert ":white_check_mark: production gate · metrics: f1_score 0.82 (at least 0.80)" in md
    assert "| `training_config.epochs` | `1` | `5` |" in md
    assert (
        "| Metric | This version | Parent v1 | Δ parent | Promoted majora@v1 | Δ promoted |" in md
    )
    assert "| f1_score | 0.82 | 0.84 | -0.02 | 0.84 | -0.02 |" in md
    assert "| accuracy | 0.93 | 0.9 | +0.03 | 0.9 | +0.03 |" in md
    assert "`code.commit_sha` | `89abcdef` | `0123abcd` |" in md
    assert "**Open review flags (1)**" in md and "- `parameter_count`: copied from v1" in md
    # The superseded version's deployments, as events rather than JSON.
    assert "undeployed from production at" in md
    assert '"deployed_at"' not in md

    log = run_afsreg(["log", "majora@v2"], reg.root, env)
    assert log.returncode == 0, log.stderr
    assert "deployed to production at" in log.stdout and "deployed to staging at" in log.stdout
    assert '"env"' not in log.stdout
