"""Service not paid when the service that includes it is paid (unbundling).

Why: TT 35/2016/TT-BYT Art. 4.4.a: when a technique's procedure already includes
another service, the included one is not paid separately. BHXH's thematic rules
(CV 266/2025 PL1, refusal code S.005.434, 32 topics) list such pairs, e.g. topic
KT217: abdominal ultrasound is not paid when urinary-tract or uterine-adnexal
ultrasound is paid the same day. The pairs are rows of the edit table
``code_pairs`` ("B not paid when A paid", like the CMS NCCI procedure-to-procedure
edits), each with its scope (same day or same claim), dates and rationale.

Violation: an XML3 line with code B of a pair in force on its order date, in a claim
that also has code A (a different line) on the same day (or anywhere in the claim
for ``same_claim`` pairs).

Compliant: B billed without A, or A and B on different days of a ``same_day`` pair.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="TH002",
    name="thematic.unbundled_pair",
    version=1,
    doc=__doc__,
    title="Dịch vụ đã bao gồm trong quy trình của dịch vụ khác đã thanh toán",
    title_en="Service included in another paid service (unbundling)",
    message=(
        "Không thanh toán {ma_dich_vu} khi đã thanh toán {ma_dich_vu_chinh} (dòng "
        "{stt_chinh}) theo chuyên đề {chuyen_de}"
    ),
    message_en=(
        "{ma_dich_vu} is not paid when {ma_dich_vu_chinh} (line {stt_chinh}) is paid, "
        "per topic {chuyen_de}"
    ),
    family=Family.THEMATIC,
    severity=Severity.REFUSE,
    basis=(
        cite("tt35_2016/4.4.a"),
        cite("cv266_2025/pl1.s005434"),
    ),
    refusal_code="S.005.434",
    effective=Period(start=date(2026, 1, 1)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.EDIT_TABLE}),
    sql="""
        select
            b.ma_lk, b.stt, b.ma_dich_vu,
            e.code_a as ma_dich_vu_chinh,
            min(a.stt) as stt_chinh,
            e.topic as chuyen_de
        from xml3 as b
        join edit_code_pairs as e
          on e.code_b = left(b.ma_dich_vu, 12)
         and cast(b.ngay_yl as date) >= e.valid_from
         and (e.valid_to is null or cast(b.ngay_yl as date) <= e.valid_to)
        join xml3 as a
          on a.ma_lk = b.ma_lk
         and left(a.ma_dich_vu, 12) = e.code_a
         and a.stt <> b.stt
        where e.scope = 'same_claim'
           or cast(a.ngay_yl as date) = cast(b.ngay_yl as date)
        group by b.ma_lk, b.stt, b.ma_dich_vu, e.code_a, e.topic
    """,
)
