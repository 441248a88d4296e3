"""The root command: version, help, and operator errors mapped to exit code 2."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from giamdinh import __version__
from giamdinh.cli.errors import EXIT_USAGE, operator_errors
from giamdinh.cli.main import app
from giamdinh.errors import ConfigError


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
