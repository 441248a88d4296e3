"""Reading XLSX cells as text: dates, numbers, zero-padded number formats."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from openpyxl import Workbook

from giamdinh.refdata.readers import read_table_file

if TYPE_CHECKING:
    from pathlib import Path


def test_number_cells_are_listed_and_zero_padded_formats_read_as_shown(
    tmp_path: Path,
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["MA_CSKCB", "MA_KHOA", "TU_NGAY", "GIUONG_PD"])
    sheet.append([1929, "01", date(2025, 1, 1), 40])
    sheet.append([1929, "K02", 20250101, 2.5])
    sheet["A3"].number_format = "00000"
    path = tmp_path / "M01.xlsx"
    workbook.save(path)
    raw = read_table_file(path)
    assert [cells for _, cells in raw.rows] == [
        ("1929", "01", "20250101", "40"),
        ("01929", "K02", "20250101", "2.5"),
    ]
    # (row, position) of the numbers Excel shows without padding: not the date,
    # not the text, not the zero-padded one.
    assert raw.numbers == frozenset({(2, 0), (2, 3), (3, 2), (3, 3)})
    assert raw.padded == 1


def test_csv_cells_are_text_as_written(tmp_path: Path) -> None:
    path = tmp_path / "M01.csv"
    path.write_text("MA_CSKCB,MA_KHOA\n01929,01\n", encoding="utf-8")
    raw = read_table_file(path)
    assert raw.rows == ((2, ("01929", "01")),)
    assert raw.numbers == frozenset()
