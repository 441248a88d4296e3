"""Codes keep their leading zeros from CSV and XLSX, or the report says why not."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from openpyxl import Workbook

from giamdinh.refdata import FILE_SPECS, Outcome, load_file

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path


M02_HEADER = ["MA_KHOA", "MACCHN", "PHAMVI_CM", "SO_CCCD", "TU_NGAY", "MA_CSKCB"]
M02_ROW = ["01", "000001/HNO-CCHN", "02", "001080000011", "20250101", "01929"]


def test_leading_zeros_survive_csv(
    tmp_path: Path, csv_writer: Callable[..., Path]
) -> None:
    path = csv_writer(tmp_path / "M02.csv", M02_HEADER, [M02_ROW])
    table, report = load_file(path, FILE_SPECS["M02"])
    assert report.ok
    row = table.to_pylist()[0]
    assert [row[c.lower()] for c in M02_HEADER[:4]] == M02_ROW[:4]
    assert row["ma_cskcb"] == "01929"


def _workbook(
    path: Path, rows: Sequence[Sequence[object]], *, formats: dict[str, str]
) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    for cell, number_format in formats.items():
        sheet[cell].number_format = number_format
    workbook.save(path)
    return path


def test_leading_zeros_survive_xlsx_text_cells(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "M02.xlsx", [M02_HEADER, M02_ROW], formats={})
    table, report = load_file(path, FILE_SPECS["M02"])
    assert report.ok, report.problems
    assert table.to_pylist()[0]["ma_cskcb"] == "01929"
    assert table.to_pylist()[0]["phamvi_cm"] == "02"


def test_excel_numbers_in_code_columns_are_reported(tmp_path: Path) -> None:
    """A code typed as a number has lost its zero: say so, do not guess it back."""
    path = _workbook(
        tmp_path / "M02.xlsx",
        [
            [*M02_HEADER, "STT"],
            ["01", "000001/HNO-CCHN", 2, "001080000011", 20250101, 1929, 1],
        ],
        formats={},
    )
    table, report = load_file(path, FILE_SPECS["M02"])
    row = table.to_pylist()[0]
    assert (row["ma_cskcb"], row["phamvi_cm"], row["valid_from"]) == (
        "1929",
        "2",
        date(2025, 1, 1),
    )
    assert [(p.row, p.column, p.value, p.outcome) for p in report.problems] == [
        (2, "PHAMVI_CM", "2", Outcome.KEPT),
        (2, "MA_CSKCB", "1929", Outcome.KEPT),
    ]
    problem = report.problems[1]
    assert "1929" in problem.message
    assert "leading zero" in problem.message_en
    assert "row loaded as written" in problem.describe(english=True)


def test_excel_zero_padded_format_is_read_as_shown(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "M02.xlsx",
        [M02_HEADER, ["01", "000001/HNO-CCHN", "02", "001080000011", "20250101", 1929]],
        formats={"F2": "00000"},
    )
    table, report = load_file(path, FILE_SPECS["M02"])
    assert report.ok, report.problems
    assert table.to_pylist()[0]["ma_cskcb"] == "01929"
    assert any("leading zeros of their number format" in n for n in report.notes)
