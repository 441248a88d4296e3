"""Service billed for a patient with a diagnosis that contraindicates it.

Why: CV 266/2025 of BHXH's electronic payment-control centre (refusal code
S.005.653) refuses services done against the contraindications of their
procedure guidance: gastroscopy in a patient diagnosed with heart failure (topic
KT84; QĐ 3805/QĐ-BYT 25/09/2014, procedures 14, 15, 63, 64) and rehabilitation
techniques in a patient with a malignant tumour (topic KT79; QĐ 54/QĐ-BYT
06/01/2014, QĐ 5737/QĐ-BYT 22/12/2017). The contraindications are
``contraindication`` rows of the edit table ``indications`` (service code prefix
or group → ICD-10 prefix), each with its dates, reason and refusal code.

Violation: an XML3 line of a service with contraindication rows in force on its
order date when a diagnosis of the claim (``MA_BENH_CHINH``, ``MA_BENH_KT``, the
lines' ``MA_BENH``; dotted or not) starts with one of the prefixes.

Compliant: no diagnosis of the claim among the contraindications.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Basis, Grain, Period, Severity
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="CD006",
    name="indication.contraindicated_by_diagnosis",
    version=1,
    doc=__doc__,
    title="Dịch vụ chỉ định cho người bệnh có chống chỉ định",
    title_en="Service billed for a patient with a contraindicating diagnosis",
    message=(
        "Không thanh toán {ma_dich_vu}: chẩn đoán {ma_benh} là chống chỉ định theo "
        "chuyên đề {chuyen_de} (mã lý do {ma_ly_do})"
    ),
    message_en=(
        "{ma_dich_vu} is not paid: diagnosis {ma_benh} contraindicates it, per topic "
        "{chuyen_de} (reason code {ma_ly_do})"
    ),
    family=Family.THEMATIC,
    severity=Severity.REFUSE,
    basis=(
        Basis(
            document="Công văn 266/2025 (Trung tâm Kiểm soát thanh toán BHXH, BHYT "
            "điện tử)",
            article="Phụ lục 1, chuyên đề KT79, KT84",
        ),
        Basis(
            document="Quyết định 3805/QĐ-BYT",
            article="Hướng dẫn quy trình kỹ thuật nội khoa, chuyên ngành tiêu hóa",
            date=date(2014, 9, 25),
        ),
        Basis(
            document="Quyết định 54/QĐ-BYT",
            article="Hướng dẫn quy trình kỹ thuật chuyên ngành phục hồi chức năng",
            date=date(2014, 1, 6),
        ),
    ),
    refusal_code="S.005.653",
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
            where kind = 'contraindication'
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
            ma_lk, stt, ma_dich_vu, min(icd) as ma_benh,
            min(topic) as chuyen_de, min(refusal_code) as ma_ly_do
        from matched
        where icd is not null
        group by ma_lk, stt, ma_dich_vu
    """,
)
