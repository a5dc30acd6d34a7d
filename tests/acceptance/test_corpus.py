"""The corpus of bad model files (tests/data/bad/cases.yaml), through every way in.

Each case is installed in a registry that otherwise holds one valid version,
then run through:

- the Python API: ``Registry.errors`` holds the expected problem and
  ``Registry.check()`` raises ValidationError naming it;
- ``afsreg validate`` in-process (click) for every case, and as the real
  console script in a subprocess for a sample of every kind;
- ``afsreg sync``: the library call for every case (the case committed with
  --no-verify, as a bad push would land), the real command for a sample; the
  sync must refuse and leave every table as it was;
- the real pre-commit hook for a few cases: the commit is refused.

Every run must name ``path:line:col: field:``, print no traceback and change
no file.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygit2
import pytest
import yaml
from click.testing import CliRunner
from conftest import DATA, REPO_ROOT, GitRegistry, dump, git, model_doc, run_afsreg

from afsreg import Registry, ValidationError
from afsreg.cli import cli
from afsreg.cli.options import safe_text
from afsreg.problems import Problem

BAD = DATA / "bad"
MANIFEST = BAD / "cases.yaml"
REPO = REPO_ROOT
BASE_V1 = dump(model_doc("m", "v1"))
FIFTY_MB = 50 * 1024 * 1024
# The corpus files are written from this text (the valid v2 of the base model).
BASE_V2 = dump(model_doc("m", "v2"))


# -- the manifest -------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    what: str
    install: dict[str, str]
    generate: dict[str, str]
    symlink: dict[str, str]
    expect: dict[str, Any]
    bug: str | None = None
    sync_bug: str | None = None
    paths: list[str] = field(default_factory=list)

    @property
    def expected_path(self) -> str:
        return str(self.expect.get("path") or self.paths[0])

    @property
    def expected_field(self) -> str:
        return str(self.expect["field"])

    def matches(self, problem: Problem) -> bool:
        return (
            problem.severity == "error"
            and problem.path == self.expected_path
            and problem.line == self.expect["line"]
            and problem.field == self.expected_field
            and str(self.expect["message"]) in problem.message
        )

    def expected_text(self) -> str:
        """The start of the line the CLI prints: path:line:col: field: message (col free)."""
        return f"{self.expected_path}:{self.expect['line']}:"

    def describe(self) -> str:
        return (
            f"{self.id} ({self.what}): expected {self.expected_path}:{self.expect['line']}: "
            f"{self.expected_field or '(file)'}: ...{self.expect['message']}..."
        )


def load_cases() -> list[Case]:
    raw = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    cases = []
    for entry in raw["cases"]:
        install = dict(entry.get("install") or {})
        generate = dict(entry.get("generate") or {})
        symlink = dict(entry.get("symlink") or {})
        if not (install or generate or symlink):
            install = {"models/m/v2.yaml": entry["id"] + ".yaml"}
        paths = [*install, *generate, *symlink]
        cases.append(
            Case(
                entry["id"],
                entry["what"],
                install,
                generate,
                symlink,
                entry["expect"],
                entry.get("bug"),
                entry.get("sync_bug"),
                paths,
            )
        )
    return cases


CASES = load_cases()
BY_ID = {c.id: c for c in CASES}


def params(cases: list[Case], *, sync: bool = False) -> list[Any]:
    out = []
    for case in cases:
        bug = case.bug or (case.sync_bug if sync else None)
        marks = [pytest.mark.xfail(strict=True, reason=f"bug: {bug}")] if bug else []
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


# -- big inputs, made at test time ---------------------------------------------------


def _deep_flow(opening: str, closing: str, inner: str) -> bytes:
    depth = 10_000
    text = BASE_V2.replace(
        "training_config:\n  epochs: 1\n",
        "training_config: " + opening * depth + inner + closing * depth + "\n",
    )
    return text.encode()


GENERATORS: dict[str, Callable[[], bytes]] = {
    "deep_flow_sequence": lambda: _deep_flow("[", "]", "1"),
    "deep_flow_mapping": lambda: _deep_flow("{a: ", "}", "1"),
}


@pytest.fixture(scope="session")
def fifty_megabytes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 50 MB model file, written once per session (hard-linked where it is used)."""
    path = tmp_path_factory.mktemp("big") / "fifty_megabytes.yaml"
    with path.open("wb") as out:
        out.write(BASE_V2.encode())
        out.write(b"description: ")
        chunk = b"x" * (1024 * 1024)
        for _ in range(50):
            out.write(chunk)
        out.write(b"\n")
    assert path.stat().st_size > FIFTY_MB
    return path


# -- installing a case ------------------------------------------------------------------


def install(case: Case, root: Path, outside: Path, big: Path | None) -> None:
    """Put the case's files into the registry at ``root``."""
    for rel, source in case.install.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(BAD / source, target)
    for rel, generator in case.generate.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if generator == "fifty_megabytes":
            assert big is not None
            os.link(big, target)
        else:
            target.write_bytes(GENERATORS[generator]())
    if case.symlink:
        outside.mkdir(parents=True, exist_ok=True)
        (outside / "v1.yaml").write_text(dump(model_doc("evil", "v1")))
        (outside / "v2.yaml").write_text(BASE_V2)
    for rel, raw_target in case.symlink.items():
        link = root / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        if raw_target.startswith("OUTSIDE"):
            absolute = outside / raw_target[len("OUTSIDE/") :] if "/" in raw_target else outside
            os.symlink(os.path.relpath(absolute, link.parent), link)
        else:
            os.symlink(raw_target, link)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the registry (not .git, not the embedded database): path -> bytes or link."""
    files: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in (".git", ".afsreg")]
        base = Path(dirpath)
        for name in [*filenames, *(d for d in dirnames if (base / d).is_symlink())]:
            path = base / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                files[rel] = b"-> " + os.readlink(path).encode()
            else:
                files[rel] = path.read_bytes()
    return files


def needs_big(case: Case) -> bool:
    return "fifty_megabytes" in case.generate.values()


@pytest.fixture
def big_file(request: pytest.FixtureRequest) -> Path | None:
    case = request.node.callspec.params["case"]
    return request.getfixturevalue("fifty_megabytes") if needs_big(case) else None


def plain_registry(tmp_path: Path, case: Case, big: Path | None) -> Path:
    """A registry folder (no git) with the base version and the case."""
    root = tmp_path / "registry"
    (root / "models" / "m").mkdir(parents=True)
    (root / "models" / "m" / "v1.yaml").write_text(BASE_V1)
    install(case, root, tmp_path / "outside", big)
    return root


# -- the Python API -------------------------------------------------------------------------


def test_manifest_covers_the_corpus_and_each_kind() -> None:
    """Every corpus file is used by a case, and the issue's list of inputs is all there."""
    used = {src for case in CASES for src in case.install.values()}
    on_disk = {p.relative_to(BAD).as_posix() for p in BAD.rglob("*.yaml")} - {"cases.yaml"}
    assert on_disk == used
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    for needed in (
        "syntax/not_yaml",
        "syntax/empty",
        "syntax/list_not_mapping",
        "syntax/duplicate_key",
        "syntax/tab_indent",
        "syntax/bom_utf8",
        "syntax/invalid_utf8",
        "tags/python_object_apply",
        "resources/billion_laughs",
        "resources/deep_flow_sequence",
        "resources/fifty_megabytes",
        "numbers/accuracy_nan",
        "numbers/parameter_count_inf",
        "numbers/parameter_count_negative",
        "dates/feb_30",
        "dates/unquoted_no_timezone",
        "external/no_source_at_all",
        "identity/name_mismatch",
        "identity/version_mismatch",
        "identity/name_traversal",
        "identity/name_absolute",
        "identity/name_backslash",
        "identity/case_collision",
        "symlinks/file_outside",
        "crossfile/missing_parent",
        "crossfile/missing_base_model",
        "crossfile/cycle",
        "crossfile/two_promoted",
        "hostile/name_sql",
        "hostile/key_ansi",
        "hostile/status_control_chars",
    ):
        assert needed in BY_ID, needed


def test_every_required_field_and_every_field_type_is_covered() -> None:
    """required/ leaves out each required field of both schemas; types/ breaks every field."""
    schema = yaml.safe_load((REPO / "schemas" / "model_version.schema.json").read_text())
    metadata = yaml.safe_load((REPO / "schemas" / "model_artifact_metadata.json").read_text())
    internal = next(b for b in metadata["oneOf"] if b["title"] == "internal model")
    required = {*schema["required"], *metadata["required"], *internal["required"]}
    assert {f"required/{name}" for name in required} <= set(BY_ID)
    for name in schema["properties"]:
        kinds = ("types", "numbers", "dates", "external")
        assert any(
            case.id.split("/")[0] in kinds
            and case.expected_field.split(".")[0].split("[")[0] == name
            for case in CASES
        ), f"no wrong-type case for {name}"


@pytest.mark.parametrize("case", params(CASES))
def test_python_api_reports_the_problem(tmp_path: Path, case: Case, big_file: Path | None) -> None:
    root = plain_registry(tmp_path, case, big_file)
    before = snapshot(root)
    registry = Registry.open(root)
    assert any(case.matches(p) for p in registry.errors), (
        case.describe() + "\ngot:\n" + "\n".join(map(str, registry.errors))
    )
    with pytest.raises(ValidationError) as info:
        registry.check()
    assert any(case.matches(p) for p in info.value.problems)
    assert snapshot(root) == before


# -- afsreg validate -----------------------------------------------------------------------


def check_cli_output(case: Case, output: str) -> None:
    assert "Traceback" not in output
    assert "internal error" not in output
    line = next((ln for ln in output.splitlines() if ln.startswith(case.expected_text())), None)
    assert line is not None, case.describe() + "\noutput:\n" + output[:4000]
    # The CLI escapes control characters, so compare with the text escaped the same way.
    field = safe_text(case.expected_field or "(file)")
    matching = [
        ln
        for ln in output.splitlines()
        if ln.startswith(case.expected_text()) and f": {field}: " in ln
    ]
    assert matching, case.describe() + "\noutput:\n" + output[:4000]
    assert any(safe_text(case.expect["message"]) in ln for ln in matching), (
        case.describe() + "\noutput:\n" + output[:4000]
    )


@pytest.mark.parametrize("case", params(CASES))
def test_validate_command_refuses(tmp_path: Path, case: Case, big_file: Path | None) -> None:
    root = plain_registry(tmp_path, case, big_file)
    before = snapshot(root)
    result = CliRunner().invoke(cli, ["validate", "--root", str(root)])
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    check_cli_output(case, result.output)
    assert snapshot(root) == before


SUBPROCESS_SAMPLE = [
    "syntax/not_yaml",
    "syntax/invalid_utf8",
    "tags/python_object_apply",
    "resources/billion_laughs",
    "resources/deep_flow_sequence",
    "resources/fifty_megabytes",
    "required/owner",
    "numbers/accuracy_nan",
    "identity/name_traversal",
    "symlinks/file_outside",
    "crossfile/cycle",
    "hostile/key_ansi",
]


@pytest.mark.parametrize("case", params([BY_ID[i] for i in SUBPROCESS_SAMPLE]))
def test_validate_console_script_refuses(
    tmp_path: Path, case: Case, big_file: Path | None, afsreg_env: dict[str, str]
) -> None:
    """The installed ``afsreg`` program: exit 1, located message, no traceback, no ANSI."""
    root = plain_registry(tmp_path, case, big_file)
    before = snapshot(root)
    result = run_afsreg(["validate"], root, env=afsreg_env)
    assert result.returncode == 1, result.stdout + result.stderr
    output = result.stdout + result.stderr
    check_cli_output(case, output)
    assert "\x1b" not in output
    assert snapshot(root) == before
    assert not Path("/tmp/afsreg-corpus-pwned").exists()


# -- afsreg sync -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synced_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed registry with the base version, already synced into its SQLite file."""
    from afsreg.db.sync import sync

    root = tmp_path_factory.mktemp("template") / "registry"
    reg = GitRegistry(root)
    reg.write("models/m/v1.yaml", BASE_V1)
    reg.commit("base")
    report = sync(root, sqlite_url(root))
    assert report.added == ["m@v1"]
    return root


def sqlite_url(root: Path) -> str:
    return f"sqlite:///{root / 'db.sqlite3'}"


def dump_sqlite(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's schema and rows, sorted: what 'the database did not change' compares."""
    with sqlite3.connect(path) as conn:
        tables = [
            (name, sql)
            for name, sql in conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        out: dict[str, list[tuple[Any, ...]]] = {"__schema__": tables}
        for name, _ in tables:
            out[name] = sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
    conn.close()
    return out


def commit_all(root: Path, message: str) -> str:
    """Commit the working tree as it is (symlinks as links), skipping hooks, like --no-verify."""
    repo = pygit2.Repository(str(root))
    repo.index.add_all()
    repo.index.write()
    tree = repo.index.write_tree()
    signature = pygit2.Signature("Mallory Example", "mallory@example.com")
    return str(repo.create_commit("HEAD", signature, signature, message, tree, [repo.head.target]))


def case_repository(template: Path, tmp_path: Path, case: Case, big: Path | None) -> Path:
    root = tmp_path / "registry"
    shutil.copytree(template, root, symlinks=True)
    install(case, root, tmp_path / "outside", big)
    commit_all(root, f"bad: {case.id}")
    return root


@pytest.mark.parametrize("case", params(CASES, sync=True))
def test_sync_refuses_and_leaves_the_database(
    tmp_path: Path, case: Case, big_file: Path | None, synced_template: Path
) -> None:
    from afsreg.db.sync import sync

    root = case_repository(synced_template, tmp_path, case, big_file)
    database = root / "db.sqlite3"
    tables, raw = dump_sqlite(database), database.read_bytes()
    files = snapshot(root)
    with pytest.raises(ValidationError) as info:
        sync(root, sqlite_url(root))
    assert any(case.matches(p) for p in info.value.problems), (
        case.describe() + "\ngot:\n" + "\n".join(map(str, info.value.problems))
    )
    assert dump_sqlite(database) == tables
    assert database.read_bytes() == raw
    assert snapshot(root) == files


SYNC_COMMAND_SAMPLE = [
    "syntax/not_yaml",
    "tags/python_object_apply",
    "resources/billion_laughs",
    "required/evaluation_metrics",
    "identity/name_mismatch",
    "crossfile/two_promoted",
]


@pytest.mark.parametrize("case", params([BY_ID[i] for i in SYNC_COMMAND_SAMPLE], sync=True))
def test_sync_command_refuses(
    tmp_path: Path,
    case: Case,
    big_file: Path | None,
    synced_template: Path,
    afsreg_env: dict[str, str],
) -> None:
    root = case_repository(synced_template, tmp_path, case, big_file)
    database = root / "db.sqlite3"
    tables = dump_sqlite(database)
    result = run_afsreg(["sync", "--database-url", sqlite_url(root)], root, env=afsreg_env)
    assert result.returncode == 1, result.stdout + result.stderr
    check_cli_output(case, result.stderr)
    assert "problem(s) in the registry" in result.stderr
    assert dump_sqlite(database) == tables


# -- the pre-commit hook ---------------------------------------------------------------------


PRECOMMIT_SAMPLE = [
    "tags/python_object_apply",
    "crossfile/cycle",
    "hostile/name_ansi",
]


@pytest.fixture(scope="module")
def precommit_repo(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, dict[str, str]]]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("AFSREG_DATABASE_URL", None)
    root = tmp_path_factory.mktemp("precommit") / "registry"
    reg = GitRegistry(root)
    (root / ".pre-commit-config.yaml").write_text((REPO / ".pre-commit-config.yaml").read_text())
    reg.write("models/m/v1.yaml", BASE_V1)
    reg.commit("base")
    result = subprocess.run(
        ["pre-commit", "install"], cwd=root, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    yield root, env


@pytest.mark.parametrize("case", params([BY_ID[i] for i in PRECOMMIT_SAMPLE]))
def test_precommit_hook_refuses(
    tmp_path: Path, case: Case, precommit_repo: tuple[Path, dict[str, str]]
) -> None:
    root, env = precommit_repo
    head = git(root, "rev-parse", "HEAD")
    try:
        install(case, root, tmp_path / "outside", None)
        before = snapshot(root)
        git(root, "add", "-A")
        result = subprocess.run(
            ["git", "commit", "-m", f"bad: {case.id}"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
        )
        output = result.stdout + result.stderr
        assert result.returncode != 0, output
        assert "afsreg validate" in output and "Failed" in output
        check_cli_output(case, output)
        assert "\x1b[31mred" not in output
        assert git(root, "rev-parse", "HEAD") == head
        assert snapshot(root) == before
    finally:
        git(root, "reset", "-q", "--hard", "HEAD")
        git(root, "clean", "-q", "-fdx")


def test_reliability_doc_lists_every_case() -> None:
    """docs/reliability.md's table of inputs is the manifest: every case is listed."""
    doc = (REPO / "docs" / "reliability.md").read_text(encoding="utf-8")
    missing = [case.id for case in CASES if f"`{case.id}`" not in doc]
    assert not missing, f"add these cases to docs/reliability.md: {missing}"
