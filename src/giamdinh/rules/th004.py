"""Service billed without the companion service its payment requires.

Why: CV 266/2025 of BHXH's electronic payment-control centre (PL1, refusal code
S.005.658) refuses services whose procedure or price note requires another
service that was not done: root-canal treatment without an X-ray locating the
canals (topic KT04; QĐ 3207/QĐ-BYT 29/08/2013, dental procedures) and closed
suction "with ventilation" for a patient who is not ventilated (topic KT166; the
approved price's note). The pairs are rows of the edit table
``required_companions`` (service code or code prefix → group of
``code_groups``), each with its dates and reason.

Violation: an XML3 line whose code starts with a ``code`` of
``required_companions`` in force on its order date, in a claim with no other
XML3 line of the required group.

Compliant: a line of the required group anywhere in the claim.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="TH004",
    name="thematic.required_companion_missing",
    version=1,
    doc=__doc__,
    title="Dịch vụ thiếu dịch vụ kèm theo bắt buộc (điều trị tủy không chụp X-quang…)",
    title_en="Service billed without the companion service its payment requires",
    message=(
        "Không thanh toán {ma_dich_vu}: hồ sơ không có dịch vụ nhóm {nhom_bat_buoc} "
        "theo chuyên đề {chuyen_de} (mã lý do {ma_ly_do})"
    ),
    message_en=(
        "{ma_dich_vu} is not paid: the claim has no service of group "
        "{nhom_bat_buoc}, per topic {chuyen_de} (reason code {ma_ly_do})"
    ),
    family=Family.THEMATIC,
    severity=Severity.REFUSE,
    basis=(
        cite("cv266_2025/pl1.kt04_kt166"),
        cite("qd3207_2013"),
    ),
    refusal_code="S.005.658",
    effective=Period(start=date(2026, 1, 1)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.EDIT_TABLE}),
    sql="""
        with group_hits as (
            select ma_lk, stt, group_name
            from code_group_members
            where tbl = 'XML3'
        ),
        needs as (
            select
                l.ma_lk, l.stt, l.ma_dich_vu, r.requires_group as nhom_bat_buoc,
                r.topic as chuyen_de, r.refusal_code as ma_ly_do
            from xml3 as l
            join edit_required_companions as r
              on left(l.ma_dich_vu, length(r.code)) = r.code
             and cast(l.ngay_yl as date) >= r.valid_from
             and (r.valid_to is null or cast(l.ngay_yl as date) <= r.valid_to)
        )
        select n.ma_lk, n.stt, n.ma_dich_vu, n.nhom_bat_buoc, n.chuyen_de, n.ma_ly_do
        from needs as n
        left join group_hits as gh
          on gh.ma_lk = n.ma_lk
         and gh.group_name = n.nhom_bat_buoc
         and gh.stt <> n.stt
        where gh.ma_lk is null
    """,
)
