"""Diagnosis code not in the ICD-10 list in force for the episode.

Why: QĐ 130/QĐ-BYT (as amended by QĐ 4750/QĐ-BYT) codes ``MA_BENH_CHINH`` and
``MA_BENH_KT`` in ICD-10 as published by the Ministry of Health: QĐ 4469/QĐ-BYT
(28/10/2020) until 30/06/2026, then the list of TT 06/2026/TT-BYT. A code absent
from the list in force on the episode's date cannot support any indication, so
the claim needs the facility's correction; the line decisions stay with the
other rules. ``ref_icd10`` holds both versions with their periods.

Violation: a main or secondary diagnosis of XML1 (dotted or not) with no
``ref_icd10`` row valid on the claim's date (``NGAY_RA``, else ``NGAY_VAO``).
Nothing is judged when ``ref_icd10`` is empty (national data not loaded).

Compliant: every code in the list in force that day.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

_V1 = Rule(
    id="CD001",
    name="diagnosis.icd_not_in_version",
    version=1,
    doc=__doc__,
    title="Mã bệnh không có trong danh mục ICD-10 hiện hành của đợt điều trị",
    title_en="Diagnosis code not in the ICD-10 list in force for the episode",
    message=(
        "Mã bệnh {ma_benh} ({so_ma} mã) không có trong danh mục ICD-10 hiệu lực ngày "
        "{ngay}; cơ sở cần điều chỉnh"
    ),
    message_en=(
        "Diagnosis code {ma_benh} ({so_ma} code(s)) is not in the ICD-10 list in "
        "force on {ngay}; the facility must correct it"
    ),
    family=Family.CONSISTENCY,
    severity=Severity.REVIEW,
    basis=(
        cite("qd4469_2020/icd10"),
        cite("qd4750_2023/xml1.diag"),
    ),
    effective=Period(start=date(2024, 7, 1), end=date(2026, 6, 30)),
    grain=Grain.CLAIM,
    table=None,
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    sql="""
        with codes as (
            select h.ma_lk, h.ma_benh_chinh as code,
                   cast(coalesce(h.ngay_ra, h.ngay_vao) as date) as ngay
            from xml1 as h
            union all
            select h.ma_lk, unnest(string_split(h.ma_benh_kt, ';')) as code,
                   cast(coalesce(h.ngay_ra, h.ngay_vao) as date) as ngay
            from xml1 as h
        ),
        clean as (
            select ma_lk, trim(code) as code, ngay,
                   upper(replace(trim(code), '.', '')) as code_nodot
            from codes
            where coalesce(trim(code), '') <> ''
        )
        select c.ma_lk, min(c.code) as ma_benh, count(*) as so_ma, min(c.ngay) as ngay
        from clean as c
        left join ref_icd10 as r
          on r.code_nodot = c.code_nodot
         and c.ngay >= r.valid_from
         and (r.valid_to is null or c.ngay <= r.valid_to)
        where r.code_nodot is null
          and (select count(*) from ref_icd10) > 0
        group by c.ma_lk
    """,
)

RULES = (
    _V1,
    dataclasses.replace(
        _V1,
        version=2,
        basis=(
            cite("tt06_2026/icd10"),
            cite("qd4750_2023/xml1.diag"),
        ),
        effective=Period(start=date(2026, 7, 1)),
    ),
)
