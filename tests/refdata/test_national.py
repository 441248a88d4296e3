"""National data: ICD-10 versions and annexes, techniques and guidance, CV 266."""

from __future__ import annotations

import csv
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest

from giamdinh.refdata import (
    NATIONAL_TABLES,
    ReferenceSet,
    as_of_predicate,
    icd_nodot_sql,
    load_national,
)
from giamdinh.refdata import national as national_module

if TYPE_CHECKING:
    from pathlib import Path

    import duckdb


@pytest.fixture(scope="module")
def refs() -> ReferenceSet:
    return ReferenceSet.national()


def _one(
    refs: ReferenceSet, query: str, params: list[object] | None = None
) -> tuple[Any, ...]:
    rows = refs.sql(query, params).to_pylist()
    assert len(rows) == 1
    return tuple(rows[0].values())


def test_every_national_table_present(refs: ReferenceSet) -> None:
    tables = refs.tables()
    for name in NATIONAL_TABLES:
        assert tables[name].num_rows > 0, name
        assert {"valid_from", "valid_to"} <= set(tables[name].column_names), name


def test_icd10_loads_whole(refs: ReferenceSet) -> None:
    source = national_module.DATA_DIR / "icd10_qd4469_2020.csv"
    with source.open(encoding="utf-8-sig", newline="") as fh:
        codes = {row["code_nodot"] for row in csv.DictReader(fh)}
    (count,) = _one(
        refs, "select count(*) from ref_icd10 where version = 'QD4469_2020'"
    )
    assert count == len(codes) == 12137
    (missing,) = _one(
        refs,
        "select count(*) from (select unnest(?) as c) "
        "where c not in (select code_nodot from ref_icd10 where version = 'TT06_2026')",
        [sorted(codes)],
    )
    assert missing == 0


@pytest.mark.parametrize(
    ("day", "version"),
    [
        (date(2020, 10, 28), "QD4469_2020"),
        (date(2026, 6, 30), "QD4469_2020"),  # last day of QĐ 4469
        (date(2026, 7, 1), "TT06_2026"),  # first day of TT 06/2026
        (date(2030, 1, 1), "TT06_2026"),  # open end
    ],
)
@pytest.mark.parametrize("code", ["J20.9", "J209", "j20.9"])
def test_icd10_version_by_date_dotted_or_not(
    refs: ReferenceSet, day: date, version: str, code: str
) -> None:
    rows = refs.lookup("icd10", code, day).to_pylist()
    assert [(r["version"], r["code"]) for r in rows] == [(version, "J20.9")]


def test_icd10_version_of_an_episode_is_by_its_end_day(
    refs: ReferenceSet, con: duckdb.DuckDBPyConnection
) -> None:
    refs.register(con)
    rows = con.execute(
        f"""
        with x1(ma_lk, ma_benh_chinh, ngay_vao, ngay_ra) as (values
            ('LK1', 'J20.9', date '2026-06-29', date '2026-06-30'),
            ('LK2', 'j209', date '2026-06-30', date '2026-07-01'))
        select x1.ma_lk, i.version from x1
        join ref_icd10 i
          on i.code_nodot = {icd_nodot_sql("x1.ma_benh_chinh")}
         and {as_of_predicate("i", "x1.ngay_ra")}
        order by x1.ma_lk
        """  # noqa: S608 - built from constants
    ).fetchall()
    assert rows == [("LK1", "QD4469_2020"), ("LK2", "TT06_2026")]


def test_icd10_before_qd4469_is_not_found(refs: ReferenceSet) -> None:
    assert refs.lookup("icd10", "J20.9", date(2020, 10, 27)).num_rows == 0


def test_icd10_annex_rules(refs: ReferenceSet) -> None:
    day = date(2026, 3, 1)
    birth = refs.lookup("icd10", "O80.0", day).to_pylist()[0]
    assert birth["sex_only"] == "female"
    assert birth["gioi_tinh_only"] == "2"
    assert (birth["age_min_years"], birth["age_max_years"]) == (9, 60)
    assert birth["age_annex"] == "A3.8"
    assert refs.lookup("icd10", "B95.0", day).to_pylist()[0]["not_main"] is True
    newborn = refs.lookup("icd10", "P07.0", day).to_pylist()[0]
    assert (newborn["age_min_days"], newborn["age_max_days"]) == (0, 365)
    asterisk = refs.lookup("icd10", "G01", day).to_pylist()[0]
    assert asterisk["asterisk"] is True


def test_tt06_flags_replace_qd4469_rules(refs: ReferenceSet) -> None:
    after = date(2026, 7, 1)
    row = refs.lookup("icd10", "A00", after).to_pylist()[0]
    assert row["has_more_specific"] is True
    assert row["sex_only"] is None
    (flagged,) = _one(
        refs,
        "select count(*) from ref_icd10 where version = 'TT06_2026' and not_main",
    )
    assert flagged > 1000


def test_dagger_asterisk_pairs(refs: ReferenceSet) -> None:
    rows = refs.sql(
        "select related_code, main_code from ref_icd10_pairs where code_nodot = 'A010'"
        " order by related_code"
    ).to_pylist()
    assert {"related_code": "G01", "main_code": "G01"} in rows


def test_icd9cm_map_loads_whole(refs: ReferenceSet) -> None:
    assert refs.table("ref_icd9cm_map").num_rows == 9206


def test_cv266_loads_whole(refs: ReferenceSet) -> None:
    table = refs.table("ref_cv266")
    assert table.num_rows == 94
    codes = set(table.column("ma_ly_do_tu_choi").to_pylist())
    assert "S.005.434" in codes


def test_chapters(refs: ReferenceSet) -> None:
    (name,) = _one(
        refs, "select name_vi from ref_technique_chapters where chuong = '18'"
    )
    assert name.startswith("Chẩn đoán hình ảnh")
    assert refs.table("ref_technique_chapters").num_rows == 29


def test_guidance_covers_imaging_and_moh_times(refs: ReferenceSet) -> None:
    (with_guidance, chapter18) = _one(
        refs,
        "select count(*) filter (where has_guidance), "
        "count(*) filter (where has_guidance and chuong = '18') from ref_techniques",
    )
    assert with_guidance >= 150
    assert chapter18 >= 150
    day = date(2026, 3, 2)
    xray = refs.lookup("technique", "18.0119.0028", day).to_pylist()[0]
    assert (xray["reference_minutes"], xray["machine_group"]) == (6, "XQ")
    assert xray["reference_minutes_source"] == "qd2775_2025_reported"
    assert xray["key_steps"].startswith("1. ")
    echo = refs.lookup("technique", "02.0119.0004", day).to_pylist()[0]
    assert (echo["reference_minutes"], echo["machine_group"]) == (30, "SA")
    ct_plain = refs.lookup("technique", "18.0149.0040", day).to_pylist()[0]
    ct_contrast = refs.lookup("technique", "18.0150.0041", day).to_pylist()[0]
    assert (ct_plain["modality"], ct_contrast["modality"]) == ("ct", "ct_contrast")
    assert ct_plain["drugs"] is None
    assert "cản quang" in ct_contrast["drugs"]
    assert ct_contrast["reference_minutes_source"] == "expert_estimate"


def test_biopsy_endoscopy_requires_histology(refs: ReferenceSet) -> None:
    rows = refs.sql(
        "select ma_dich_vu, companion_pattern, requirement, source "
        "from ref_technique_companions where ma_dich_vu in (?, ?)",
        ["02.0304.0134", "02.0305.0135"],
    ).to_pylist()
    assert rows == [
        {
            "ma_dich_vu": "02.0304.0134",
            "companion_pattern": "25.%",
            "requirement": "required",
            "source": "expert_estimate",
        }
    ]


def test_indications_join_by_icd_range(
    refs: ReferenceSet, con: duckdb.DuckDBPyConnection
) -> None:
    refs.register(con)
    rows = con.execute(
        """
        select i.kind from ref_technique_indications i
        where i.ma_dich_vu = '18.0119.0028'
          and left('J209', 3) between i.icd_from and i.icd_to
        """
    ).fetchall()
    assert rows == [("indication",)]


def test_every_guidance_value_has_a_source() -> None:
    for name in (
        "technique_guidance.csv",
        "technique_indications.csv",
        "technique_companions.csv",
    ):
        with (national_module.DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert rows, name
        assert all(r["source"] for r in rows), name
        assert {r["source"] for r in rows} <= {
            "expert_estimate",
            "qd2775_2025_reported",
            "qd130_appendix_ma_may",
            "tt32_2023_pl_xiv",
            "tt32_2023_pl_v",
            "catalogue_name",
            "m05_92114",
            "qd4440_pl3",
        }


def test_parquet_cache_round_trip(tmp_path: Path) -> None:
    national_module.clear_memo()
    try:
        built = load_national(cache_dir=tmp_path)
        assert any(tmp_path.rglob("ref_icd10.parquet"))
        national_module.clear_memo()
        cached = load_national(cache_dir=tmp_path)
        for name in NATIONAL_TABLES:
            assert cached[name].equals(built[name]), name
        assert load_national(cache_dir=tmp_path) is cached
    finally:
        national_module.clear_memo()
