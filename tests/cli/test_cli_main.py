"""The command table and the error handling of the main command."""

import importlib
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from conftest import GitRegistry

from afsreg.cli import COMMAND_MODULES, cli, load_command


def test_every_command_is_registered_where_it_is_defined() -> None:
    defined = {}
    for module_name in set(COMMAND_MODULES.values()):
        module = importlib.import_module(f"afsreg.cli.{module_name}")
        for command in module.commands:
            defined[command.name] = module_name
    assert defined == COMMAND_MODULES
    for name in COMMAND_MODULES:
        command = load_command(name)
        assert command is not None and command.help, f"{name} has no help text"
        assert "Example" in command.help, f"{name} has no example in its help"


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMAND_MODULES:
        assert name in result.output


def test_every_command_belongs_to_a_help_group() -> None:
    from afsreg.cli import GROUPS

    grouped = [name for _title, names, _example in GROUPS for name in names]
    assert sorted(grouped) == sorted(COMMAND_MODULES)


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["frobnicate"])
    assert result.exit_code == 2 and "No such command" in result.output


# Start-up cost: a command imports only what its path uses. psycopg alone is
# ~0.3 s; jsonschema is needed only to word the problems of an invalid file.
HEAVY = ("psycopg", "jinja2", "jsonschema", "fastjsonschema", "fastapi", "uvicorn", "mlflow")


def imported_after(code: str, cwd: Path) -> set[str]:
    """The heavy modules present in sys.modules after running ``code`` in a fresh interpreter."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True, check=True
    )
    loaded = set(result.stdout.splitlines()[-1].split())
    return {name for name in HEAVY if name in loaded}


def test_importing_the_command_and_its_validate_and_sync_modules_imports_nothing_heavy(
    tmp_path: Path,
) -> None:
    code = "import afsreg.cli, afsreg.cli.read, afsreg.cli.db, afsreg.read.validate, afsreg.db.sync"
    assert imported_after(code, tmp_path) == set()


def test_validate_and_a_sqlite_sync_of_valid_files_import_nothing_heavy(
    git_registry: GitRegistry,
) -> None:
    git_registry.write_model("m", "v1")
    git_registry.commit("add m@v1")
    database = git_registry.root.parent / "registry.db"
    for args in (["validate"], ["sync", "--database-url", f"sqlite:///{database}"]):
        code = (
            "import sys\nfrom afsreg.cli import cli\n"
            f"try:\n    cli({args!r}, prog_name='afsreg')\nexcept SystemExit as exit:\n"
            "    assert not exit.code, exit.code"
        )
        assert imported_after(code, git_registry.root) == set(), args
