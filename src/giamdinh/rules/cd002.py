"""Main diagnosis coded with a code that may not be a main diagnosis.

Why: the ICD-10 rules of the Ministry of Health list codes that may not stand as
the main diagnosis (QĐ 4469/QĐ-BYT annex A2, e.g. asterisk manifestation codes;
from 01/07/2026 the "cấm bệnh chính" flag of TT 06/2026/TT-BYT). The main
diagnosis drives the indications and the case-mix group, so such a claim needs
the facility's correction. ``ref_icd10.not_main`` carries the flag per version.

Violation: ``MA_BENH_CHINH`` (dotted or not) whose ``ref_icd10`` row valid on the
claim's date has ``not_main``.

Compliant: a main diagnosis allowed as main.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

_V1 = Rule(
    id="CD002",
    name="diagnosis.not_allowed_as_main",
    version=1,
    doc=__doc__,
    title="Mã bệnh chính thuộc danh mục không được dùng làm bệnh chính",
    title_en="Main diagnosis with a code not allowed as main",
    message=(
        "Mã bệnh chính {ma_benh_chinh} không được dùng làm bệnh chính theo danh mục "
        "ICD-10 hiệu lực ngày {ngay}"
    ),
    message_en=(
        "Main diagnosis {ma_benh_chinh} may not be used as the main diagnosis under "
        "the ICD-10 list in force on {ngay}"
    ),
    family=Family.CONSISTENCY,
    severity=Severity.REVIEW,
    basis=(cite("qd4469_2020/a2"),),
    effective=Period(start=date(2024, 1, 1), end=date(2026, 6, 30)),
    grain=Grain.CLAIM,
    table=None,
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    sql="""
        select
            h.ma_lk, h.ma_benh_chinh,
            cast(coalesce(h.ngay_ra, h.ngay_vao) as date) as ngay
        from xml1 as h
        join ref_icd10 as r
          on r.code_nodot = upper(replace(trim(h.ma_benh_chinh), '.', ''))
         and cast(coalesce(h.ngay_ra, h.ngay_vao) as date) >= r.valid_from
         and (r.valid_to is null
              or cast(coalesce(h.ngay_ra, h.ngay_vao) as date) <= r.valid_to)
        where r.not_main
    """,
)

RULES = (
    _V1,
    dataclasses.replace(
        _V1,
        version=2,
        basis=(cite("tt06_2026/not_main"),),
        effective=Period(start=date(2026, 7, 1)),
    ),
)
