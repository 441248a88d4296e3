"""Imaging or functional-exploration result without a conclusion.

Why: the MoH asks the assessment to judge the clinical value of a service's
result (2025 position on procedure guidance). For imaging and functional
exploration, QĐ 4750/QĐ-BYT carries the reading in XML4 ``MO_TA`` and the
conclusion in ``KET_LUAN``; a reading without a conclusion has no stated clinical
value and needs the facility's explanation (the conclusion may sit in the
record). Lines without any XML4 result are RS002's.

Violation: an XML3 line of group 2 (imaging) or 3 (functional exploration) whose
claim has XML4 rows for the same ``MA_DICH_VU`` but none with a non-empty
``KET_LUAN``.

Compliant: a conclusion in at least one XML4 row of the service.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

_V1 = Rule(
    id="RS003",
    name="reasonableness.result_without_conclusion",
    version=1,
    doc=__doc__,
    title="Kết quả chẩn đoán hình ảnh, thăm dò chức năng không có kết luận",
    title_en="Imaging or functional-exploration result without a conclusion",
    message=(
        "Dịch vụ {ma_dich_vu} (nhóm {ma_nhom}) có {so_dong_kq} dòng kết quả XML4 "
        "nhưng không có kết luận (KET_LUAN); cần giám định chung với cơ sở"
    ),
    message_en=(
        "Service {ma_dich_vu} (group {ma_nhom}) has {so_dong_kq} XML4 result rows "
        "but no conclusion (KET_LUAN); joint verification is needed"
    ),
    family=Family.REASONABLENESS,
    severity=Severity.REVIEW,
    basis=(cite("qd4750_2023/xml4.result"),),
    effective=Period(start=date(2024, 7, 1), end=date(2026, 2, 9)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA}),
    sql="""
        with results as (
            select
                r.ma_lk, r.ma_dich_vu, count(*) as so_dong_kq,
                count(nullif(trim(r.ket_luan), '')) as so_ket_luan
            from xml4 as r
            group by r.ma_lk, r.ma_dich_vu
        )
        select l.ma_lk, l.stt, l.ma_dich_vu, l.ma_nhom, r.so_dong_kq
        from xml3 as l
        join results as r
          on r.ma_lk = l.ma_lk and r.ma_dich_vu = l.ma_dich_vu
        where l.ma_nhom in (2, 3)
          and r.so_ket_luan = 0
    """,
)

RULES = (
    _V1,
    dataclasses.replace(
        _V1,
        version=2,
        basis=(
            cite("tt12_2026/10.1.i"),
            cite("qd4750_2023/xml4.result"),
        ),
        effective=Period(start=date(2026, 2, 10)),
    ),
)
