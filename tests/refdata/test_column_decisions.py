"""Which cells a row must fill, per column, and why (the decisions are data)."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from cogapp import Cog

from giamdinh.refdata import (
    ACQUISITION_FORM_LIST,
    COLUMN_DECISIONS,
    CONTRACT_FORMS,
    FILE_KINDS,
    FILE_SPECS,
    OPEN_START,
    FileSpec,
    Outcome,
    ReferenceSet,
    Requirement,
    load_file,
)
from giamdinh.refdata.specs import ColumnDecision, ColumnType

if TYPE_CHECKING:
    from collections.abc import Callable


DOCS = Path(__file__).parent.parent.parent / "docs"
TEMPLATES = (
    Path(__file__).parent.parent.parent
    / "src"
    / "giamdinh"
    / "refdata"
    / "data"
    / "bhxh_facility_catalogue_templates.csv"
)


# The decisions, pinned: changing one must be deliberate (and documented).
EXPECTED_REQUIRED = {
    "M01": {"MA_KHOA", "TU_NGAY"},
    "M02": {"MACCHN", "TU_NGAY"},
    "M03": {"MA_THUOC", "TU_NGAY"},
    "M04": {"MA_VAT_TU", "TU_NGAY"},
    "M05": {"MA_DICH_VU", "TU_NGAY"},
    "M06": {"MA_MAY", "TU_NGAY"},
    "licences": {"MACCHN", "TRANG_THAI", "NGAY_HIEU_LUC"},
    "equipment_sources": {"MA_MAY", "HINH_THUC"},
}
CONTRACT = {"lien_doanh_lien_ket", "thue", "muon_nha_thau"}
PURCHASE = {"ngan_sach", "xa_hoi_hoa", "quy_phat_trien", "tang_cho"}


def _write(path: Path, row: dict[str, str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(row), lineterminator="\n")
        writer.writeheader()
        writer.writerow(row)
    return path


def _file_name(spec: FileSpec) -> str:
    return f"{spec.name}.csv"


def _full_row(spec: FileSpec) -> dict[str, str]:
    """A synthetic row filling every column with a valid value."""
    row: dict[str, str] = {}
    for col in spec.columns:
        kind = spec.types.get(col, ColumnType.STRING)
        if col == spec.valid_from:
            row[col] = "20250101"
        elif col == spec.valid_to:
            row[col] = "20251231"
        elif col == "TRANG_THAI":
            row[col] = "active"
        elif col == "HINH_THUC":
            row[col] = "thue"  # a contract form: the conditional columns apply
        elif col == "MA_CSKCB":
            row[col] = "01929"
        elif kind is ColumnType.DATE:
            row[col] = "20200101"
        elif kind is ColumnType.INTEGER:
            row[col] = "3"
        elif kind is ColumnType.MONEY:
            row[col] = "1000"
        else:
            row[col] = f"0{len(row)}"
    return row


def test_required_columns_are_the_documented_decisions() -> None:
    assert {n: set(s.required) for n, s in FILE_SPECS.items()} == EXPECTED_REQUIRED
    equipment = FILE_SPECS["equipment_sources"]
    assert equipment.required_when == {
        "HD_TU": ("HINH_THUC", frozenset(CONTRACT)),
        "HD_DEN": ("HINH_THUC", frozenset(CONTRACT)),
    }
    assert CONTRACT_FORMS == CONTRACT
    assert {f.code for f in ACQUISITION_FORM_LIST} == CONTRACT | PURCHASE
    assert all(
        not s.required_when for n, s in FILE_SPECS.items() if n != "equipment_sources"
    )


def test_every_column_has_one_reasoned_decision() -> None:
    by_file: dict[str, list[ColumnDecision]] = {}
    for d in COLUMN_DECISIONS:
        by_file.setdefault(d.file, []).append(d)
    assert set(by_file) == set(FILE_KINDS)
    for name, spec in FILE_SPECS.items():
        assert tuple(d.column for d in by_file[name]) == spec.columns
        for d in by_file[name]:
            assert len(d.why) > 10, d
            if d.required is Requirement.CONDITIONAL:
                assert d.column == "MA_CSKCB" or "=" in d.when, d
            else:
                assert not d.when, d
    assert all(f.basis for f in ACQUISITION_FORM_LIST)


def test_catalogue_columns_are_the_official_lists() -> None:
    with TEMPLATES.open(encoding="utf-8", newline="") as fh:
        official = {r["template"].split()[0]: r["columns"] for r in csv.DictReader(fh)}
    for name in ("M01", "M02", "M03", "M04", "M05", "M06"):
        names = set(re.findall(r"[A-Z][A-Z0-9_]+", official[name]))
        assert set(FILE_SPECS[name].columns) <= names, name


CASES = [(d.file, d.column) for d in COLUMN_DECISIONS]


@pytest.mark.parametrize(("name", "column"), CASES, ids=[f"{f}-{c}" for f, c in CASES])
def test_an_empty_cell_follows_its_decision(
    tmp_path: Path, name: str, column: str
) -> None:
    """Blank each column of a full row: only required ones leave the row out."""
    spec = FILE_SPECS[name]
    decision = next(d for d in COLUMN_DECISIONS if (d.file, d.column) == (name, column))
    full = _full_row(spec)
    table, report = load_file(_write(tmp_path / _file_name(spec), full), spec)
    assert report.ok, report.problems
    assert table.num_rows == 1
    row = {**full, column: ""}
    table, report = load_file(_write(tmp_path / _file_name(spec), row), spec)
    if decision.required is Requirement.NO:
        assert report.ok, report.problems
        assert table.num_rows == 1
        return
    assert [(p.row, p.column, p.outcome) for p in report.problems] == [
        (2, column, Outcome.ROW_SKIPPED)
    ]
    assert table.num_rows == 0
    assert report.rows_skipped == 1
    if column == "MA_CSKCB":  # required only when the caller gives no code
        table, report = load_file(tmp_path / _file_name(spec), spec, ma_cskcb="01929")
        assert report.ok
        assert table.column("ma_cskcb").to_pylist() == ["01929"]


@pytest.mark.parametrize(
    "form", sorted(CONTRACT | PURCHASE), ids=sorted(CONTRACT | PURCHASE)
)
def test_contract_dates_only_for_contract_forms(
    tmp_path: Path, csv_writer: Callable[..., Path], form: str
) -> None:
    csv_writer(
        tmp_path / "M05.csv",
        ["MA_DICH_VU", "DON_GIA", "TU_NGAY", "MA_CSKCB"],
        [["18.0119.0028", "73300", "20250101", "99001"]],
    )
    csv_writer(
        tmp_path / "equipment_sources.csv",
        ["MA_MAY", "HINH_THUC", "NHA_CUNG_CAP", "HD_TU", "HD_DEN"],
        [
            ["XQ.1.99001.A", form, "", "", ""],
            ["SA.2.99001.B", form, "Công ty Mẫu", "20230101", "20271231"],
        ],
    )
    refs = ReferenceSet.load(tmp_path)
    day = date(2026, 3, 2)
    with_dates = refs.lookup("equipment_source", "SA.2.99001.B", day).to_pylist()
    assert [r["valid_from"] for r in with_dates] == [date(2023, 1, 1)]
    without = refs.lookup("equipment_source", "XQ.1.99001.A", day).to_pylist()
    if form in CONTRACT:
        assert without == []
        assert [(p.row, p.column, p.outcome) for p in refs.problems] == [
            (2, "HD_TU", Outcome.ROW_SKIPPED),
            (2, "HD_DEN", Outcome.ROW_SKIPPED),
        ]
        assert form in refs.problems[0].message_en
        assert form in refs.problems[0].message
    else:
        assert refs.problems == ()
        assert [(r["hd_tu"], r["valid_from"], r["valid_to"]) for r in without] == [
            (None, OPEN_START, None)
        ]
        # Owned from the start: any day finds it.
        assert refs.lookup("equipment_source", "XQ.1.99001.A", date(2001, 1, 1))
    report = next(r for r in refs.reports if r.name == "equipment_sources")
    assert report.first_day == date(2023, 1, 1)  # the open start is not a day
    refs.close()


def test_refdata_page_is_current() -> None:
    status = Cog().main(["cog", "--check", str(DOCS / "refdata.md")])
    assert status == 0, "docs/refdata.md is out of date: run `make docs`"
    text = (DOCS / "refdata.md").read_text(encoding="utf-8")
    for form in ACQUISITION_FORM_LIST:
        assert f"`{form.code}`" in text
