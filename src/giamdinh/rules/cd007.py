"""Technique billed for a patient with an absolute contraindication.

Why: the MoH asks the assessment to check indications against the procedure's
contraindications (TT 12/2026/TT-BTC Art. 10.1.i; 2025 position on procedure
guidance). ``ref_technique_indications`` holds each technique's contraindications
as ICD-10 category ranges with a strength. An absolute contraindication in the
patient's diagnoses goes to joint verification (the record may show why the
benefit outweighed it); the CV 266 topics with a legal ground are CD006's.

Violation: an XML3 line of a technique with an ``absolute`` contraindication range
valid on its order date that a diagnosis of the claim falls in.

Compliant: no diagnosis of the claim in the absolute contraindications.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

_V1 = Rule(
    id="CD007",
    name="indication.absolute_contraindication",
    version=1,
    doc=__doc__,
    title="Kỹ thuật có chống chỉ định tuyệt đối với chẩn đoán của người bệnh",
    title_en="Technique with an absolute contraindication in the patient's diagnoses",
    message=(
        "Dịch vụ {ma_dich_vu}: chẩn đoán {ma_benh} thuộc chống chỉ định tuyệt đối "
        "của kỹ thuật ({chong_chi_dinh}); cần giám định chung với cơ sở"
    ),
    message_en=(
        "Service {ma_dich_vu}: diagnosis {ma_benh} is an absolute contraindication "
        "of the technique ({chong_chi_dinh}); joint verification is needed"
    ),
    family=Family.REASONABLENESS,
    severity=Severity.REVIEW,
    basis=(cite("qtkt/indications"),),
    effective=Period(start=date(2024, 1, 1), end=date(2026, 2, 9)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
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
             and t.kind = 'contraindication'
             and cast(l.ngay_yl as date) >= t.valid_from
             and (t.valid_to is null or cast(l.ngay_yl as date) <= t.valid_to)
            and t.strength = 'absolute'
        ),
        matched as (
            select g.*, d.icd
            from guidance as g
            left join diag as d
              on d.ma_lk = g.ma_lk
             and left(d.icd, 3) between g.icd_from and g.icd_to
        )
        select
            ma_lk, stt, ma_dich_vu, min(icd) as ma_benh,
            min(icd_from || '-' || icd_to) as chong_chi_dinh
        from matched
        where icd is not null
        group by ma_lk, stt, ma_dich_vu
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
