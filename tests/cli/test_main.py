"""The root command: version, help, lazy registration, and operator errors."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from giamdinh import __version__
from giamdinh.cli.errors import EXIT_USAGE, operator_errors
from giamdinh.cli.main import COMMANDS, app
from giamdinh.errors import ConfigError

#: Libraries that take a second or more to import between them: the CLI loads them
#: only inside the commands that use them (giamdinh.cli.main docstring).
HEAVY = (
    "sklearn",
    "scipy",
    "sqlalchemy",
    "duckdb",
    "pyspark",
    "openpyxl",
    "alembic",
    "pyarrow",
    "sqlglot",
    "pydicom",
    "numpy",
)

#: Command modules: each imports its services inside its commands.
MODULES = sorted({spec.target.partition(":")[0] for spec in COMMANDS.values()})


def _loaded_after(code: str) -> list[str]:
    """Heavy top-level packages in ``sys.modules`` after running ``code`` afresh."""
    probe = (
        f"import sys\n{code}\n"
        "import json\n"
        f"heavy = {HEAVY!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m in heavy)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert _loaded_after("import giamdinh.cli.main") == []


def test_root_help_lists_every_command_without_importing_one() -> None:
    code = (
        "from giamdinh.cli.main import app\n"
        "try:\n    app(['--help'], prog_name='giamdinh')\n"
        "except SystemExit:\n    pass\n"
        "assert not [m for m in sys.modules if m.startswith('giamdinh.cli.')"
        " and m != 'giamdinh.cli.main'], sorted(sys.modules)\n"
    )
    assert _loaded_after(code) == []


@pytest.mark.parametrize("module", MODULES)
def test_command_modules_import_heavy_libraries_only_when_run(module: str) -> None:
    assert _loaded_after(f"import {module}") == []


@pytest.mark.parametrize("name", list(COMMANDS))
def test_registered_help_line_is_the_commands_own(name: str) -> None:
    command = COMMANDS[name].load(name)
    first = inspect.cleandoc(command.help or "").split("\n\n")[0].replace("\n", " ")
    assert COMMANDS[name].help == first


def test_help_lists_every_registered_command() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name, spec in COMMANDS.items():
        assert name in result.output
        assert spec.help in result.output


def test_a_lazy_command_runs_and_shows_its_own_help() -> None:
    result = CliRunner().invoke(app, ["store", "--help"])
    assert result.exit_code == 0, result.output
    assert "show" in result.output


def test_a_mistyped_command_suggests_the_registered_one() -> None:
    result = CliRunner().invoke(app, ["validat"])
    assert result.exit_code == EXIT_USAGE
    assert "validate" in result.output


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_operator_error_is_exit_code_2() -> None:
    probe = typer.Typer()

    @probe.command()
    def fail() -> None:
        with operator_errors():
            raise ConfigError("store directory is not writable: fix --store")

    result = CliRunner().invoke(probe, [])
    assert result.exit_code == EXIT_USAGE
    assert "store directory is not writable" in result.output


def test_operator_error_text_is_not_markup() -> None:
    probe = typer.Typer()

    @probe.command()
    def fail() -> None:
        with operator_errors():
            raise ConfigError("--param [x]: write NAME=VALUE")

    result = CliRunner().invoke(probe, [])
    assert "--param [x]: write NAME=VALUE" in result.output
