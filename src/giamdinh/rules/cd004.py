"""Service billed without the diagnosis its payment condition requires.

Why: CV 266/TTKS-NV (2025) of BHXH's electronic payment-control centre (refusal
code S.005.649, PL1 group 4 "not per the MoH procedure guidance") refuses
lacrimal probing for a patient "không có bệnh chít hẹp điểm lệ, tắc lệ quản ngang
hoặc ống lệ mũi" (item 4.3, topic KT25; QĐ 3906/QĐ-BYT 12/10/2012) and
respiratory physiotherapy for a patient "không mắc bệnh phổi tắc nghẽn mãn tính,
bệnh lý phổi mãn tính khác giai đoạn ổn định" (item 4.4, topic KT47; QĐ
1981/QĐ-BYT 05/06/2014). The conditions are ``indication`` rows of the edit table
``indications`` (a technique group → ICD-10 prefixes), each with its dates, reason
and refusal code.

The rows hold every diagnosis under which the text does not plainly refuse, not
only the ones it names: for probing, H04.5 "Tắc và bán tắc lệ đạo" and Q10.5 (the
named condition) and the other lacrimal-passage codes (epiphora H04.2,
dacryocystitis H04.3–H04.4, H04.6–H04.9, Q10.4, Q10.6), which often come with an
obstruction; for respiratory physiotherapy, the chronic lower respiratory
diseases J40–J47 (COPD, chronic bronchitis, emphysema, asthma, bronchiectasis),
lung diseases due to external agents J60–J70, J82, J84 (interstitial), J95.3,
J96.1, J98, J99, sequelae of tuberculosis B90, cystic fibrosis E84, Q33, P27 and
pulmonary sarcoidosis D86.0, D86.2. The "stable phase" cannot be read from a
code, so any phase is accepted. A claim is refused only when none of them is
present; where a row is not explicit its rationale says so.

Violation: an XML3 service line (no ``MA_VAT_TU``) of a technique with
indication rows in force on its order date when no diagnosis of the claim
(``MA_BENH_CHINH``, ``MA_BENH_KT``, the lines' ``MA_BENH``; dotted or not) starts
with one of the prefixes.

Compliant: at least one diagnosis of the claim within the rows.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="CD004",
    name="indication.condition_missing",
    version=1,
    doc=__doc__,
    title="Dịch vụ không có bệnh lý chỉ định theo điều kiện thanh toán",
    title_en="Service billed without the diagnosis its payment condition requires",
    message=(
        "Không thanh toán {ma_dich_vu}: hồ sơ không có chẩn đoán thuộc chỉ định "
        "({chi_dinh}) theo chuyên đề {chuyen_de} (mã lý do {ma_ly_do})"
    ),
    message_en=(
        "{ma_dich_vu} is not paid: no diagnosis of the claim is an indication "
        "({chi_dinh}), per topic {chuyen_de} (reason code {ma_ly_do})"
    ),
    family=Family.THEMATIC,
    severity=Severity.REFUSE,
    basis=(
        cite("cv266_2025/pl1.kt25_kt47"),
        cite("qd3906_2012"),
        cite("qd1981_2014"),
    ),
    refusal_code="S.005.649",
    effective=Period(start=date(2026, 1, 1)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.EDIT_TABLE}),
    sql="""
        with diag as (
            select distinct ma_lk, icd from claim_diagnoses
        ),
        rows_of_line as (
            select i.ma_lk, i.stt, i.ma_dich_vu, i.code, i.icd_prefix, i.topic,
                   i.refusal_code
            from line_indications as i
            join xml3 as l on l.ma_lk = i.ma_lk and l.stt = i.stt
            where i.kind = 'indication'
              and coalesce(l.ma_vat_tu, '') = ''
        ),
        matched as (
            select r.*, d.icd
            from rows_of_line as r
            left join diag as d
              on d.ma_lk = r.ma_lk
             and left(d.icd, length(replace(r.icd_prefix, '.', '')))
                 = upper(replace(r.icd_prefix, '.', ''))
        )
        select
            ma_lk, stt, ma_dich_vu,
            string_agg(distinct icd_prefix, ', ' order by icd_prefix) as chi_dinh,
            min(topic) as chuyen_de, min(refusal_code) as ma_ly_do
        from matched
        group by ma_lk, stt, ma_dich_vu
        having count(icd) = 0
    """,
)
