"""Excel: template round trip, row-by-row validation, exports."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from openpyxl import load_workbook

from giamdinh.domain import Severity
from giamdinh.norms.consolidate import consolidate
from giamdinh.norms.demo import draft_for, technique_templates
from giamdinh.norms.excel import (
    SHEET_LINES,
    read_draft_workbook,
    write_consolidation_workbook,
    write_draft_workbook,
)

if TYPE_CHECKING:
    from pathlib import Path

    from giamdinh.norms.model import DraftSpec


D = Decimal


def _demo_draft(code: str = "12.0344", hospital: str = "HUETW") -> DraftSpec:
    template = next(t for t in technique_templates() if t.code == code)
    rng = random.Random(1)  # noqa: S311 - synthetic data
    return draft_for(template, hospital, rng, outlier=False)


def test_round_trip(tmp_path: Path) -> None:
    draft = _demo_draft()
    path = write_draft_workbook(tmp_path / "draft.xlsx", draft)
    back, findings = read_draft_workbook(path)
    assert findings == []
    assert back is not None
    assert back.lines == draft.lines
    assert back.evidence == draft.evidence
    assert back.annual_volume == draft.annual_volume
    assert back.period_from == date(2024, 1, 1)
    assert (back.technique_code, back.hospital_code) == ("12.0344", "HUETW")


def test_blank_template_has_the_sheets(tmp_path: Path) -> None:
    path = write_draft_workbook(tmp_path / "blank.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["ThongTin", "DinhMuc", "BangChung", "HuongDan"]
    draft, findings = read_draft_workbook(path)
    assert draft is None
    codes = {f.code for f in findings}
    assert "NM110" in codes  # technique and hospital codes are required


def test_errors_name_sheet_row_and_column(tmp_path: Path) -> None:
    path = write_draft_workbook(tmp_path / "bad.xlsx", _demo_draft())
    book = load_workbook(path)
    sheet = book[SHEET_LINES]
    sheet["B2"] = "nhan_luc"  # unknown category (row 2)
    sheet["H3"] = "mười"  # minutes not a number (row 3)
    sheet["A4"] = 2  # duplicate STT
    equipment_row = next(
        r for r in range(2, sheet.max_row + 1) if sheet[f"B{r}"].value == "equipment"
    )
    sheet[f"M{equipment_row}"] = 1.5  # utilisation above 1
    book["ThongTin"]["B2"] = "12-0344"
    book.save(path)
    draft, findings = read_draft_workbook(path)
    assert draft is None
    where = {
        (f.code, f.location.table, f.location.stt, f.location.field) for f in findings
    }
    assert ("NM120", "DinhMuc", 2, "NHOM") in where
    assert ("NM121", "DinhMuc", 3, "SO_PHUT") in where
    assert ("NM124", "DinhMuc", 4, "STT") in where
    assert ("NM123", "DinhMuc", equipment_row, "TY_LE_SU_DUNG") in where
    assert ("NM111", "ThongTin", 2, "GIA_TRI") in where
    assert all(f.location.file == str(path) for f in findings)
    assert all(f.message and f.message_en for f in findings)


def test_missing_evidence_is_a_warning_not_an_error(tmp_path: Path) -> None:
    path = write_draft_workbook(tmp_path / "noevidence.xlsx", _demo_draft())
    book = load_workbook(path)
    book.remove(book["BangChung"])
    book.save(path)
    draft, findings = read_draft_workbook(path)
    assert draft is not None
    assert [(f.code, f.severity) for f in findings] == [("NM131", Severity.REVIEW)]


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "junk.xlsx"
    path.write_bytes(b"not a zip")
    draft, findings = read_draft_workbook(path)
    assert draft is None
    assert findings[0].code == "NM100"


def test_consolidation_export(tmp_path: Path) -> None:
    drafts = [_demo_draft(hospital=h) for h in ("BACHMAI", "CHORAY", "HUETW")]
    result = consolidate(drafts)
    path = write_consolidation_workbook(tmp_path / "national.xlsx", result)
    book = load_workbook(path)
    assert book.sheetnames == ["DinhMucQuocGia", "SoSanh"]
    header = [c.value for c in book["SoSanh"][1]]
    assert header[4:7] == ["BACHMAI", "CHORAY", "HUETW"]
    assert book["DinhMucQuocGia"].max_row == len(result.lines) + 1
    assert D(str(book["DinhMucQuocGia"]["F2"].value)) == result.lines[0].value
