"""The command table and the error handling of the main command."""

import importlib

from click.testing import CliRunner

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
