"""Writers at once (issue 11): one lock per registry, held from reading to the last rename,
a re-check under the lock, and multi-file changes that are all or nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import BIN_DIR, GitRegistry, run_afsreg

from afsreg.errors import AfsregError, ValidationError
from afsreg.registry import Registry
from afsreg.write.lifecycle import promote
from afsreg.write.lock import write_lock


def start(args: list[str], root: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PATH": BIN_DIR + os.pathsep + os.environ["PATH"]}
    env.pop("AFSREG_DATABASE_URL", None)
    return subprocess.Popen(
        [f"{BIN_DIR}/afsreg", *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(processes: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    results = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert "Traceback" not in err and "internal error" not in err, err
        results.append((process.returncode, out, err))
    return results


def data(registry: GitRegistry, rel: str) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((registry.root / rel).read_text())


def assert_valid(registry: GitRegistry) -> None:
    result = run_afsreg(["validate"], registry.root)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def one_model(git_registry: GitRegistry) -> GitRegistry:
    git_registry.write_model("m", "v1", promotion={"state": "promoted"})
    git_registry.write_model("m", "v2")
    git_registry.write_model("m", "v3")
    git_registry.commit("start")
    return git_registry


def test_eight_scores_at_once_lose_nothing(one_model: GitRegistry) -> None:
    processes = [start(["score", "m@v1", f"metric_{i}=0.{i}1"], one_model.root) for i in range(8)]
    results = finish(processes)
    custom = data(one_model, "models/m/v1.yaml")["evaluation_metrics"].get("custom", {})
    for i, (code, _out, err) in enumerate(results):
        if code == 0:  # acknowledged: it must be in the file
            assert custom.get(f"metric_{i}") == float(f"0.{i}1"), (i, custom)
        else:
            assert code == 1 and "error: " in err
    assert sum(code == 0 for code, _, _ in results) == 8  # the lock makes them wait, not fail
    assert_valid(one_model)


def test_two_promotes_at_once_leave_one_promoted_version(one_model: GitRegistry) -> None:
    results = finish([start(["promote", f"m@{v}"], one_model.root) for v in ("v2", "v3")])
    states = {
        v: data(one_model, f"models/m/{v}.yaml")["promotion"]["state"] for v in ("v1", "v2", "v3")
    }
    assert list(states.values()).count("promoted") == 1, states
    assert all(code == 0 for code, _, _ in results)
    assert_valid(one_model)


def test_adds_promotes_deploys_and_scores_at_once(one_model: GitRegistry) -> None:
    """Every write that exits 0 is in the files; the others are clean refusals that
    depend on order (a deploy of m@v1 after the promote of m@v3 made it superseded)."""
    jobs = [
        ["add", "m", "--from", "models/m/v2.yaml", "--parent", "v1"],
        ["add", "m", "--from", "models/m/v2.yaml", "--parent", "v1"],
        ["add", "m", "--from", "models/m/v2.yaml", "--parent", "v2"],
        ["deploy", "m@v1", "--env", "staging"],
        ["deploy", "m@v1", "--env", "production"],
        ["score", "m@v1", "f1_score=0.71"],
        ["score", "m@v2", "accuracy=0.72"],
        ["promote", "m@v3"],
    ]
    # A list, not a dict: two of the jobs are the same command.
    outcomes = finish([start(job, one_model.root) for job in jobs])
    results = list(zip(map(tuple, jobs), outcomes, strict=True))
    for job, (code, _out, err) in results:
        assert code == 0 or (code == 1 and err.startswith("error: ")), (job, err)
    ok = {job for job, (code, _, _) in results if code == 0}
    adds = [out for job, (code, out, _) in results if job[0] == "add" and code == 0]
    assert len(adds) == 3, results  # adds do not conflict: three new versions
    files = sorted(p.name for p in (one_model.root / "models" / "m").glob("v*.yaml"))
    assert len(files) == 6, files
    v1 = data(one_model, "models/m/v1.yaml")
    active = {d["env"] for d in v1.get("deployments", []) if not d.get("undeployed_at")}
    for env in ("staging", "production"):
        if ("deploy", "m@v1", "--env", env) in ok:
            assert env in active
    assert v1["evaluation_metrics"]["f1_score"] == 0.71
    assert data(one_model, "models/m/v2.yaml")["evaluation_metrics"]["accuracy"] == 0.72
    assert data(one_model, "models/m/v3.yaml")["promotion"]["state"] == "promoted"
    assert_valid(one_model)


def test_a_waiting_writer_gives_up_naming_the_holder(one_model: GitRegistry) -> None:
    env = {**os.environ, "AFSREG_LOCK_TIMEOUT": "0.3"}
    before = (one_model.root / "models/m/v2.yaml").read_bytes()
    with write_lock(one_model.root):
        result = run_afsreg(["score", "m@v2", "accuracy=0.9"], one_model.root, env=env)
    assert result.returncode == 1
    assert f"another afsreg write is running (pid {os.getpid()})" in result.stderr
    assert (one_model.root / "models/m/v2.yaml").read_bytes() == before
    # Released: the same write goes through.
    assert run_afsreg(["score", "m@v2", "accuracy=0.9"], one_model.root).returncode == 0


def test_a_stale_registry_is_checked_again_under_the_lock(one_model: GitRegistry) -> None:
    """Two writers read the registry before either writes: the second must see the first."""
    first, second = Registry.open(one_model.root), Registry.open(one_model.root)
    promote(first, "m@v2")
    before = {p.name: p.read_bytes() for p in (one_model.root / "models/m").iterdir()}
    # `second` still believes v1 is the promoted one; its promote of v3 supersedes v1
    # only. Against the files as they are now it would leave v2 and v3 promoted.
    with pytest.raises(ValidationError, match="2 versions of m are promoted"):
        promote(second, "m@v3")
    assert {p.name: p.read_bytes() for p in (one_model.root / "models/m").iterdir()} == before


def test_a_failed_second_rename_puts_the_first_file_back(
    one_model: GitRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """promote writes v2 (promoted) and v1 (superseded); the second rename fails (EIO)."""
    before = {p.name: p.read_bytes() for p in (one_model.root / "models/m").iterdir()}
    real_replace = os.replace
    calls = []

    def fail_second(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if "/models/" in str(dst):  # not afsreg's caches
            calls.append(dst)
        if len(calls) == 2 and calls[-1] == dst:
            raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr("afsreg.write.change.os.replace", fail_second)
    with pytest.raises(AfsregError, match="nothing was changed"):
        promote(Registry.open(one_model.root), "m@v2")
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in (one_model.root / "models/m").iterdir()} == before
    assert_valid(one_model)


# -- what writes say ------------------------------------------------------------------


def test_a_write_on_a_version_that_does_not_parse_names_the_file(one_model: GitRegistry) -> None:
    (one_model.root / "models/m/v2.yaml").write_text("title: [broken\n")
    for args in (["score", "m@v2", "accuracy=0.5"], ["promote", "m@v2"], ["deploy", "m@v2"]):
        result = run_afsreg(args, one_model.root)
        assert result.returncode == 1
        assert "models/m/v2.yaml doesn't parse: " in result.stderr, args
        assert "no model named" not in result.stderr


def test_score_with_a_big_integer_is_stored_exactly(one_model: GitRegistry) -> None:
    big = "123456789012345678901234567890"
    assert run_afsreg(["score", "m@v1", f"tokens_seen={big}"], one_model.root).returncode == 0
    assert data(one_model, "models/m/v1.yaml")["evaluation_metrics"]["custom"][
        "tokens_seen"
    ] == int(big)
    for value in ("9" * 200, "nan", "inf", "1e400"):
        result = run_afsreg(["score", "m@v1", f"x={value}"], one_model.root)
        assert result.returncode == 1 and "Traceback" not in result.stderr, value


def test_score_on_a_file_with_anchors_names_the_file(git_registry: GitRegistry) -> None:
    text = (
        (git_registry.write_model("m", "v1"))
        .read_text()
        .replace("training_config:\n  epochs: 1", "training_config: &cfg\n  epochs: 1")
    )
    git_registry.write("models/m/v1.yaml", text)
    result = run_afsreg(["score", "m@v1", "accuracy=0.9"], git_registry.root)
    assert result.returncode == 1
    assert "models/m/v1.yaml:" in result.stderr and "anchors" in result.stderr


def test_add_from_a_broken_template_or_dev_zero_names_it(
    one_model: GitRegistry, tmp_path: Path
) -> None:
    broken = tmp_path / "template.yaml"
    broken.write_text("title: [unclosed\n")
    result = run_afsreg(["add", "m", "--from", str(broken)], one_model.root)
    assert result.returncode == 1 and f"{broken}:2:" in result.stderr
    result = run_afsreg(["add", "m", "--from", "/dev/zero"], one_model.root)  # bounded, not forever
    assert result.returncode == 1 and "/dev/zero: not a regular file" in result.stderr
    big = tmp_path / "big.yaml"
    big.write_bytes(b"description: " + b"x" * (2 * 1024 * 1024) + b"\n")
    result = run_afsreg(["add", "m", "--from", str(big)], one_model.root)
    assert result.returncode == 1 and f"{big}: a model file may be at most 1 MiB" in result.stderr
