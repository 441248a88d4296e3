"""Assignment list and price book files: row-by-row checks, CSV and XLSX."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from openpyxl import Workbook

from giamdinh.norms.loading import read_assignments, read_price_book

if TYPE_CHECKING:
    from pathlib import Path

    from giamdinh.domain import Finding

ASSIGN_HEADER = "MA_KY_THUAT;TEN_KY_THUAT;MA_BENH_VIEN;TEN_BENH_VIEN;DAU_MOI;HAN_NOP\n"
PRICE_HEADER = "LOAI,MA,TEN,DON_VI,DON_GIA,NAM_SU_DUNG,PHUT_NAM,TY_LE_BAO_DUONG,NGUON\n"


def _where(findings: list[Finding]) -> list[tuple[int | None, str | None, str]]:
    return [(f.location.stt, f.location.field, f.code) for f in findings]


def test_assignments_from_csv(tmp_path: Path) -> None:
    path = tmp_path / "phan_cong.csv"
    path.write_text(
        "QUYẾT ĐỊNH GIAO KỸ THUẬT\n"
        + ASSIGN_HEADER
        + "12.0344;Xạ trị bằng máy gia tốc;K;Bệnh viện K;1;20251031\n"
        + "12.0344;;CHORAY;Bệnh viện Chợ Rẫy;0;\n"
        + "18.0119;Chụp Xquang ngực thẳng;BACHMAI;Bệnh viện Bạch Mai;;\n",
        encoding="utf-8",
    )
    rows, findings = read_assignments(path)
    assert findings == []
    assert [(r.row, r.technique_code, r.hospital_code, r.is_focal) for r in rows] == [
        (3, "12.0344", "K", True),
        (4, "12.0344", "CHORAY", False),
        (5, "18.0119", "BACHMAI", True),
    ]
    assert rows[0].deadline == date(2025, 10, 31)
    assert rows[1].technique_name is None


def test_assignment_problems_named_by_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "phan_cong.csv"
    path.write_text(
        ASSIGN_HEADER
        + "12-0344;X;K;BV K;1;20251031\n"
        + "12.0344;X;K;BV K;2;31/10/2025\n"
        + "12.0344;X;;;1;\n"
        + "18.0119;X;K;BV K;1;20250230\n"
        + "18.0119;X;BM;BV BM;1;\n",
        encoding="utf-8",
    )
    rows, findings = read_assignments(path)
    assert rows == []
    assert _where(findings) == [
        (2, "MA_KY_THUAT", "NM202"),
        (3, "DAU_MOI", "NM204"),
        (3, "HAN_NOP", "NM205"),
        (4, "MA_BENH_VIEN", "NM203"),
        (5, "HAN_NOP", "NM205"),
        (6, "DAU_MOI", "NM207"),  # second focal hospital of 18.0119
    ]
    assert findings[0].location.file == "phan_cong.csv"
    assert "XX.YYYY" in (findings[0].message_en or "")


def test_assignment_duplicate_and_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(ASSIGN_HEADER + "12.0344;X;K;BV K;0;\n12.0344;X;K;BV K;0;\n")
    _, findings = read_assignments(path)
    assert _where(findings) == [(3, "MA_BENH_VIEN", "NM206")]
    bad = tmp_path / "b.csv"
    bad.write_text("MA_KY_THUAT,TEN_KY_THUAT\n12.0344,X\n")
    _, findings = read_assignments(bad)
    assert _where(findings) == [(1, "MA_BENH_VIEN", "NM201")]


def test_price_book_from_xlsx(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(PRICE_HEADER.strip().split(","))
    sheet.append(
        ["labour", "KTV", "Kỹ thuật viên", "phút", 1300, None, None, None, "x"]
    )
    sheet.append(
        ["equipment", "TB.LINAC", "Linac", "máy", 100_000_000_000, 10, 450000, 0.08]
    )
    sheet.append(["rate", "management", "Quản lý", None, 0.1])
    path = tmp_path / "gia.xlsx"
    workbook.save(path)
    book, findings = read_price_book(
        path, code="QG-2026", name="test", valid_from=date(2026, 1, 1)
    )
    assert findings == []
    assert book is not None
    linac = book.get("equipment", "TB.LINAC")
    assert linac is not None
    assert (linac.price, linac.useful_life_years, linac.minutes_per_year) == (
        Decimal(100_000_000_000),
        Decimal(10),
        Decimal(450000),
    )
    assert linac.maintenance_rate == Decimal("0.08")
    assert book.management_rate == Decimal("0.1")


def test_price_book_problems(tmp_path: Path) -> None:
    path = tmp_path / "gia.csv"
    path.write_text(
        PRICE_HEADER
        + "wage,KTV,,,1300,,,,\n"
        + "labour,BS,,,-5,,,,\n"
        + "item,VT.PHIM,,,abc,,,,\n"
        + "equipment,TB.CT,,,25000000000,,270000,,\n"
        + "labour,KTV,,,1300,,,,\n"
        + "labour,KTV,,,1400,,,,\n"
        + "tariff,,,,,,,,\n"
    )
    book, findings = read_price_book(
        path, code="X", name="x", valid_from=date(2026, 1, 1)
    )
    assert book is None
    assert _where(findings) == [
        (2, "LOAI", "NM210"),
        (3, "DON_GIA", "NM211"),
        (4, "DON_GIA", "NM211"),
        (5, "NAM_SU_DUNG", "NM214"),
        (7, "MA", "NM215"),
        (8, "MA", "NM213"),
        (8, "DON_GIA", "NM213"),
    ]
