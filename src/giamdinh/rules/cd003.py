"""Diagnosis code against the patient's sex or age.

Why: the ICD-10 rules of the Ministry of Health (QĐ 4469/QĐ-BYT annexes A3 age
and A4 sex) restrict codes to one sex (e.g. pregnancy codes to women, prostate
codes to men) or an age range (e.g. perinatal codes). A diagnosis against the
patient's sex or age recorded in XML1 is an error in the claim or in the patient
data; either way the services it supports need the facility's explanation.

Violation: a main or secondary diagnosis whose ``ref_icd10`` row valid on the
claim's date has ``gioi_tinh_only`` different from ``GIOI_TINH`` (1 male, 2
female; 3 unknown is not judged), or an age range (``age_min_years``,
``age_max_years``) that the patient's age in whole years at admission is outside.

Compliant: a code without limits, or within them.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

_V1 = Rule(
    id="CD003",
    name="diagnosis.sex_or_age_mismatch",
    version=1,
    doc=__doc__,
    title="Mã bệnh không phù hợp giới tính hoặc tuổi của người bệnh",
    title_en="Diagnosis code against the patient's sex or age",
    message=(
        "Mã bệnh {ma_benh} không phù hợp người bệnh (giới tính {gioi_tinh}, "
        "{tuoi} tuổi): mã chỉ dùng cho giới {gioi_tinh_ma}, tuổi {tuoi_tu}–{tuoi_den}"
    ),
    message_en=(
        "Diagnosis {ma_benh} does not fit the patient (sex {gioi_tinh}, age "
        "{tuoi}): the code is for sex {gioi_tinh_ma}, ages {tuoi_tu}–{tuoi_den}"
    ),
    family=Family.REASONABLENESS,
    severity=Severity.REVIEW,
    basis=(cite("qd4469_2020/a3a4"),),
    effective=Period(start=date(2024, 1, 1), end=date(2026, 6, 30)),
    grain=Grain.CLAIM,
    table=None,
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    time_condition=(
        "the age in years from NGAY_SINH to NGAY_VAO decides an age-restricted "
        "diagnosis code; a calendar age, not execution time"
    ),
    sql="""
        with codes as (
            select h.ma_lk, h.ma_benh_chinh as code from xml1 as h
            union all
            select h.ma_lk, unnest(string_split(h.ma_benh_kt, ';')) as code
            from xml1 as h
        ),
        patients as (
            select
                h.ma_lk, h.gioi_tinh,
                cast(coalesce(h.ngay_ra, h.ngay_vao) as date) as ngay,
                cast(floor(
                    date_diff(
                        'day', cast(h.ngay_sinh as date), cast(h.ngay_vao as date)
                    )
                    / 365.25
                ) as bigint) as tuoi
            from xml1 as h
        ),
        hits as (
            select
                p.ma_lk, trim(c.code) as ma_benh, p.gioi_tinh, p.tuoi,
                r.gioi_tinh_only as gioi_tinh_ma,
                r.age_min_years as tuoi_tu, r.age_max_years as tuoi_den
            from codes as c
            join patients as p on p.ma_lk = c.ma_lk
            join ref_icd10 as r
              on r.code_nodot = upper(replace(trim(c.code), '.', ''))
             and p.ngay >= r.valid_from
             and (r.valid_to is null or p.ngay <= r.valid_to)
            where (
                    r.gioi_tinh_only is not null
                and p.gioi_tinh in (1, 2)
                and cast(p.gioi_tinh as varchar) <> r.gioi_tinh_only
            ) or (
                    p.tuoi is not null
                and (p.tuoi < r.age_min_years or p.tuoi > r.age_max_years)
            )
        )
        select
            ma_lk, min(ma_benh) as ma_benh, min(gioi_tinh) as gioi_tinh,
            min(tuoi) as tuoi, min(gioi_tinh_ma) as gioi_tinh_ma,
            min(tuoi_tu) as tuoi_tu, min(tuoi_den) as tuoi_den
        from hits
        group by ma_lk
    """,
)

RULES = (
    _V1,
    dataclasses.replace(
        _V1,
        version=2,
        basis=(cite("tt06_2026/sex"),),
        effective=Period(start=date(2026, 7, 1)),
    ),
)
