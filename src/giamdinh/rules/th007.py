"""Service whose cost is already in the price of another paid service.

Why: a service whose cost is part of another service's approved price ("đã kết
cấu trong giá") is not paid separately. CV 266/2025 of BHXH's electronic
payment-control centre (topic KT32, refusal code S.005.655): the Helicobacter
pylori rapid test is in the price of the gastroscopy. The pairs are rows of the
edit table ``included_items`` with ``included_table = XML3``; ``code`` and
``included_code`` are a code prefix or the name of a group of ``code_groups``.

Violation: an XML3 line matching ``included_code`` in a claim that has another
XML3 line matching ``code`` on the same day.

Compliant: the included service billed without the main one that day.

Severity: ``review``, not ``refuse``. What makes the cost part of the other price is
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
    id="TH007",
    name="thematic.service_included_in_price",
    version=1,
    doc=__doc__,
    title="Dịch vụ đã kết cấu trong giá dịch vụ khác đã thanh toán",
    title_en="Service already in the price of another paid service",
    message=(
        "Cần giám định: chi phí {ma_dich_vu} có thể đã kết cấu trong giá "
        "{ma_dich_vu_chinh} (dòng {stt_chinh}) theo chuyên đề {chuyen_de} "
        "(mã lý do {ma_ly_do}); đối chiếu quyết định phê duyệt giá của cơ sở"
    ),
    message_en=(
        "To verify: the cost of {ma_dich_vu} may be in the price of "
        "{ma_dich_vu_chinh} (line {stt_chinh}), per topic {chuyen_de} (reason code "
        "{ma_ly_do}); check the facility's price decision"
    ),
    family=Family.THEMATIC,
    severity=Severity.REVIEW,
    basis=(cite("cv266_2025/pl1.kt32"),),
    refusal_code="S.005.655",
    effective=Period(start=date(2026, 1, 1)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.EDIT_TABLE}),
    sql="""
        with tagged as (
            select ma_lk, stt, ma_dich_vu, ngay, role, code, included_code, topic,
                   refusal_code
            from included_item_lines
            where included_table = 'XML3'
        )
        select
            b.ma_lk, b.stt, b.ma_dich_vu,
            min(a.ma_dich_vu) as ma_dich_vu_chinh, min(a.stt) as stt_chinh,
            b.topic as chuyen_de, b.refusal_code as ma_ly_do
        from tagged as b
        join tagged as a
          on a.ma_lk = b.ma_lk
         and a.ngay = b.ngay
         and a.code = b.code
         and a.included_code = b.included_code
         and a.role = 'main'
         and a.stt <> b.stt
        where b.role = 'included'
        group by b.ma_lk, b.stt, b.ma_dich_vu, b.topic, b.refusal_code
    """,
)
