"""``giamdinh synth`` and ``giamdinh db status`` say what they did in 80 columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from typer.testing import CliRunner

from giamdinh.cli.main import app

if TYPE_CHECKING:
    from pathlib import Path


def test_synth_line_wraps_at_80_columns(tmp_path: Path) -> None:
    out = tmp_path / "province"
    result = CliRunner().invoke(
        app,
        ["synth", "--claims", "5", "--facilities", "2", "--dicom", "0", "--out",
         str(out)],
        env={"COLUMNS": "80"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) > 1
    assert not [line for line in lines if cell_len(line) > 80]
    assert "5 hồ sơ / claims" in lines[0]


def test_db_status_reads_in_80_columns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert (
        CliRunner().invoke(app, ["db", "upgrade", "--database-url", url]).exit_code == 0
    )
    result = CliRunner().invoke(
        app, ["db", "status", "--database-url", url], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0, result.output
    assert not [line for line in result.stdout.splitlines() if cell_len(line) > 80]
    assert "up to date" in result.stdout
