"""Technique billed for a diagnosis that its indications do not cover.

Why: the MoH asks the assessment to judge the suitability of the indication
(2025 position on procedure guidance; TT 12/2026/TT-BTC Art. 10.1.i,
reasonableness per MoH guidance). Each technique's procedure guidance lists its
indications; ``ref_technique_indications`` holds them as ICD-10 category ranges.
These ranges are clinical guidance read into codes, not a payment condition, so
a line outside them goes to joint verification with the facility, not to
refusal (the CV 266 topics with a legal condition are CD004's).

Violation: an XML3 line of a technique with indication ranges valid on its order
date when no diagnosis of the claim (``MA_BENH_CHINH``, ``MA_BENH_KT``, the lines'
``MA_BENH``) falls in any range (3-character category between ``icd_from`` and
``icd_to``).

Compliant: a diagnosis of the claim within one range, or a technique without
indication ranges.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

_V1 = Rule(
    id="CD005",
    name="indication.not_supported_by_diagnosis",
    version=1,
    doc=__doc__,
    title="Chẩn đoán không phù hợp chỉ định của kỹ thuật",
    title_en="No diagnosis of the claim supports the technique's indications",
    message=(
        "Dịch vụ {ma_dich_vu}: không chẩn đoán nào của hồ sơ thuộc chỉ định của kỹ "
        "thuật ({chi_dinh}); cần giám định chung với cơ sở"
    ),
    message_en=(
        "Service {ma_dich_vu}: no diagnosis of the claim is among the technique's "
        "indications ({chi_dinh}); joint verification with the facility is needed"
    ),
    family=Family.REASONABLENESS,
    severity=Severity.REVIEW,
    basis=(cite("qtkt/indications"),),
    effective=Period(start=date(2024, 1, 1), end=date(2026, 2, 9)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    max_severity=Severity.REVIEW,
    sql="""
        with diag as (
            select distinct ma_lk, icd from claim_diagnoses
        ),
        guidance as (
            select
                l.ma_lk, l.stt, l.ma_dich_vu, t.icd_from, t.icd_to, t.strength
            from xml3 as l
            join ref_technique_indications as t
              on t.ma_dich_vu = left(l.ma_dich_vu, 12)
             and t.kind = 'indication'
             and cast(l.ngay_yl as date) >= t.valid_from
             and (t.valid_to is null or cast(l.ngay_yl as date) <= t.valid_to)
        ),
        covered as (
            select distinct g.ma_lk, g.stt
            from guidance as g
            join diag as d
              on d.ma_lk = g.ma_lk
             and left(d.icd, 3) between g.icd_from and g.icd_to
        )
        select
            g.ma_lk, g.stt, g.ma_dich_vu,
            string_agg(
                distinct g.icd_from || '-' || g.icd_to, ', '
                order by g.icd_from || '-' || g.icd_to
            ) as chi_dinh
        from guidance as g
        anti join covered as c on c.ma_lk = g.ma_lk and c.stt = g.stt
        group by g.ma_lk, g.stt, g.ma_dich_vu
    """,
)

RULES = (
    _V1,
    dataclasses.replace(
        _V1,
        version=2,
        basis=(
            cite("tt12_2026/10.1.i"),
            cite("qtkt/indications"),
        ),
        effective=Period(start=date(2026, 2, 10)),
    ),
)
