"""Claim totals differ from the sums of its lines (joint verification).

Why: QĐ 130/4750 (appendix, XML1) defines the claim's totals as sums of its lines:
``T_THUOC`` = Σ ``THANH_TIEN_BV`` of XML2, ``T_VTYT`` = Σ ``THANH_TIEN_BV`` of the
supply lines of XML3, ``T_TONGCHI_BV`` and ``T_TONGCHI_BH`` = Σ ``THANH_TIEN_BV`` and
Σ ``THANH_TIEN_BH`` of XML2 + XML3, and ``T_BHTT``, ``T_BNCCT``, ``T_BNTT``,
``T_NGUONKHAC`` the sums of the line values. TT 12/2026/TT-BTC Art. 10.1.k has the
insurer check the consistency of the figures. A difference does not say which
line is wrong, so the claim goes to joint verification; the line rules (CT006,
CT007) decide the money.

Violation: one finding per XML1 total that differs from the sum of its lines by
more than ``tolerance`` đồng (an empty total counts as 0).

Compliant: every total equals the sum of its lines within the tolerance.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="CT008",
    name="consistency.claim_totals_differ",
    version=1,
    doc=__doc__,
    title="Tổng chi phí của hồ sơ khác tổng các dòng",
    title_en="Claim totals differ from the sums of its lines",
    message=(
        "Hồ sơ {ma_lk}: {truong} trên XML1 là {gia_tri_xml1}, tổng các dòng là "
        "{tong_cac_dong}"
    ),
    message_en=(
        "Claim {ma_lk}: {truong} in XML1 is {gia_tri_xml1}, the lines sum to "
        "{tong_cac_dong}"
    ),
    family=Family.CONSISTENCY,
    severity=Severity.REVIEW,
    basis=(
        cite("qd4750_2023/xml1.totals"),
        cite("tt12_2026/10.1.k"),
    ),
    effective=Period(start=date(2026, 2, 10)),
    grain=Grain.CLAIM,
    table=None,
    params={"tolerance": 1},
    evidence=frozenset({Evidence.CLAIM_DATA}),
    sql="""
        with lines as (
            select ma_lk, 'XML2' as tbl, false as is_supply, thanh_tien_bv,
                   thanh_tien_bh, t_bhtt, t_bncct, t_bntt, t_nguonkhac
            from xml2
            union all
            select ma_lk, 'XML3' as tbl, coalesce(ma_vat_tu, '') <> '' as is_supply,
                   thanh_tien_bv, thanh_tien_bh, t_bhtt, t_bncct, t_bntt,
                   t_nguonkhac
            from xml3
        ),
        sums as (
            select
                ma_lk,
                sum(case when tbl = 'XML2' then coalesce(thanh_tien_bv, 0) else 0
                    end) as s_thuoc,
                sum(case when is_supply then coalesce(thanh_tien_bv, 0) else 0
                    end) as s_vtyt,
                sum(coalesce(thanh_tien_bv, 0)) as s_tongchi_bv,
                sum(coalesce(thanh_tien_bh, 0)) as s_tongchi_bh,
                sum(coalesce(t_bhtt, 0)) as s_bhtt,
                sum(coalesce(t_bncct, 0)) as s_bncct,
                sum(coalesce(t_bntt, 0)) as s_bntt,
                sum(coalesce(t_nguonkhac, 0)) as s_nguonkhac
            from lines
            group by ma_lk
        ),
        fields as (
            select * from (values
                ('T_THUOC'), ('T_VTYT'), ('T_TONGCHI_BV'), ('T_TONGCHI_BH'),
                ('T_BHTT'), ('T_BNCCT'), ('T_BNTT'), ('T_NGUONKHAC')
            ) as f(truong)
        ),
        pairs as (
            select
                h.ma_lk, f.truong,
                case f.truong
                    when 'T_THUOC' then coalesce(h.t_thuoc, 0)
                    when 'T_VTYT' then coalesce(h.t_vtyt, 0)
                    when 'T_TONGCHI_BV' then coalesce(h.t_tongchi_bv, 0)
                    when 'T_TONGCHI_BH' then coalesce(h.t_tongchi_bh, 0)
                    when 'T_BHTT' then coalesce(h.t_bhtt, 0)
                    when 'T_BNCCT' then coalesce(h.t_bncct, 0)
                    when 'T_BNTT' then coalesce(h.t_bntt, 0)
                    when 'T_NGUONKHAC' then coalesce(h.t_nguonkhac, 0)
                end as a,
                case f.truong
                    when 'T_THUOC' then s.s_thuoc
                    when 'T_VTYT' then s.s_vtyt
                    when 'T_TONGCHI_BV' then s.s_tongchi_bv
                    when 'T_TONGCHI_BH' then s.s_tongchi_bh
                    when 'T_BHTT' then s.s_bhtt
                    when 'T_BNCCT' then s.s_bncct
                    when 'T_BNTT' then s.s_bntt
                    when 'T_NGUONKHAC' then s.s_nguonkhac
                end as b
            from xml1 as h
            join sums as s on s.ma_lk = h.ma_lk
            cross join fields as f
        )
        select ma_lk, truong, a as gia_tri_xml1, b as tong_cac_dong
        from pairs
        where abs(a - b) > (select tolerance from params)
    """,
)
