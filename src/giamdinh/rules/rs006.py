"""Procedure billed without a companion service its guidance requires.

Why: the MoH asks the assessment to check that the key steps of a procedure were
done (2025 position on procedure guidance; TT 12/2026/TT-BTC Art. 10.1.i). Some
steps are services of their own, billed on other lines: a biopsy needs its
histology, for instance. ``ref_technique_companions`` lists, per technique, the
companion services (a code pattern) its guidance requires. A missing companion
goes to joint verification: it may have been done elsewhere or billed in another
episode. The CV 266 cases with a refusal code are TH003 and TH004.

Violation: an XML3 line of a technique with ``required`` companion rows valid on
its order date when no other XML3 line of the claim matches the companion
pattern.

Compliant: a companion line in the same claim.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

_V1 = Rule(
    id="RS006",
    name="reasonableness.companion_service_missing",
    version=1,
    doc=__doc__,
    title="Thiếu dịch vụ kèm theo mà quy trình kỹ thuật yêu cầu",
    title_en="Procedure billed without a companion service its guidance requires",
    message=(
        "Dịch vụ {ma_dich_vu}: hồ sơ không có dịch vụ kèm theo bắt buộc "
        "({dich_vu_kem}, mẫu mã {mau_ma}); cần giám định chung với cơ sở"
    ),
    message_en=(
        "Service {ma_dich_vu}: the claim has no required companion service "
        "({dich_vu_kem}, code pattern {mau_ma}); joint verification is needed"
    ),
    family=Family.REASONABLENESS,
    severity=Severity.REVIEW,
    basis=(cite("qtkt/steps"),),
    effective=Period(start=date(2024, 1, 1), end=date(2026, 2, 9)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    sql="""
        with needs as (
            select
                l.ma_lk, l.stt, l.ma_dich_vu, c.companion_pattern as mau_ma,
                c.description as dich_vu_kem
            from xml3 as l
            join ref_technique_companions as c
              on c.ma_dich_vu = left(l.ma_dich_vu, 12)
             and c.requirement = 'required'
             and cast(l.ngay_yl as date) >= c.valid_from
             and (c.valid_to is null or cast(l.ngay_yl as date) <= c.valid_to)
        )
        select n.ma_lk, n.stt, n.ma_dich_vu, n.mau_ma, n.dich_vu_kem
        from needs as n
        left join xml3 as x
          on x.ma_lk = n.ma_lk
         and x.stt <> n.stt
         and x.ma_dich_vu like n.mau_ma
        where x.ma_lk is null
    """,
)

RULES = (
    _V1,
    dataclasses.replace(
        _V1,
        version=2,
        basis=(
            cite("tt12_2026/10.1.i"),
            cite("qtkt/steps"),
        ),
        effective=Period(start=date(2026, 2, 10)),
    ),
)
