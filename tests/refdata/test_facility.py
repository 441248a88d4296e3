"""Facility catalogues M01–M06, licences, equipment: import, history, as-of edges."""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import pyarrow.compute as pc
import pytest
from openpyxl import Workbook

from giamdinh.errors import ReferenceDataError
from giamdinh.refdata import FILE_SPECS, Outcome, ReferenceSet, load_file, load_folder

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

M05 = FILE_SPECS["M05"]
HEADER = ["MA_DICH_VU", "TEN_DICH_VU", "DON_GIA", "TU_NGAY", "DEN_NGAY", "MA_CSKCB"]


def _price_history(folder: Path, csv_writer: Callable[..., Path]) -> ReferenceSet:
    """A price change declared as two rows, plus an open-ended service."""
    csv_writer(
        folder / "M05.csv",
        HEADER,
        [
            ["18.0119.0028", "X-quang ngực", "70000", "20250101", "20251231", "99001"],
            ["18.0119.0028", "X-quang ngực", "73300", "20260101", "", "99001"],
            [
                "18.0015.0001",
                "Siêu âm ổ bụng",
                "58600",
                "20260101",
                "20260630",
                "99001",
            ],
        ],
    )
    return ReferenceSet.load(folder)


@pytest.mark.parametrize(
    ("day", "price"),
    [
        (date(2024, 12, 31), None),  # before the first day
        (date(2025, 1, 1), Decimal("70000.000")),  # first day of the old row
        (date(2025, 12, 31), Decimal("70000.000")),  # last day of the old row
        (date(2026, 1, 1), Decimal("73300.000")),  # first day of the new row
        (date(2099, 1, 1), Decimal("73300.000")),  # open end
    ],
)
def test_two_row_change_as_of_edges(
    tmp_path: Path, csv_writer: Callable[..., Path], day: date, price: Decimal | None
) -> None:
    refs = _price_history(tmp_path, csv_writer)
    rows = refs.lookup("service", "18.0119.0028", day).to_pylist()
    assert [r["don_gia"] for r in rows] == ([] if price is None else [price])
    assert len(refs.history("service", "18.0119.0028")) == 2


@pytest.mark.parametrize(
    ("day", "found"),
    [(date(2026, 6, 30), True), (date(2026, 7, 1), False), (date(2025, 12, 31), False)],
)
def test_closed_period_last_day_inclusive(
    tmp_path: Path, csv_writer: Callable[..., Path], day: date, found: bool
) -> None:
    refs = _price_history(tmp_path, csv_writer)
    assert (refs.lookup("service", "18.0015.0001", day).num_rows == 1) is found


def test_overlapping_periods_reported_both_rows_kept(
    tmp_path: Path, csv_writer: Callable[..., Path]
) -> None:
    path = csv_writer(
        tmp_path / "M05.csv",
        HEADER,
        [
            ["18.0119.0028", "X", "70000", "20250101", "20260101", "99001"],
            ["18.0015.0001", "Y", "58600", "20250101", "", "99001"],
            ["18.0119.0028", "X", "73300", "20260101", "", "99001"],
        ],
    )
    _, report = load_file(path, M05)
    assert len(report.problems) == 1
    problem = report.problems[0]
    assert (problem.file, problem.row, problem.column) == ("M05.csv", 4, "TU_NGAY")
    assert "row 2" in problem.message_en
    assert "18.0119.0028" in problem.message_en
    assert problem.outcome is Outcome.KEPT
    refs = ReferenceSet.load(tmp_path)
    assert [p.row for p in refs.problems] == [4]
    assert len(refs.history("service", "18.0119.0028")) == 2


def test_two_open_rows_overlap(tmp_path: Path, csv_writer: Callable[..., Path]) -> None:
    path = csv_writer(
        tmp_path / "M06.csv",
        ["MA_MAY", "TEN_TB", "TU_NGAY", "DEN_NGAY", "MA_CSKCB"],
        [
            ["XQ.1.99001.A", "X", "20250101", "", "99001"],
            ["XQ.1.99001.A", "X", "20260101", "", "99001"],
        ],
    )
    _, report = load_file(path, FILE_SPECS["M06"])
    assert [(p.row, p.column) for p in report.problems] == [(3, "TU_NGAY")]


def test_same_code_other_facility_is_not_an_overlap(
    tmp_path: Path, csv_writer: Callable[..., Path]
) -> None:
    path = csv_writer(
        tmp_path / "M05.csv",
        HEADER,
        [
            ["18.0119.0028", "X", "70000", "20250101", "", "99001"],
            ["18.0119.0028", "X", "71000", "20250101", "", "99002"],
        ],
    )
    _, report = load_file(path, M05)
    assert report.ok


_SKIP = Outcome.ROW_SKIPPED
_IGNORE = Outcome.VALUE_IGNORED


@pytest.mark.parametrize(
    ("cells", "column", "fragment", "outcome"),
    [
        (
            ["18.0119.0028", "X", "70000", "2025-01-01", "", "99001"],
            "TU_NGAY",
            "date",
            _SKIP,
        ),
        (
            ["18.0119.0028", "X", "70000", "20250230", "", "99001"],
            "TU_NGAY",
            "date",
            _SKIP,
        ),
        (
            ["18.0119.0028", "X", "abc", "20250101", "", "99001"],
            "DON_GIA",
            "amount",
            _IGNORE,
        ),
        (
            ["18.0119.0028", "X", "-5", "20250101", "", "99001"],
            "DON_GIA",
            "non-negative",
            _IGNORE,
        ),
        (
            ["", "X", "70000", "20250101", "", "99001"],
            "MA_DICH_VU",
            "must not be empty",
            _SKIP,
        ),
        (
            ["18.0119.0028", "X", "70000", "20250101", "20241231", "99001"],
            "DEN_NGAY",
            "before",
            _SKIP,
        ),
        (
            ["18.0119.0028", "X", "70000", "20250101", "2026-12-31", "99001"],
            "DEN_NGAY",
            "date",
            _SKIP,
        ),
        (
            ["18.0119.0028", "X", "70000", "20250101", "", ""],
            "MA_CSKCB",
            "MA_CSKCB",
            _SKIP,
        ),
    ],
)
def test_bad_cell_named_by_row_and_column(
    tmp_path: Path,
    csv_writer: Callable[..., Path],
    *,
    cells: list[str],
    column: str,
    fragment: str,
    outcome: Outcome,
) -> None:
    path = csv_writer(tmp_path / "M05.csv", HEADER, [cells])
    table, report = load_file(path, M05)
    assert [(p.file, p.row, p.column) for p in report.problems] == [
        ("M05.csv", 2, column)
    ]
    problem = report.problems[0]
    assert fragment in problem.message_en
    assert problem.message  # Vietnamese too
    assert problem.outcome is outcome
    # A skipped row is left out; an ignored value leaves the row in, cell empty.
    assert table.num_rows == (0 if outcome is _SKIP else 1)
    assert report.rows_skipped == (1 if outcome is _SKIP else 0)
    if outcome is _IGNORE:
        assert table.column(column.lower()).to_pylist() == [None]


def test_missing_required_column_makes_the_file_unusable(
    tmp_path: Path, csv_writer: Callable[..., Path]
) -> None:
    path = csv_writer(
        tmp_path / "M05.csv", ["MA_DICH_VU", "DON_GIA"], [["18.0119.0028", "70000"]]
    )
    table, report = load_file(path, M05, ma_cskcb="99001")
    assert [(p.row, p.column) for p in report.problems] == [(1, "TU_NGAY")]
    assert report.problems[0].describe(english=True) == (
        "M05.csv, row 1, column TU_NGAY: required column TU_NGAY is missing "
        "(every row needs it) (file not loaded)"
    )
    assert report.unusable
    assert table.num_rows == 0


def test_price_column_absent_is_not_an_error(
    tmp_path: Path, csv_writer: Callable[..., Path]
) -> None:
    """DON_GIA is optional: the service is in the catalogue, CT001 has no price."""
    path = csv_writer(
        tmp_path / "M05.csv", ["MA_DICH_VU", "TU_NGAY"], [["18.0119.0028", "20250101"]]
    )
    table, report = load_file(path, M05, ma_cskcb="99001")
    assert report.ok, report.problems
    assert table.column("don_gia").to_pylist() == [None]


def test_enumerations_checked(tmp_path: Path, csv_writer: Callable[..., Path]) -> None:
    path = csv_writer(
        tmp_path / "licences.csv",
        ["MACCHN", "HO_TEN", "NOICAP", "TRANG_THAI", "NGAY_HIEU_LUC"],
        [["000001/HNO-CCHN", "A", "SYT", "expired", "20200101"]],
    )
    _, report = load_file(path, FILE_SPECS["licences"])
    assert [(p.row, p.column) for p in report.problems] == [(2, "TRANG_THAI")]
    path = csv_writer(
        tmp_path / "equipment_sources.csv",
        ["MA_MAY", "HINH_THUC", "HD_TU"],
        [["XQ.1.99001.A", "muon", "20200101"]],
    )
    _, report = load_file(path, FILE_SPECS["equipment_sources"])
    assert [(p.row, p.column) for p in report.problems] == [(2, "HINH_THUC")]


def test_semicolon_bom_spacing_and_case_of_headers(
    tmp_path: Path, csv_writer: Callable[..., Path]
) -> None:
    path = csv_writer(
        tmp_path / "m05.csv",
        [
            "\ufeffma dich vu",
            " Ten_Dich_Vu ",
            "DON GIA",
            "tu_ngay",
            "Den-Ngay",
            "MA_CSKCB",
        ],
        [["18.0119.0028", "X-quang; ngực", "73300", "20260101", "", "99001"]],
        delimiter=";",
    )
    table, report = load_file(path, M05)
    assert report.ok, report.problems
    assert table.column("ma_dich_vu").to_pylist() == ["18.0119.0028"]
    assert table.column("valid_from").to_pylist() == [date(2026, 1, 1)]


def test_windows_1258_fallback(tmp_path: Path) -> None:
    # cp1258 writes tone marks as combining characters: "ụ" is "u" + U+0323.
    text = ",".join(HEADER) + "\n18.0119.0028,Chụp phim,73300,20260101,,99001\n"
    path = tmp_path / "M05.csv"
    path.write_bytes(unicodedata.normalize("NFD", text).encode("cp1258"))
    table, report = load_file(path, M05)
    assert report.ok
    assert any("cp1258" in n for n in report.notes)
    assert table.column("ten_dich_vu").to_pylist() == ["Chụp phim"]


def test_aliases_and_extra_columns(
    tmp_path: Path, csv_writer: Callable[..., Path]
) -> None:
    path = csv_writer(
        tmp_path / "M05.csv",
        ["MA_TUONG_DUONG", "TEN_DVKT_PHEDUYET", "DON_GIA", "TU_NGAY", "GHICHU"],
        [["18.0119.0028", "X", "73300", "20260101", "note"]],
    )
    table, report = load_file(path, M05, ma_cskcb="99001")
    assert report.ok
    assert table.column("ma_dich_vu").to_pylist() == ["18.0119.0028"]
    assert table.column("ghichu").to_pylist() == ["note"]
    assert table.column("ma_cskcb").to_pylist() == ["99001"]


def test_xlsx_import(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(
        [
            "STT",
            "MA_MAY",
            "TEN_TB",
            "NAM_SX",
            "HD_TU",
            "TU_NGAY",
            "DEN_NGAY",
            "MA_CSKCB",
        ]
    )
    sheet.append(
        [
            1,
            "XQ.1.99001.A",
            "Máy X-quang",
            2019,
            date(2019, 6, 1),
            20250101,
            None,
            99001,
        ]
    )
    sheet.append(
        [
            2,
            "SA.2.99001.B",
            "Máy siêu âm",
            2022.0,
            None,
            "20250101",
            "20251231",
            "99001",
        ]
    )
    sheet.append([None] * 8)
    path = tmp_path / "M06.xlsx"
    workbook.save(path)
    table, report = load_file(path, FILE_SPECS["M06"])
    # The facility code typed as a number on row 2 is loaded and reported.
    assert [(p.row, p.column, p.value, p.outcome) for p in report.problems] == [
        (2, "MA_CSKCB", "99001", Outcome.KEPT)
    ]
    assert report.rows == 2
    assert table.column("hd_tu").to_pylist() == [date(2019, 6, 1), None]
    assert table.column("nam_sx").to_pylist() == [2019, 2022]
    assert table.column("ma_cskcb").to_pylist() == ["99001", "99001"]
    assert table.column("valid_to").to_pylist() == [None, date(2025, 12, 31)]
    assert table.column("_row").to_pylist() == [2, 3]


def test_xlsx_bad_cell_names_row(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["MA_MAY", "TU_NGAY", "MA_CSKCB"])
    sheet.append(["XQ.1.99001.A", "01/01/2025", "99001"])
    path = tmp_path / "M06.xlsx"
    workbook.save(path)
    _, report = load_file(path, FILE_SPECS["M06"])
    assert [p.describe(english=True) for p in report.problems] == [
        "M06.xlsx, row 2, column TU_NGAY: '01/01/2025' is not a date yyyymmdd "
        "(row not loaded)"
    ]


def test_xlsx_title_rows_above_the_header(tmp_path: Path) -> None:
    """Exports often start with the form's title and a blank row."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["DANH MỤC THIẾT BỊ Y TẾ (Mẫu 06/DM)"])
    sheet.append([None])
    sheet.append(["STT", "MA_MAY", "TEN_TB", "TU_NGAY", "MA_CSKCB"])
    sheet.append([1, "XQ.1.99001.A", "Máy X-quang", 20250101, 99001])
    sheet.append([2, "SA.2.99001.B", "Máy siêu âm", "2025-01-01", 99001])
    path = tmp_path / "M06.xlsx"
    workbook.save(path)
    table, report = load_file(path, FILE_SPECS["M06"])
    assert table.column("ma_may").to_pylist() == ["XQ.1.99001.A"]
    assert table.column("_row").to_pylist() == [4]
    assert "header on row 3; title rows above it skipped" in report.notes
    assert [(p.row, p.column, p.outcome) for p in report.problems] == [
        (4, "MA_CSKCB", Outcome.KEPT),
        (5, "TU_NGAY", Outcome.ROW_SKIPPED),
        (5, "MA_CSKCB", Outcome.KEPT),
    ]
    assert report.problems[1].describe(english=True) == (
        "M06.xlsx, row 5, column TU_NGAY: '2025-01-01' is not a date yyyymmdd "
        "(row not loaded)"
    )


def test_csv_title_row_and_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "M05.csv"
    path.write_text(
        "DANH MỤC DỊCH VỤ KỸ THUẬT, GIÁ PHÊ DUYỆT\n"
        "\n"
        "MA_DICH_VU;TEN_DICH_VU;DON_GIA;TU_NGAY;MA_CSKCB\n"
        "18.0119.0028;Chụp X-quang ngực thẳng;73300;20260101;99001\n",
        encoding="utf-8",
    )
    table, report = load_file(path, M05)
    assert report.ok, report.problems
    assert table.column("don_gia").to_pylist() == [Decimal("73300.000")]
    assert table.column("_row").to_pylist() == [4]


def test_header_missing_a_column_is_named_on_its_row(tmp_path: Path) -> None:
    path = tmp_path / "M05.csv"
    path.write_text(
        "Bảng 5\nMA_DICH_VU,TEN_DICH_VU,DON_GIA\n18.0119.0028,X,73300\n",
        encoding="utf-8",
    )
    _, report = load_file(path, M05, ma_cskcb="99001")
    assert [(p.row, p.column) for p in report.problems] == [(2, "TU_NGAY")]


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "M06.xlsx"
    path.write_bytes(b"not a zip")
    _, report = load_file(path, FILE_SPECS["M06"])
    assert "not a readable XLSX" in report.problems[0].message_en
    assert report.problems[0].outcome is Outcome.FILE_NOT_LOADED
    assert report.unusable


def test_empty_csv(tmp_path: Path) -> None:
    path = tmp_path / "M05.csv"
    path.write_bytes(b"")
    _, report = load_file(path, M05)
    assert "no header" in report.problems[0].message_en


def test_real_m05_imports_whole(real_m05: Path) -> None:
    table, report = load_file(real_m05, M05)
    assert report.ok, report.problems[:5]
    assert table.num_rows == report.rows == 5022
    assert report.keys == 5022
    assert report.first_day == date(2026, 1, 1)
    assert report.last_day == date(2026, 6, 30)
    assert set(table.column("ma_cskcb").to_pylist()) == {"92114"}
    chest = table.filter(pc.equal(table.column("ma_dich_vu"), "18.0119.0028"))
    assert chest.num_rows == 1
    chest_rows = chest.to_pylist()
    assert chest_rows[0]["don_gia"] == Decimal("73300.000")


def test_folder_reports_missing_as_not_checked(
    tmp_path: Path, csv_writer: Callable[..., Path]
) -> None:
    _price_history(tmp_path, csv_writer)
    tables, reports = load_folder(tmp_path)
    missing = {r.name for r in reports if r.missing}
    assert missing == {
        "M01",
        "M02",
        "M03",
        "M04",
        "M06",
        "licences",
        "equipment_sources",
    }
    assert tables["ref_licences"].num_rows == 0
    assert "valid_from" in tables["ref_licences"].column_names
    refs = ReferenceSet.load(tmp_path)
    assert "ref_licences" in refs.missing
    assert not refs.checked("ref_equipment_sources")
    assert refs.checked("ref_services")


def test_folder_without_catalogues_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match="no facility catalogue"):
        ReferenceSet.load(tmp_path)
    with pytest.raises(ReferenceDataError, match="not found"):
        ReferenceSet.load(tmp_path / "absent")


def test_sample_folder_loads(sample_folder: Path) -> None:
    refs = ReferenceSet.load(sample_folder)
    assert refs.missing == frozenset()
    assert refs.ma_cskcb == "99001"
    day = date(2026, 3, 2)
    assert refs.lookup("machine", "XQ.1.99001.SYNXQ0001", day).num_rows == 1
    licence = refs.lookup("licence", "000003/HNO-CCHN", date(2026, 4, 16)).to_pylist()
    assert [r["trang_thai"] for r in licence] == ["suspended"]
    scope = refs.lookup("practitioner", "000003/HNO-CCHN", day).to_pylist()
    assert [r["phamvi_cmbs"] for r in scope] == ["21"]
    beds = refs.lookup("department", "K19", date(2026, 3, 1)).to_pylist()
    assert [r["giuong_pd"] for r in beds] == [40]


def test_row_wider_than_header_and_duplicate_column(tmp_path: Path) -> None:
    path = tmp_path / "M05.csv"
    path.write_text(
        "MA_DICH_VU,DON_GIA,TU_NGAY,MA_CSKCB,DON_GIA\n"
        "18.0119.0028,73300,20260101,99001,1,extra\n",
        encoding="utf-8",
    )
    table, report = load_file(path, M05)
    assert [(p.row, p.column, p.outcome) for p in report.problems] == [
        (1, "DON_GIA", Outcome.COLUMN_IGNORED),
        (2, "DON_GIA", Outcome.ROW_SKIPPED),
    ]
    assert "appears twice" in report.problems[0].message_en
    assert "6 cells" in report.problems[1].message_en
    assert report.problems[1].value == "extra"
    assert table.num_rows == 0


def test_trailing_empty_cells_are_harmless(tmp_path: Path) -> None:
    path = tmp_path / "M05.csv"
    path.write_text(
        "MA_DICH_VU,DON_GIA,TU_NGAY,MA_CSKCB\n18.0119.0028,73300,20260101,99001,,\n",
        encoding="utf-8",
    )
    table, report = load_file(path, M05)
    assert report.ok, report.problems
    assert table.num_rows == 1


def test_first_of_two_same_columns_is_read(tmp_path: Path) -> None:
    path = tmp_path / "M05.csv"
    path.write_text(
        "MA_DICH_VU,DON_GIA,TU_NGAY,MA_CSKCB,DON_GIA\n18.0119.0028,73300,20260101,99001,1\n",
        encoding="utf-8",
    )
    table, report = load_file(path, M05)
    assert [p.outcome for p in report.problems] == [Outcome.COLUMN_IGNORED]
    assert table.column("don_gia").to_pylist() == [Decimal("73300.000")]


def test_many_bad_rows_all_reported(
    tmp_path: Path, csv_writer: Callable[..., Path]
) -> None:
    rows = [
        [f"18.0119.{i:04d}", "X", "1", f"2026{i:04d}", "", "99001"]
        for i in range(1, 400)
    ]
    _, report = load_file(csv_writer(tmp_path / "M05.csv", HEADER, rows), M05)
    bad_days = [p.row or 0 for p in report.problems if p.column == "TU_NGAY"]
    # only 0101..0131, 0201..0228, … are real days: every other row is reported
    assert len(bad_days) == 399 - 31 - 28 - 31
    assert bad_days == sorted(bad_days)
