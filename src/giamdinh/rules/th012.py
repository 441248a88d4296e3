"""Drug whose cost is already in the price of a paid technical service.

Why: drugs and medical gases that are part of a service's approved price are not
paid again as drug lines. CV 266/2025 of BHXH's electronic payment-control centre
(PL2, refusal code S.004.602): oxygen with mechanical ventilation (topic KT219),
heparin or enoxaparin with haemodialysis (topic KT102). The pairs are rows of the
edit table ``included_items`` with ``included_table = XML2``: ``code`` is a
service code prefix or a group of services, ``included_code`` a group of drugs of
``code_groups`` (matched on the drug name).

Violation: an XML2 drug line of the included group in a claim that has an XML3
line of the main service on the same day.

Compliant: the drug without the main service that day.

Severity: ``review``, not ``refuse``. What puts the drug in the service's price is
the facility's approved price decision (CV 266 names "the price decision of the
competent authority" without a number). That decision is not in the reference data
this rule reads (``ref_services`` has no decision column), and CV 266 alone gives no
date, so the line goes to joint verification with the decision in hand instead of
being refused (Decree 188/2025 Art. 51.2 asks a refusal for a specific basis).
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="TH012",
    name="thematic.drug_included_in_service_price",
    version=1,
    doc=__doc__,
    title="Thuốc, oxy đã kết cấu trong giá dịch vụ kỹ thuật đã thanh toán",
    title_en="Drug or oxygen already in the price of a paid service",
    message=(
        "Cần giám định: thuốc {ten_thuoc} có thể đã kết cấu trong giá "
        "{ma_dich_vu_chinh} (dòng {stt_chinh}) theo chuyên đề {chuyen_de} (mã lý do "
        "{ma_ly_do}); đối chiếu quyết định phê duyệt giá của cơ sở"
    ),
    message_en=(
        "To verify: drug {ten_thuoc} may be in the price of {ma_dich_vu_chinh} "
        "(line {stt_chinh}), per topic {chuyen_de} (reason code {ma_ly_do}); check "
        "the facility's price decision"
    ),
    family=Family.THEMATIC,
    severity=Severity.REVIEW,
    basis=(cite("cv266_2025/pl2.kt102_kt219"),),
    refusal_code="S.004.602",
    effective=Period(start=date(2026, 1, 1)),
    grain=Grain.LINE,
    table="XML2",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.EDIT_TABLE}),
    sql="""
        with mains as (
            select ma_lk, stt, ma_dich_vu, ngay, code, included_code, topic,
                   refusal_code
            from included_item_lines
            where included_table = 'XML2' and role = 'main'
        ),
        drugs as (
            select distinct
                d.ma_lk, d.stt, d.ten_thuoc, cast(d.ngay_yl as date) as ngay,
                m.group_name
            from xml2 as d
            join code_group_members as m
              on m.tbl = 'XML2' and m.ma_lk = d.ma_lk and m.stt = d.stt
        )
        select
            d.ma_lk, d.stt, d.ten_thuoc,
            min(m.ma_dich_vu) as ma_dich_vu_chinh, min(m.stt) as stt_chinh,
            m.topic as chuyen_de, m.refusal_code as ma_ly_do
        from drugs as d
        join mains as m
          on m.ma_lk = d.ma_lk
         and m.ngay = d.ngay
         and m.included_code = d.group_name
        group by d.ma_lk, d.stt, d.ten_thuoc, m.topic, m.refusal_code
    """,
)
