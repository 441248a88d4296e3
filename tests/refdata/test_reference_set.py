"""ReferenceSet: contract names, DuckDB registration, as-of joins, missing files."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pytest

from giamdinh.errors import ReferenceDataError
from giamdinh.refdata import FACILITY_TABLES, FILE_SPECS, ReferenceSet, as_of_predicate

if TYPE_CHECKING:
    from pathlib import Path

    import duckdb

CONTRACT_TABLES = {
    "ref_departments",
    "ref_practitioners",
    "ref_drugs",
    "ref_supplies",
    "ref_services",
    "ref_machines",
    "ref_licences",
    "ref_equipment_sources",
    "ref_icd10",
    "ref_techniques",
    "ref_technique_companions",
    "ref_technique_indications",
}


def test_contract_table_names_and_columns(sample_folder: Path) -> None:
    tables = ReferenceSet.load(sample_folder).tables()
    assert set(tables) >= CONTRACT_TABLES
    for spec in FILE_SPECS.values():
        columns = set(tables[spec.table].column_names)
        assert {c.lower() for c in spec.columns} <= columns
        assert {"valid_from", "valid_to"} <= columns
        assert ("ma_cskcb" in columns) is spec.facility
    techniques = set(tables["ref_techniques"].column_names)
    assert {"ma_dich_vu", "chuong", "reference_minutes", "machine_group"} <= techniques


def test_as_of_is_a_join(sample_folder: Path, con: duckdb.DuckDBPyConnection) -> None:
    ReferenceSet.load(sample_folder).register(con)
    con.execute(
        """
        create table lines as select * from (values
            ('L1', '18.0119.0028', date '2025-12-31'),
            ('L2', '18.0119.0028', date '2026-01-01'),
            ('L3', '18.0119.0028', date '2024-12-31'),
            ('L4', '18.0015.0001', date '2026-03-02')
        ) as t(line, ma_dich_vu, ngay_yl)
        """
    )
    rows = con.execute(
        f"""
        select l.line, s.don_gia, t.reference_minutes
        from lines l
        left join ref_services s
          on s.ma_dich_vu = l.ma_dich_vu and {as_of_predicate("s", "l.ngay_yl")}
        left join ref_techniques t
          on t.ma_dich_vu = l.ma_dich_vu and {as_of_predicate("t", "l.ngay_yl")}
        order by l.line
        """  # noqa: S608
    ).fetchall()
    assert [(line, None if p is None else int(p), m) for line, p, m in rows] == [
        ("L1", 70000, 6),
        ("L2", 73300, 6),
        ("L3", None, 6),
        ("L4", 58600, 15),
    ]


def test_national_only_marks_facility_tables_missing() -> None:
    refs = ReferenceSet.national()
    assert refs.missing == frozenset(FACILITY_TABLES)
    assert refs.table("ref_services").num_rows == 0
    assert refs.lookup("service", "18.0119.0028", date(2026, 1, 1)).num_rows == 0


def test_unknown_kind_and_table() -> None:
    refs = ReferenceSet.national()
    with pytest.raises(ReferenceDataError, match="unknown reference kind 'bed'"):
        refs.lookup("bed", "K19.NG1", date(2026, 1, 1))
    with pytest.raises(ReferenceDataError, match="no reference table 'ref_beds'"):
        refs.table("ref_beds")


def test_technique_lookup_strips_variants() -> None:
    refs = ReferenceSet.national()
    day = date(2026, 3, 1)
    for code in ("20.0098.0637_GT", "23.0121.1548.K.92000", "18.0119.0028_TB"):
        rows = refs.lookup("technique", code, day).to_pylist()
        assert [r["ma_dich_vu"] for r in rows] == [code[:12]]


def test_practitioner_in_two_departments(tmp_path: Path, csv_writer: object) -> None:
    assert callable(csv_writer)
    csv_writer(
        tmp_path / "M02.csv",
        ["MA_KHOA", "HO_TEN", "MACCHN", "TU_NGAY", "DEN_NGAY", "MA_CSKCB"],
        [
            ["K01", "A", "000001/HNO-CCHN", "20250101", "", "99001"],
            ["K45", "A", "000001/HNO-CCHN", "20250101", "", "99001"],
        ],
    )
    refs = ReferenceSet.load(tmp_path)
    rows = refs.lookup("practitioner", "000001/HNO-CCHN", date(2026, 1, 1))
    assert sorted(rows.column("ma_khoa").to_pylist()) == ["K01", "K45"]
    refs.close()
