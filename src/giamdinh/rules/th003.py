"""Endoscopy billed "with biopsy" without a histology test.

Why: CV 266/2025 of BHXH's electronic payment-control centre (PL1, topic KT64,
refusal code S.005.658): an endoscopy billed at the "with biopsy" price (nội soi
có sinh thiết) when no histopathology test was done is paid at the price of the
same endoscopy without biopsy. The biopsy is a step whose value lies in the
histology (QĐ 3805/QĐ-BYT 25/09/2014 digestive procedures; QĐ 5199/QĐ-BYT
25/12/2013 pathology procedures). The variants are rows of ``price_variants``
(refusal code S.005.658) and the histology services the group ``histology`` of
``code_groups`` (chapter 25 codes).

Violation: an XML3 line whose code is a ``code_billed`` of a S.005.658 price
variant in force on its order date, in a claim with no other XML3 line of the
required group. The amount is the fund's share of the price difference to
``code_payable`` in the facility's catalogue (the whole line when that price is
not in the catalogue).

Compliant: a histology line in the same claim, or the endoscopy billed at the
no-biopsy code.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="TH003",
    name="thematic.biopsy_without_histology",
    version=1,
    doc=__doc__,
    title="Nội soi có sinh thiết nhưng không làm xét nghiệm mô bệnh học",
    title_en="Endoscopy with biopsy billed without a histology test",
    message=(
        "Dịch vụ {ma_dich_vu} thanh toán giá có sinh thiết nhưng hồ sơ không có xét "
        "nghiệm mô bệnh học; điều chỉnh về giá {ma_dich_vu_thanh_toan} "
        "({gia_thanh_toan}) theo chuyên đề {chuyen_de}"
    ),
    message_en=(
        "Service {ma_dich_vu} billed at the with-biopsy price but the claim has no "
        "histology test; adjusted to {ma_dich_vu_thanh_toan} ({gia_thanh_toan}) per "
        "topic {chuyen_de}"
    ),
    family=Family.THEMATIC,
    severity=Severity.ADJUST,
    basis=(
        cite("cv266_2025/pl1.kt64"),
        cite("qd3805_2014"),
        cite("qd5199_2013"),
    ),
    refusal_code="S.005.658",
    topic="KT64",
    effective=Period(start=date(2026, 1, 1)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.EDIT_TABLE, Evidence.CATALOGUE}),
    sql="""
        with group_hits as (
            select ma_lk, stt, group_name
            from code_group_members
            where tbl = 'XML3'
        ),
        flagged as (
            select
                l.ma_lk, l.stt, l.ma_dich_vu, h.ma_cskcb,
                v.code_payable as ma_dich_vu_thanh_toan, v.topic as chuyen_de,
                l.don_gia_bh, p.don_gia as gia_thanh_toan,
                l.so_luong, l.tyle_tt_bh, l.muc_huong, l.t_bhtt,
                v.requires_group
            from xml3 as l
            join xml1 as h on h.ma_lk = l.ma_lk
            join edit_price_variants as v
              on v.code_billed = left(l.ma_dich_vu, 12)
             and v.refusal_code = 'S.005.658'
             and cast(l.ngay_yl as date) >= v.valid_from
             and (v.valid_to is null or cast(l.ngay_yl as date) <= v.valid_to)
            left join ref_services as p
              on p.ma_cskcb = h.ma_cskcb
             and p.ma_dich_vu = v.code_payable
             and cast(l.ngay_yl as date) >= p.valid_from
             and (p.valid_to is null or cast(l.ngay_yl as date) <= p.valid_to)
        )
        select
            f.ma_lk, f.stt, f.ma_dich_vu, f.ma_cskcb, f.ma_dich_vu_thanh_toan,
            f.chuyen_de, f.don_gia_bh, f.gia_thanh_toan, f.so_luong, f.tyle_tt_bh,
            f.muc_huong, f.t_bhtt
        from flagged as f
        left join group_hits as gh
          on gh.ma_lk = f.ma_lk
         and gh.group_name = f.requires_group
         and gh.stt <> f.stt
        where gh.ma_lk is null
    """,
    amount="""
        case
            when gia_thanh_toan is null then t_bhtt
            else greatest(
                0,
                (don_gia_bh - gia_thanh_toan) * so_luong
                * coalesce(tyle_tt_bh, 100) * coalesce(muc_huong, 100) * 0.0001
            )
        end
    """,
)
