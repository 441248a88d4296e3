"""Service billed without the diagnosis its payment condition requires.

Why: CV 266/2025 of BHXH's electronic payment-control centre (refusal code
S.005.649) refuses services done for patients without the indicating condition
the procedure guidance requires: lacrimal probing without stenosis or obstruction
of the lacrimal passages (topic KT25; QĐ 3906/QĐ-BYT 12/10/2012) and respiratory
physiotherapy without chronic obstructive or other chronic lung disease (topic
KT47; QĐ 1981/QĐ-BYT 05/06/2014). The conditions are ``indication`` rows of the
edit table ``indications`` (service code prefix or group → ICD-10 prefix), each
with its dates, reason and refusal code.

Violation: an XML3 line of a service with indication rows in force on its order
date when no diagnosis of the claim (``MA_BENH_CHINH``, ``MA_BENH_KT``, the
lines' ``MA_BENH``; dotted or not) starts with one of the prefixes.

Compliant: at least one diagnosis of the claim within the indications.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Basis, Grain, Period, Severity
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
        Basis(
            document="Công văn 266/2025 (Trung tâm Kiểm soát thanh toán BHXH, BHYT "
            "điện tử)",
            article="Phụ lục 1, chuyên đề KT25, KT47",
        ),
        Basis(
            document="Quyết định 3906/QĐ-BYT",
            article="Hướng dẫn quy trình kỹ thuật chuyên ngành Nhãn khoa",
            date=date(2012, 10, 12),
        ),
        Basis(
            document="Quyết định 1981/QĐ-BYT",
            article="Hướng dẫn quy trình kỹ thuật Nội khoa, chuyên ngành Hô hấp",
            date=date(2014, 6, 5),
        ),
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
            select ma_lk, stt, ma_dich_vu, code, icd_prefix, topic, refusal_code
            from line_indications
            where kind = 'indication'
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
