"""Service billed for a patient with a diagnosis that may contraindicate it.

Why: CV 266/TTKS-NV (2025) of BHXH's electronic payment-control centre (refusal
code S.005.653) lists "Chỉ định dịch vụ Nội soi thực quản, dạ dày, tá tràng đối
với bệnh nhân chẩn đoán suy tim" (item 4.8, topic KT84; procedures 14, 15, 63, 64
of QĐ 3805/QĐ-BYT 25/09/2014) and "Thanh toán các DVKT phục hồi chức năng đối với
các trường hợp chống chỉ định cho người bệnh có khối u ác tính" (item 4.6, topic
KT79; QĐ 54/QĐ-BYT 06/01/2014, QĐ 5737/QĐ-BYT 22/12/2017). Neither can be
decided from the claim's codes, so the rule asks for joint verification and
never refuses:

* KT84: the procedure guidance turns on how severe the heart failure is, which an
  I50 code does not say, and the group includes emergency gastroscopy to stop
  bleeding;
* KT79: the letter covers only the rehabilitation techniques whose own procedure
  contraindicates them in cancer, often only over the tumour; the procedures of
  each chapter-17 technique are not in the edit table, so a cancer code (C) on
  the claim is a lead, not a ground.

The leads are ``contraindication`` rows of the edit table ``indications``
(technique code prefix or group → ICD-10 prefix), each with its dates, reason and
the refusal code BHXH would use.

Violation: an XML3 service line (no ``MA_VAT_TU``) of a technique with
contraindication rows in force on its order date when a diagnosis of the claim
(``MA_BENH_CHINH``, ``MA_BENH_KT``, the lines' ``MA_BENH``; dotted or not) starts
with one of the prefixes: the record is to be verified with the facility.

Compliant: no diagnosis of the claim among the rows.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="CD006",
    name="indication.contraindicated_by_diagnosis",
    version=1,
    doc=__doc__,
    title="Dịch vụ chỉ định cho người bệnh có thể có chống chỉ định",
    title_en="Service billed for a patient with a possibly contraindicating diagnosis",
    message=(
        "Dịch vụ {ma_dich_vu}: chẩn đoán {ma_benh} có thể là chống chỉ định theo "
        "chuyên đề {chuyen_de} (mã lý do {ma_ly_do}); cần giám định chung với cơ sở"
    ),
    message_en=(
        "{ma_dich_vu}: diagnosis {ma_benh} may contraindicate it per topic "
        "{chuyen_de} (reason code {ma_ly_do}); joint verification is needed"
    ),
    family=Family.THEMATIC,
    severity=Severity.REVIEW,
    basis=(
        cite("cv266_2025/pl1.kt79_kt84"),
        cite("qd3805_2014"),
        cite("qd54_2014"),
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
            select i.ma_lk, i.stt, i.ma_dich_vu, i.code, i.icd_prefix, i.topic,
                   i.refusal_code
            from line_indications as i
            join xml3 as l on l.ma_lk = i.ma_lk and l.stt = i.stt
            where i.kind = 'contraindication'
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
            ma_lk, stt, ma_dich_vu, min(icd) as ma_benh,
            min(topic) as chuyen_de, min(refusal_code) as ma_ly_do
        from matched
        where icd is not null
        group by ma_lk, stt, ma_dich_vu
    """,
)
