"""CT billed at a "with contrast" price without a contrast drug.

Why: CV 266/TTKS-NV (2025) of BHXH's electronic payment-control centre (PL1 item
3.5, topic KT183, refusal code S.005.442): a CT billed at the price "Chụp cắt lớp
vi tính có thuốc cản quang" when no contrast drug was used is paid at the price of
the CT "không thuốc cản quang". The approved price of a CT with contrast does not
include the drug ("Chưa bao gồm thuốc cản quang", e.g. QĐ 3467/QĐ-BYT 15/11/2024
PL III), so the drug is billed on its own XML2 line and a claim without one shows
that none was used.

The pairs are derived, not listed: a line is a CT when its technique (``XX.YYYY``)
is in the technique catalogue (``ref_techniques``, valid that day) with the CT
machine group ``CL`` in chapter 18, and it is billed with contrast when its price
code (the last four digits) is a with-contrast tier of ``edit_price_variants``
(rows of refusal code S.005.442 whose code is a ``LIKE`` pattern such as
``18.____.0041`` → ``18.____.0040``: 1–32, 64–128, ≥ 256 slices and the two
whole-body tiers). Rows naming one exact code are exceptions and win over the tier
rows: a row whose payable code is the billed code is never adjusted (CT
colonography with fluid or gas, whose contrast need not be a drug). The drugs
that count are the ``contrast_agent`` group of ``code_groups`` (active
ingredients and brand names of iodinated agents).

MRI is not judged here: the approved MRI price "có chất tương phản" carries no
"chưa bao gồm" note (QĐ 3467/QĐ-BYT PL III), i.e. the gadolinium agent is within
the price and is not billed on XML2, so its absence shows nothing.

Violation: a service line (no ``MA_VAT_TU``) of such a CT at a with-contrast tier
in force on its order date, in a claim with no XML2 drug of the required group,
when the facility's catalogue (``ref_services``, valid that day) has a price at
the plain tier below the billed one. The price taken is that of the exception's
payable code, else of the same technique, else the highest plain-tier price of
chapter 18 (the smallest adjustment). The amount is the fund's share of the
difference.

Compliant: a contrast drug line (XML2) in the same claim, the CT billed at a plain
tier, or no plain-tier price in the facility's catalogue (the adjustment cannot
be computed, so nothing is claimed).
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="TH001",
    name="thematic.ct_contrast_without_drug",
    version=1,
    doc=__doc__,
    title="Chụp CLVT có thuốc cản quang nhưng không có thuốc cản quang",
    title_en="CT with contrast billed without a contrast drug",
    message=(
        "Dịch vụ {ma_dich_vu} thanh toán giá có thuốc cản quang nhưng hồ sơ không có "
        "thuốc cản quang; điều chỉnh về giá {ma_dich_vu_thanh_toan} ({gia_thanh_toan})"
    ),
    message_en=(
        "Service {ma_dich_vu} billed at the with-contrast price but the claim has no "
        "contrast drug; adjusted to {ma_dich_vu_thanh_toan} ({gia_thanh_toan})"
    ),
    family=Family.THEMATIC,
    severity=Severity.ADJUST,
    basis=(
        cite("cv266_2025/pl1.kt183"),
        cite("qd3467_2024/pl3"),
    ),
    refusal_code="S.005.442",
    topic="KT183",
    effective=Period(start=date(2026, 1, 1)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.EDIT_TABLE, Evidence.CATALOGUE}),
    sql="""
        with group_hits as (
            select distinct ma_lk, group_name
            from code_group_members
            where tbl = 'XML2'
        ),
        variants as (
            select code_billed, code_payable, requires_group, valid_from, valid_to,
                   instr(code_billed, '_') > 0 as is_tier
            from edit_price_variants
            where refusal_code = 'S.005.442'
        ),
        lines as (
            select
                l.ma_lk, l.stt, l.ma_dich_vu, h.ma_cskcb,
                left(l.ma_dich_vu, 12) as ma12, cast(l.ngay_yl as date) as ngay,
                l.don_gia_bh, l.so_luong, l.tyle_tt_bh, l.muc_huong, l.t_bhtt
            from xml3 as l
            join xml1 as h on h.ma_lk = l.ma_lk
            where coalesce(l.ma_vat_tu, '') = ''
              and left(l.ma_dich_vu, 3) = '18.'
        ),
        ct_lines as (
            select distinct l.*
            from lines as l
            join ref_techniques as t
              on left(t.ma_dich_vu, 7) = left(l.ma12, 7)
             and t.machine_group = 'CL'
             and l.ngay >= t.valid_from
             and (t.valid_to is null or l.ngay <= t.valid_to)
        ),
        matched as (
            select
                l.*,
                coalesce(x.code_payable, v.code_payable) as ma_thuong,
                substr(coalesce(x.code_payable, v.code_payable), 9, 4) as gia_thuong,
                coalesce(x.requires_group, v.requires_group) as requires_group,
                coalesce(x.code_payable = x.code_billed, false) as khong_dieu_chinh
            from ct_lines as l
            left join variants as x
              on not x.is_tier and x.code_billed = l.ma12
             and l.ngay >= x.valid_from
             and (x.valid_to is null or l.ngay <= x.valid_to)
            left join variants as v
              on v.is_tier and l.ma12 like v.code_billed
             and l.ngay >= v.valid_from
             and (v.valid_to is null or l.ngay <= v.valid_to)
            where x.code_billed is not null or v.code_billed is not null
        ),
        without_drug as (
            select m.*
            from matched as m
            left join group_hits as g
              on g.ma_lk = m.ma_lk and g.group_name = m.requires_group
            where g.ma_lk is null
              and not m.khong_dieu_chinh
        ),
        plain_prices as (
            select
                w.ma_lk, w.stt, p.ma_dich_vu as ma_dich_vu_thanh_toan,
                p.don_gia as gia_thanh_toan,
                row_number() over (
                    partition by w.ma_lk, w.stt
                    order by
                        case
                            when p.ma_dich_vu = w.ma_thuong then 0
                            when left(p.ma_dich_vu, 7) = left(w.ma12, 7) then 1
                            else 2
                        end,
                        p.don_gia desc, p.ma_dich_vu
                ) as thu_tu
            from without_drug as w
            join ref_services as p
              on p.ma_cskcb = w.ma_cskcb
             and left(p.ma_dich_vu, 3) = '18.'
             and substr(p.ma_dich_vu, 9, 4) = w.gia_thuong
             and w.ngay >= p.valid_from
             and (p.valid_to is null or w.ngay <= p.valid_to)
        )
        select
            w.ma_lk, w.stt, w.ma_dich_vu, w.ma_cskcb,
            p.ma_dich_vu_thanh_toan, w.don_gia_bh, p.gia_thanh_toan,
            w.so_luong, w.tyle_tt_bh, w.muc_huong, w.t_bhtt
        from without_drug as w
        join plain_prices as p
          on p.ma_lk = w.ma_lk and p.stt = w.stt and p.thu_tu = 1
        where w.don_gia_bh > p.gia_thanh_toan
    """,
    amount="""
        greatest(
            0,
            (don_gia_bh - gia_thanh_toan) * so_luong
            * coalesce(tyle_tt_bh, 100) * coalesce(muc_huong, 100) * 0.0001
        )
    """,
)
