"""The hooks, driven by the real `pre-commit` program and by plain git."""

import subprocess
from pathlib import Path

from conftest import REPO_ROOT, GitRegistry, dump, model_doc, run_afsreg

REPO = REPO_ROOT


def precommit_registry(git_registry: GitRegistry, afsreg_env: dict[str, str]) -> GitRegistry:
    root = git_registry.root
    (root / ".pre-commit-config.yaml").write_text((REPO / ".pre-commit-config.yaml").read_text())
    git_registry.write_model("m", "v1")
    git_registry.commit("initial")
    result = subprocess.run(
        ["pre-commit", "install"], cwd=root, env=afsreg_env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return git_registry


def commit(root: Path, env: dict[str, str], message: str) -> subprocess.CompletedProcess[str]:
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    return subprocess.run(
        ["git", "commit", "-m", message], cwd=root, env=env, capture_output=True, text=True
    )


def test_precommit_refuses_a_broken_file_with_the_line(
    git_registry: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    reg = precommit_registry(git_registry, afsreg_env)
    bad = dump(model_doc("m", "v2")).replace("parameter_count: 1000", "parameter_count: lots")
    reg.write("models/m/v2.yaml", bad)
    line = bad.splitlines().index("parameter_count: lots") + 1
    result = commit(reg.root, afsreg_env, "add a broken version")
    assert result.returncode != 0
    assert (
        f"models/m/v2.yaml:{line}:1: parameter_count: expected integer or null"
        in result.stdout + result.stderr
    )
    assert reg.git("log", "--format=%s").splitlines() == ["initial"]


def test_precommit_lets_a_good_file_through(
    git_registry: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    reg = precommit_registry(git_registry, afsreg_env)
    reg.write_model("m", "v2", lineage={"parent": "v1"})
    result = commit(reg.root, afsreg_env, "add v2")
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "afsreg validate" in output and "Passed" in output
    assert reg.git("log", "--format=%s").splitlines() == ["add v2", "initial"]


def test_plain_git_hook_checks_the_staged_files(
    git_registry: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    reg = git_registry
    reg.write_model("m", "v1")
    reg.commit("initial")
    installed = run_afsreg(["install-hooks"], reg.root, env=afsreg_env)
    assert installed.returncode == 0, installed.stderr
    assert (reg.root / ".git" / "hooks" / "pre-commit").stat().st_mode & 0o111
    reg.write("models/m/v2.yaml", "name: m\nversion: v2\nversion: v3\n")
    refused = commit(reg.root, afsreg_env, "broken")
    assert refused.returncode != 0
    assert "models/m/v2.yaml:3:1: version: duplicate key 'version'" in refused.stderr
    # Fixed in the index, the commit goes through.
    reg.write_model("m", "v2", lineage={"parent": "v1"})
    accepted = commit(reg.root, afsreg_env, "good")
    assert accepted.returncode == 0, accepted.stderr


def test_install_hooks_does_not_clobber_another_hook(
    git_registry: GitRegistry, afsreg_env: dict[str, str]
) -> None:
    hook = git_registry.root / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text("#!/bin/sh\necho mine\n")
    result = run_afsreg(["install-hooks"], git_registry.root, env=afsreg_env)
    assert result.returncode == 1 and "--force" in result.stderr
    assert hook.read_text() == "#!/bin/sh\necho mine\n"
