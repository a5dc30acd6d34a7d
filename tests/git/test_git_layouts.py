"""Read and write commands on every git layout issue 11 lists: `.git` as a file
(--separate-git-dir, worktrees), core.hooksPath, a submodule under models/, a
sparse checkout hiding models/, models/ committed as a symlink, FIFOs and sockets."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest
from conftest import BIN_DIR, GitRegistry, dump, git, model_doc, run_afsreg

BROKEN = "schema_version: 1\nname: m\nversion: v2\ntitle: [unclosed\n"


def configure(root: Path) -> None:
    git(root, "config", "user.name", "Alice Example")
    git(root, "config", "user.email", "alice@example.com")
    git(root, "config", "commit.gpgsign", "false")


def write_model(root: Path, name: str, version: str, **overrides: object) -> None:
    target = root / "models" / name / f"{version}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(dump(model_doc(name, version, **overrides)))


def separate_git_dir(tmp_path: Path) -> Path:
    root = tmp_path / "work"
    git(
        tmp_path,
        "init",
        "-q",
        "-b",
        "main",
        "--separate-git-dir",
        str(tmp_path / "gitdir"),
        str(root),
    )
    configure(root)
    return root


def linked_worktree(tmp_path: Path) -> Path:
    main = GitRegistry(tmp_path / "main")
    main.write_model("m", "v1")
    main.commit("start")
    git(main.root, "worktree", "add", "-q", str(tmp_path / "linked"), "-b", "side")
    return tmp_path / "linked"


LAYOUTS = {"separate-git-dir": separate_git_dir, "worktree": linked_worktree}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_git_file_layouts_validate_the_right_folder(tmp_path: Path, layout: str) -> None:
    root = LAYOUTS[layout](tmp_path)
    assert (root / ".git").is_file()
    write_model(root, "m", "v1")
    (root / "models" / "m" / "v2.yaml").write_text(BROKEN)
    result = run_afsreg(["validate"], root)
    assert result.returncode == 1, result
    assert "models/m/v2.yaml:" in result.stderr
    sub = root / "models"
    result = run_afsreg(["list"], sub)  # found from a subfolder too
    assert result.returncode == 1 and "models/m/v2.yaml doesn't parse" in result.stderr


@pytest.mark.parametrize("layout", LAYOUTS)
def test_git_file_layouts_hook_blocks_a_broken_commit_and_writes_work(
    tmp_path: Path, layout: str
) -> None:
    root = LAYOUTS[layout](tmp_path)
    result = run_afsreg(["install-hooks"], root)
    assert result.returncode == 0, result
    installed = Path(result.stdout.split("installed ", 1)[1].strip())
    hooks = git(root, "rev-parse", "--path-format=absolute", "--git-path", "hooks").strip()
    assert installed == Path(hooks) / "pre-commit"
    write_model(root, "m", "v1")
    (root / "models" / "m" / "v2.yaml").write_text(BROKEN)
    git(root, "add", "-A")
    env = {**os.environ, "PATH": BIN_DIR + os.pathsep + os.environ["PATH"]}
    commit = subprocess.run(
        ["git", "commit", "-q", "-m", "broken"], cwd=root, env=env, capture_output=True, text=True
    )
    assert commit.returncode != 0, commit
    assert "models/m/v2.yaml:" in commit.stderr + commit.stdout
    (root / "models" / "m" / "v2.yaml").unlink()
    git(root, "add", "-A")
    result = run_afsreg(["score", "m@v1", "f1=0.5", "--commit"], root)
    assert result.returncode == 0, result
    assert "f1: 0.5" in git(root, "show", "HEAD:models/m/v1.yaml")


def test_install_hooks_follows_core_hooks_path(git_registry: GitRegistry) -> None:
    git_registry.git("config", "core.hooksPath", ".githooks")
    result = run_afsreg(["install-hooks"], git_registry.root)
    assert result.returncode == 0, result
    assert (git_registry.root / ".githooks" / "pre-commit").is_file()
    assert os.access(git_registry.root / ".githooks" / "pre-commit", os.X_OK)
    assert [p.name for p in (git_registry.root / ".githooks").iterdir()] == ["pre-commit"]
    assert not (git_registry.root / ".git" / "hooks" / "pre-commit").exists()
    git_registry.write("models/m/v2.yaml", BROKEN)
    git_registry.git("add", "-A")
    env = {**os.environ, "PATH": BIN_DIR + os.pathsep + os.environ["PATH"]}
    commit = subprocess.run(
        ["git", "commit", "-q", "-m", "broken"],
        cwd=git_registry.root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert commit.returncode != 0 and "models/m/v2.yaml:" in commit.stderr + commit.stdout


@pytest.fixture
def submodule_under_models(tmp_path: Path) -> GitRegistry:
    other = GitRegistry(tmp_path / "other")
    other.write("v1.yaml", dump(model_doc("s", "v1")))
    other.commit("a model kept elsewhere")
    registry = GitRegistry(tmp_path / "registry")
    registry.write_model("m", "v1")
    git(
        registry.root,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(other.root),
        "models/s",
    )
    registry.commit("with a submodule")
    return registry


def test_submodule_under_models_is_refused_by_validate_sync_and_the_hook(
    submodule_under_models: GitRegistry,
) -> None:
    root = submodule_under_models.root
    expected = "models/s:1:1: (file): is a git submodule"
    for args in (
        ["validate"],
        ["validate", "--staged"],
        ["sync", "--database-url", "sqlite:///db.sqlite3"],
    ):
        result = run_afsreg(args, root)
        assert result.returncode == 1, (args, result)
        assert expected in result.stderr, args
    assert not (root / "db.sqlite3").exists()


def test_sparse_checkout_hiding_models_refuses_working_tree_reads_and_writes(
    git_registry: GitRegistry,
) -> None:
    git_registry.write_model("m", "v1")
    git_registry.write("docs/readme.md", "docs\n")
    git_registry.commit("start")
    git_registry.git("sparse-checkout", "set", "docs")
    assert not (git_registry.root / "models" / "m").exists()
    for args in (["add", "m"], ["list"], ["validate"]):
        result = run_afsreg(args, git_registry.root)
        assert result.returncode == 1, (args, result)
        assert "models/m/v1.yaml is hidden by a sparse checkout" in result.stderr
    assert git_registry.git("status", "--porcelain") == ""
    result = run_afsreg(["list", "--rev", "HEAD"], git_registry.root)
    assert result.returncode == 0 and "m " in result.stdout
    result = run_afsreg(["validate", "--staged"], git_registry.root)  # what the hook checks
    assert result.returncode == 0, result


def test_models_committed_as_a_symlink_is_refused_and_sync_deletes_nothing(
    git_registry: GitRegistry,
) -> None:
    git_registry.write_model("m", "v1")
    git_registry.commit("start")
    url = "sqlite:///" + str(git_registry.root / ".afsreg" / "db.sqlite3")
    assert run_afsreg(["sync", "--database-url", url], git_registry.root).returncode == 0
    git_registry.git("mv", "models", "real")
    os.symlink("real", git_registry.root / "models")
    git_registry.commit("models is a link now")
    for args in (["validate"], ["validate", "--staged"], ["sync", "--database-url", url]):
        result = run_afsreg(args, git_registry.root)
        assert result.returncode == 1, (args, result)
        assert "models:1:1: (file): is a symbolic link" in result.stderr
    status = run_afsreg(["list", "--rev", "HEAD~1"], git_registry.root)
    assert "m " in status.stdout
    import sqlite3

    rows = (
        sqlite3.connect(git_registry.root / ".afsreg" / "db.sqlite3")
        .execute("SELECT count(*) FROM model_versions")
        .fetchone()
    )
    assert rows == (1,)


@pytest.mark.parametrize("kind", ["fifo", "socket"])
def test_fifo_or_socket_under_models_never_blocks(git_registry: GitRegistry, kind: str) -> None:
    git_registry.write_model("m", "v1")
    target = git_registry.root / "models" / "m" / "v2.yaml"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(target))
    for args in (["validate"], ["list"]):
        result = run_afsreg(args, git_registry.root)  # a timeout (120 s) would fail the test
        assert result.returncode == 1, (args, result)
        assert "models/m/v2.yaml" in result.stderr and "not a regular file" in result.stderr
    # A write to another version still works (errors in untouched files don't block it).
    result = run_afsreg(["score", "m@v1", "f1=0.5"], git_registry.root)
    assert result.returncode == 0, result
