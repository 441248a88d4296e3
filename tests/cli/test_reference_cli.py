"""``giamdinh reference load`` and ``show`` through the CLI."""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING

from rich.cells import cell_len
from typer.testing import CliRunner

from giamdinh.cli.main import app
from giamdinh.refdata import SAMPLES_DIR

if TYPE_CHECKING:
    from pathlib import Path

SAMPLE = str(SAMPLES_DIR / "facility_99001")
runner = CliRunner()


def test_load_sample_ok() -> None:
    result = runner.invoke(app, ["reference", "load", SAMPLE])
    assert result.exit_code == 0, result.output
    assert "M05.csv" in result.output
    assert "OK" in result.output


def test_load_bad_folder_exit_1(tmp_path: Path) -> None:
    folder = tmp_path / "ref"
    shutil.copytree(SAMPLE, folder)
    (folder / "equipment_sources.csv").unlink()
    with (folder / "M05.csv").open("a", encoding="utf-8") as fh:
        fh.write("7,18.0119.0028,X,X,80000,,,,20260301,,99001,,,80000,\n")
    result = runner.invoke(app, ["reference", "load", str(folder)], terminal_width=200)
    assert result.exit_code == 1
    assert "M05.csv, row 8, column TU_NGAY" in result.output
    assert "equipment_sources" in result.output
    assert "not checked" in result.output


def test_load_missing_folder_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["reference", "load", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "not found" in result.output


def test_show_service_price_on_a_day() -> None:
    result = runner.invoke(
        app,
        [
            "reference",
            "show",
            "service",
            "18.0119.0028",
            "--as-of",
            "2026-03-02",
            "--reference",
            SAMPLE,
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["rows"][0]["don_gia"] == "73300.000"
    assert data["related"]["technique"][0]["reference_minutes"] == 6


def test_show_technique_table_output() -> None:
    result = runner.invoke(
        app,
        ["reference", "show", "technique", "02.0304.0134", "--as-of", "2026-03-02"],
        terminal_width=200,
    )
    assert result.exit_code == 0, result.output
    assert "Nội soi thực quản" in result.output
    assert "companions" in result.output


def test_show_not_found_exit_1() -> None:
    result = runner.invoke(
        app, ["reference", "show", "icd10", "J20.9", "--as-of", "2019-01-01"]
    )
    assert result.exit_code == 1
    assert "not found" in result.output


def test_show_bad_day_exit_2() -> None:
    result = runner.invoke(
        app, ["reference", "show", "icd10", "J20.9", "--as-of", "01/03/2026"]
    )
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def _narrow(output: str) -> list[str]:
    lines = output.splitlines()
    assert not [line for line in lines if cell_len(line) > 80]
    return lines


def test_load_reads_in_80_columns_with_file_names_whole() -> None:
    result = runner.invoke(app, ["reference", "load", SAMPLE], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = _narrow(result.stdout)
    for name in ("M01.csv", "M05.csv", "licences.csv", "equipment_sources.csv"):
        assert sum(line.startswith(f"{name} ") for line in lines) == 1


def test_show_reads_in_80_columns_money_in_dong() -> None:
    result = runner.invoke(
        app,
        ["reference", "show", "service", "18.0119.0028", "--as-of", "2026-03-02",
         "--reference", SAMPLE],
        env={"COLUMNS": "80"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = _narrow(result.stdout)
    assert any(line.split() == ["don_gia", "73.300"] for line in lines)
    assert any("18.0119.0028" in line for line in lines)
