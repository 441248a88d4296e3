"""Test or imaging line without a result (joint verification).

Why: the MoH asks the assessment to judge whether a service produced a result of
clinical value (2025 position on procedure guidance); QĐ 130/4750 carries the
results of tests, imaging and functional exploration in XML4 (``GIA_TRI``,
``MO_TA``, ``KET_LUAN``). A paid line with no result at all needs the facility's
explanation, not an automatic refusal: the result may sit in the medical record.

Violation: an XML3 line of group 1 (tests), 2 (imaging) or 3 (functional
exploration) whose claim has no XML4 row for the same ``MA_DICH_VU`` with a
non-empty value, description or conclusion.

Compliant: at least one XML4 row of that service with a result.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

_V1 = Rule(
    id="RS002",
    name="reasonableness.result_missing",
    version=1,
    doc=__doc__,
    title="Dịch vụ cận lâm sàng không có kết quả",
    title_en="Test or imaging line without a result",
    message=(
        "Dịch vụ {ma_dich_vu} (nhóm {ma_nhom}) không có kết quả trong bảng XML4; cần "
        "giám định chung với cơ sở"
    ),
    message_en=(
        "Service {ma_dich_vu} (group {ma_nhom}) has no result in table XML4; joint "
        "verification with the facility is needed"
    ),
    family=Family.REASONABLENESS,
    severity=Severity.REVIEW,
    basis=(cite("qd4750_2023/xml4"),),
    effective=Period(start=date(2024, 7, 1), end=date(2026, 2, 9)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA}),
    sql="""
        with results as (
            select distinct r.ma_lk, r.ma_dich_vu
            from xml4 as r
            where coalesce(trim(r.ket_luan), '') <> ''
               or coalesce(trim(r.gia_tri), '') <> ''
               or coalesce(trim(r.mo_ta), '') <> ''
        )
        select l.ma_lk, l.stt, l.ma_dich_vu, l.ma_nhom
        from xml3 as l
        left join results as r
          on r.ma_lk = l.ma_lk and r.ma_dich_vu = l.ma_dich_vu
        where l.ma_nhom in (1, 2, 3)
          and r.ma_lk is null
    """,
)

RULES = (
    _V1,
    dataclasses.replace(
        _V1,
        version=2,
        basis=(
            cite("tt12_2026/10.1.i"),
            cite("qd4750_2023/xml4"),
        ),
        effective=Period(start=date(2026, 2, 10)),
    ),
)
