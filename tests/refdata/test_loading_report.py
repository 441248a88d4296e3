"""The loading report: bad rows and files never refuse the folder; what is absent."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from giamdinh.errors import ReferenceDataError
from giamdinh.refdata import (
    FILE_KINDS,
    FILE_SPECS,
    FileReport,
    FileStatus,
    Outcome,
    Problem,
    ReferenceSet,
    load_file,
)
from giamdinh.refdata.facility import file_statuses

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def test_bad_rows_and_files_never_refuse_the_folder(
    tmp_path: Path, csv_writer: Callable[..., Path]
) -> None:
    csv_writer(
        tmp_path / "M05.csv",
        ["MA_DICH_VU", "DON_GIA", "TU_NGAY", "MA_CSKCB", "GIA_TT_BHYT"],
        [
            ["18.0119.0028", "73300", "20250101", "99001", ""],
            ["18.0015.0001", "58600", "2025-01-01", "99001", ""],
            ["", "45000", "20250101", "99001", ""],
            ["02.03", "45000", "20250101", "99001", "45.000,5"],
        ],
    )
    csv_writer(  # unusable: no TU_NGAY column at all
        tmp_path / "M06.csv", ["MA_MAY", "MA_CSKCB"], [["XQ.1.99001.A", "99001"]]
    )
    (tmp_path / "M01.xlsx").write_bytes(b"not a workbook")
    csv_writer(
        tmp_path / "licences.csv",
        ["MACCHN", "TRANG_THAI", "NGAY_HIEU_LUC"],
        [
            ["000001/HNO-CCHN", "expired", "20200101"],
            ["000002/HNO-CCHN", "active", "20200101"],
        ],
    )
    refs = ReferenceSet.load(tmp_path)
    # What is valid is loaded.
    assert refs.table("ref_services").column("ma_dich_vu").to_pylist() == [
        "18.0119.0028",
        "02.03",
    ]
    assert refs.table("ref_licences").column("macchn").to_pylist() == [
        "000002/HNO-CCHN"
    ]
    # Each bad row and file is in the report, row by row, as data.
    got = [(p.file, p.row, p.column, p.value, p.outcome) for p in refs.problems]
    assert got == [
        ("M01.xlsx", None, None, None, Outcome.FILE_NOT_LOADED),
        ("M05.csv", 3, "TU_NGAY", "2025-01-01", Outcome.ROW_SKIPPED),
        ("M05.csv", 4, "MA_DICH_VU", None, Outcome.ROW_SKIPPED),
        ("M05.csv", 5, "GIA_TT_BHYT", "45.000,5", Outcome.VALUE_IGNORED),
        ("M06.csv", 1, "TU_NGAY", None, Outcome.FILE_NOT_LOADED),
        ("licences.csv", 2, "TRANG_THAI", "expired", Outcome.ROW_SKIPPED),
    ]
    assert all(
        p.message and p.message_en and p.message != p.message_en for p in refs.problems
    )
    # Present, absent and unusable files, as data.
    assert refs.present == ("M05", "licences")
    assert refs.unusable == ("M01", "M06")
    assert refs.absent == ("M02", "M03", "M04", "equipment_sources")
    assert refs.file_status("M06") is FileStatus.UNUSABLE
    assert refs.missing >= {"ref_departments", "ref_machines", "ref_equipment_sources"}
    assert refs.checked("ref_services")
    assert not refs.checked("ref_machines")
    # Why a rule reading a table is not checked.
    assert refs.not_checked("ref_services") is None
    absent = refs.not_checked("ref_equipment_sources")
    assert absent is not None
    assert absent.message_en == "equipment_sources.csv missing"
    assert absent.message == "thiếu tệp equipment_sources.csv"
    assert absent.status is FileStatus.ABSENT
    unusable = refs.not_checked("ref_machines")
    assert unusable is not None
    assert unusable.status is FileStatus.UNUSABLE
    assert unusable.message_en == (
        "M06.csv unusable: required column TU_NGAY is missing (every row needs it)"
    )
    norms = refs.not_checked("ref_norm_staff_minutes")
    assert norms is not None
    assert norms.file is None
    refs.close()


def test_national_only_says_no_folder() -> None:
    refs = ReferenceSet.national()
    assert refs.present == ()
    assert refs.absent == FILE_KINDS
    reason = refs.not_checked("ref_licences")
    assert reason is not None
    assert reason.message_en == "no reference folder given (licences.csv missing)"


def test_file_kind_must_be_known() -> None:
    with pytest.raises(ReferenceDataError, match="unknown reference file"):
        ReferenceSet.national().file_status("M07")


def test_statuses_over_several_folders() -> None:
    def report(name: str, status: FileStatus) -> FileReport:
        if status is FileStatus.ABSENT:
            return FileReport(name=name, table="t", file=None)
        problems: tuple[Problem, ...] = ()
        if status is FileStatus.UNUSABLE:
            problems = (
                Problem(
                    file=f"{name}.csv",
                    message="x",
                    message_en="x",
                    outcome=Outcome.FILE_NOT_LOADED,
                ),
            )
        return FileReport(name=name, table="t", file=f"{name}.csv", problems=problems)

    reports = [
        report("M05", FileStatus.UNUSABLE),
        report("M05", FileStatus.LOADED),
        report("M06", FileStatus.ABSENT),
        report("M06", FileStatus.UNUSABLE),
        report("M01", FileStatus.ABSENT),
    ]
    assert file_statuses(reports) == {
        "M05": FileStatus.LOADED,
        "M06": FileStatus.UNUSABLE,
        "M01": FileStatus.ABSENT,
    }


def test_missing_facility_column_needs_the_code(
    tmp_path: Path, csv_writer: Callable[..., Path]
) -> None:
    path = csv_writer(
        tmp_path / "M05.csv",
        ["MA_DICH_VU", "DON_GIA", "TU_NGAY"],
        [["18.0119.0028", "73300", "20250101"]],
    )
    table, report = load_file(path, FILE_SPECS["M05"])
    assert [(p.column, p.outcome) for p in report.problems] == [
        ("MA_CSKCB", Outcome.FILE_NOT_LOADED)
    ]
    assert table.num_rows == 0
    table, report = load_file(path, FILE_SPECS["M05"], ma_cskcb="01929")
    assert report.ok
    assert table.column("ma_cskcb").to_pylist() == ["01929"]


def test_a_price_with_a_thousands_separator_is_reported_not_guessed(
    tmp_path: Path, csv_writer: Callable[..., Path]
) -> None:
    csv_writer(
        tmp_path / "M05.csv",
        ["MA_DICH_VU", "DON_GIA", "TU_NGAY", "MA_CSKCB"],
        [
            ["18.0119.0028", "73.300", "20250101", "99001"],
            ["18.0015.0001", "58600.5", "20250101", "99001"],
        ],
    )
    refs = ReferenceSet.load(tmp_path)
    prices = refs.table("ref_services").column("don_gia").to_pylist()
    assert prices[0] is None  # never 73.3 đồng
    assert str(prices[1]).startswith("58600.5")
    (problem,) = [p for p in refs.problems if p.column == "DON_GIA"]
    assert problem.value == "73.300"
    assert problem.outcome is Outcome.VALUE_IGNORED
    assert "73300" in problem.message_en
    refs.close()
