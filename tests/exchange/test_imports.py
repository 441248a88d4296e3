"""Imports of the lists departments publish, through the ``giamdinh exchange`` CLI.

A bad row is reported with file, row, column and value; the others are published;
importing the same file again publishes nothing.
"""

from __future__ import annotations

import csv
from datetime import date
from typing import TYPE_CHECKING

from openpyxl import Workbook
from typer.testing import CliRunner

from giamdinh.cli.main import app
from giamdinh.db import make_engine, make_session_factory
from giamdinh.exchange.imports import read_file
from giamdinh.exchange.registry import (
    LicenceFact,
    RegistrationFact,
    StatusFact,
    registrations_on,
    status_periods,
)

if TYPE_CHECKING:
    from pathlib import Path

LICENCE_COLUMNS = [
    "SO_DINH_DANH",
    "HO_TEN",
    "MACCHN",
    "CHUC_DANH",
    "PHAM_VI",
    "NGAY_CAP",
    "NGAY_HET_HAN",
    "TRANG_THAI",
    "TU_NGAY",
    "DEN_NGAY",
    "SO_QUYET_DINH",
    "NGAY_QUYET_DINH",
    "NOI_CAP",
]


def _licences(path: Path) -> Path:
    rows = [
        ["079090000001", "NGUYỄN VĂN A", "0001/HCM-GPHN", "Bác sỹ y khoa", "Nội khoa",
         "2024-01-10", "", "cấp", "", "", "", ""],
        ["07909000000X", "SAI SỐ", "0002/HCM-GPHN", "Bác sỹ y khoa", "",
         "2024-01-10", "", "active", "", "", "", ""],
        ["", "", "0001/HCM-GPHN", "", "", "", "", "đình chỉ", "01/06/2025",
         "31/08/2025", "15/QĐ-SYT", "20250520"],
        ["", "", "0001/HCM-GPHN", "", "", "", "", "thu hồi", "2026-01-15", "",
         "20/QĐ-SYT", ""],
        ["079090000003", "LÊ VĂN C", "0003/HCM-GPHN", "Kỹ thuật y", "",
         "10/13/2024", "", "active", "", "", "", ""],
        ["", "", "0005/DNA-GPHN", "", "", "", "", "thu hồi", "2026-01-15", "",
         "21/QĐ-SYT", "", "75"],
    ]  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(LICENCE_COLUMNS)
        writer.writerows(rows)
    return path


def _m02(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["HO_TEN", "SO_CCCD", "MACCHN", "MA_KHOA", "THOIGIAN_DK",
                  "THOIGIAN_NGAY", "NGAY_LAM_VIEC", "TU_NGAY", "DEN_NGAY",
                  "MA_CSKCB"])  # fmt: skip
    sheet.append(["NGUYỄN VĂN A", "079090000001", "0001/HCM-GPHN", "K01", "1", "8",
                  "", "20250101", "", "79001"])  # fmt: skip
    sheet.append(["NGUYỄN VĂN A", "079090000001", "0001/HCM-GPHN", "K02", "2",
                  "17:30-20:00", "T2-T4", "20250101", "", "79001"])  # fmt: skip
    sheet.append(["TRẦN THỊ B", "", "0009/HCM-GPHN", "K01", "1", "", "", "20250101",
                  "", "79001"])  # fmt: skip
    sheet.append(["LÊ VĂN C", "079090000003", "0003/HCM-GPHN", "K01", "2", "4",
                  "", "20250101", "", "79001"])  # fmt: skip
    book.save(path)
    return path


def test_a_licence_list_is_read_row_by_row(tmp_path: Path) -> None:
    report = read_file(_licences(tmp_path / "licences.csv"), province="79")
    assert report.form == "licences"
    assert report.rows == 6
    assert [type(f) for f in report.facts] == [
        LicenceFact,
        StatusFact,
        StatusFact,
        StatusFact,
    ]
    suspended = report.facts[1]
    assert isinstance(suspended, StatusFact)
    assert (suspended.valid_from, suspended.valid_to) == (
        date(2025, 6, 1),
        date(2025, 8, 31),
    )
    assert suspended.decision_date == date(2025, 5, 20)
    assert suspended.source == "licences.csv:4"
    problems = {(p.row, p.column): p for p in report.problems}
    assert set(problems) == {(3, None), (6, "NGAY_CAP")}
    assert "so_dinh_danh" in problems[3, None].message_en
    assert problems[6, "NGAY_CAP"].value == "10/13/2024"
    assert all(p.file == "licences.csv" and p.message for p in problems.values())


def test_an_m02_form_gives_registrations(tmp_path: Path) -> None:
    report = read_file(_m02(tmp_path / "M02.xlsx"), province="79")
    assert report.form == "M02"
    facts = [f for f in report.facts if isinstance(f, RegistrationFact)]
    assert [
        (f.ma_khoa, f.full_time, f.days, f.hour_from, f.hour_to) for f in facts
    ] == [
        ("K01", True, "12345", "07:00", "17:00"),
        ("K02", False, "123", "17:30", "20:00"),
    ]
    assert [(p.row, p.column) for p in report.problems] == [
        (4, "SO_CCCD"),
        (5, "THOIGIAN_NGAY"),
    ]


def test_the_cli_imports_publishes_once_and_reports(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    key = tmp_path / "79.key"
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade", "--database-url", url]).exit_code == 0
    made = runner.invoke(app, ["exchange", "keygen", str(key)])
    assert made.exit_code == 0, made.output
    common = ["--province", "79", "--key-file", str(key), "--database-url", url]
    files = [
        str(_licences(tmp_path / "licences.csv")),
        str(_m02(tmp_path / "M02.xlsx")),
    ]
    first = runner.invoke(app, ["exchange", "import", *files, *common])
    assert first.exit_code == 1, first.output  # bad rows were left out
    said = " ".join(first.output.split())
    assert "row 3" in said
    assert "NGAY_CAP" in said
    # a revocation of a licence Đồng Nai issued is not HCMC's to publish
    assert "row 7" in said
    assert "not authoritative for licence 0005/DNA-GPHN" in said
    assert "published: 5" in said
    again = runner.invoke(app, ["exchange", "import", *files, *common])
    said = " ".join(again.output.split())
    assert "published: 0" in said
    assert "unchanged: 5" in said
    shown = runner.invoke(app, ["exchange", "status", "--province", "79",
                                "--database-url", url])  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "seq 5" in " ".join(shown.output.split())
    with make_session_factory(make_engine(url))() as session:
        periods = sorted((p.status, p.valid_from) for p in status_periods(session))
        assert periods == [
            ("active", date(2024, 1, 10)),
            ("active", date(2025, 9, 1)),
            ("revoked", date(2026, 1, 15)),
            ("suspended", date(2025, 6, 1)),
        ]
        assert len(registrations_on(session, date(2026, 3, 2))) == 2


def test_the_cli_refuses_a_missing_key_and_an_unmigrated_database(
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = runner.invoke(
        app,
        ["exchange", "status", "--province", "79", "--database-url", url],
    )
    assert result.exit_code == 2
    assert "db upgrade" in " ".join(result.output.split())
    result = runner.invoke(app, ["exchange", "key", "--key-file", str(tmp_path / "no")])
    assert result.exit_code == 2
    assert "key file not found" in " ".join(result.output.split())
