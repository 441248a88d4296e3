"""Reference use cases: check a folder, show a code with its related facts."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from giamdinh.errors import ReferenceDataError
from giamdinh.refdata import SAMPLES_DIR, ReferenceSet
from giamdinh.services.reference import (
    check_reference_folder,
    open_reference,
    show_reference,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

SAMPLE = SAMPLES_DIR / "facility_99001"


@pytest.fixture(scope="module")
def refs() -> Iterator[ReferenceSet]:
    reference = open_reference(SAMPLE)
    yield reference
    reference.close()


def test_check_sample_folder() -> None:
    result = check_reference_folder(SAMPLE)
    assert result.ok
    assert result.not_checked == ()
    assert {r.name: r.rows for r in result.reports}["M05"] == 6


def test_check_reports_all_problems_and_missing(tmp_path: Path) -> None:
    folder = tmp_path / "ref"
    shutil.copytree(SAMPLE, folder)
    (folder / "licences.csv").unlink()
    text = (folder / "M06.csv").read_text(encoding="utf-8")
    (folder / "M06.csv").write_text(
        text.replace(",20250101,,99001\n2", ",2025-01-01,,99001\n2"), encoding="utf-8"
    )
    result = check_reference_folder(folder)
    assert not result.ok
    assert result.not_checked == ("licences",)
    assert result.rows_skipped == 1
    problems = [p.describe(english=True) for r in result.reports for p in r.problems]
    assert problems == [
        "M06.csv, row 2, column TU_NGAY: '2025-01-01' is not a date yyyymmdd "
        "(row not loaded)"
    ]
    # The bad row does not refuse the folder: the rest loads, the report stays.
    refs = open_reference(folder)
    assert [(p.file, p.row, p.column, p.value) for p in refs.problems] == [
        ("M06.csv", 2, "TU_NGAY", "2025-01-01")
    ]
    day = date(2026, 3, 2)
    assert refs.lookup("machine", "XQ.1.99001.SYNXQ0001", day).num_rows == 0
    assert refs.lookup("machine", "SA.2.99001.SYNSA0001", day).num_rows == 1
    assert refs.absent == ("licences",)
    refs.close()


def test_unusable_file_is_not_checked(tmp_path: Path) -> None:
    folder = tmp_path / "ref"
    shutil.copytree(SAMPLE, folder)
    (folder / "M06.csv").write_text("TEN_TB\nMáy\n", encoding="utf-8")
    result = check_reference_folder(folder)
    assert result.not_checked == ("M06",)
    refs = open_reference(folder)
    assert refs.unusable == ("M06",)
    reason = refs.not_checked("ref_machines")
    assert reason is not None
    assert reason.message_en.startswith("M06.csv unusable: required column MA_MAY")
    refs.close()


def test_show_service_with_price_and_technique(refs: ReferenceSet) -> None:
    shown = show_reference(
        refs, kind="service", code="18.0119.0028", as_of=date(2025, 6, 1)
    )
    assert [r["don_gia"] for r in shown.rows] == [Decimal("70000.000")]
    assert [h["valid_to"] for h in shown.history] == [date(2025, 12, 31), None]
    assert shown.related["technique"][0]["reference_minutes"] == 6
    assert any(r["kind"] == "indication" for r in shown.related["indications"])


def test_show_practitioner_with_licence(refs: ReferenceSet) -> None:
    shown = show_reference(
        refs, kind="practitioner", code="000003/HNO-CCHN", as_of=date(2026, 5, 1)
    )
    assert [r["trang_thai"] for r in shown.related["licence"]] == ["suspended"]


def test_show_machine_with_acquisition(refs: ReferenceSet) -> None:
    shown = show_reference(
        refs, kind="machine", code="SA.2.99001.SYNSA0001", as_of=date(2026, 3, 2)
    )
    assert [r["hinh_thuc"] for r in shown.related["acquisition"]] == ["xa_hoi_hoa"]
    assert any("funding=2" in n for n in shown.notes)


def test_show_without_folder_says_not_checked() -> None:
    shown = show_reference(
        ReferenceSet.national(),
        kind="machine",
        code="XQ.1.99001.A",
        as_of=date(2026, 1, 1),
    )
    assert shown.rows == []
    assert any("not checked" in n for n in shown.notes)


def test_show_icd10_with_pairs() -> None:
    shown = show_reference(
        ReferenceSet.national(), kind="icd10", code="A01.0", as_of=date(2026, 1, 1)
    )
    assert shown.rows[0]["version"] == "QD4469_2020"
    assert {"related_code": "G01", "main_code": "G01"} in shown.related[
        "dagger/asterisk pairs (A1)"
    ]


def test_show_unknown_kind() -> None:
    with pytest.raises(ReferenceDataError, match="unknown reference kind"):
        show_reference(
            ReferenceSet.national(), kind="bed", code="x", as_of=date(2026, 1, 1)
        )
