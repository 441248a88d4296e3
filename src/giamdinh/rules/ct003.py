"""Billed service name differs from the approved catalogue name (joint verification).

Why: the service catalogue (form 05/DM, ``ref_services``) fixes for each code the
approved technique name (``TEN_DICH_VU``) and the name of the price it is paid at
(``TEN_DVKT_GIA``). QĐ 130/4750 (XML3 field ``TEN_DICH_VU``) asks the facility to
write the name as approved. A different name is often a sign that the code billed
is not the technique done (a variant with a higher price), but it can also be a
harmless spelling: it calls for joint verification, not refusal
(TT 12/2026/TT-BTC Art. 10.1.c, payment scope per the accepted catalogues).

Violation: an XML3 service line whose ``TEN_DICH_VU``, compared case-insensitively
and with runs of blanks collapsed, equals neither the catalogue's ``ten_dich_vu``
nor its ``ten_dvkt_gia`` for that code at the facility on ``NGAY_YL``.

Compliant: the billed name equals one of the two approved names, or the line
carries no name (a reception check's business), or the code is not in the
catalogue (CT002's business).
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="CT003",
    name="catalogue.billed_name_differs",
    version=1,
    doc=__doc__,
    title="Tên dịch vụ thanh toán khác tên được phê duyệt",
    title_en="Billed service name differs from the approved name",
    message=(
        'Tên dịch vụ {ma_dich_vu} trên hồ sơ "{ten_thanh_toan}" khác tên phê duyệt '
        '"{ten_phe_duyet}"; cần giám định chung với cơ sở'
    ),
    message_en=(
        'Service {ma_dich_vu} is billed as "{ten_thanh_toan}", not the approved '
        'name "{ten_phe_duyet}"; joint verification needed'
    ),
    family=Family.PAYMENT_SCOPE,
    severity=Severity.REVIEW,
    basis=(
        cite("tt12_2026/10.1.c"),
        cite("qd4750_2023/xml3.name"),
    ),
    effective=Period(start=date(2026, 2, 10)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    sql=r"""
        with billed as (
            select
                l.ma_lk, l.stt, l.ma_dich_vu, l.ten_dich_vu, s.ma_cskcb, s.ngay,
                s.ma_gia
            from xml3 as l
            join service_lines as s on s.ma_lk = l.ma_lk and s.stt = l.stt
            where coalesce(l.ma_vat_tu, '') = ''
              and coalesce(trim(l.ten_dich_vu), '') <> ''
        ),
        billed_names as (
            select ten, lower(trim(regexp_replace(ten, '\s+', ' ', 'g'))) as billed
            from (select distinct ten_dich_vu as ten from billed) as d
        ),
        approved as (
            select
                ma_cskcb, ma_dich_vu, valid_from, valid_to, ten_dich_vu,
                lower(trim(regexp_replace(ten_dich_vu, '\s+', ' ', 'g'))) as name_a,
                lower(trim(regexp_replace(ten_dvkt_gia, '\s+', ' ', 'g')))
                    as name_b
            from ref_services
            where coalesce(ten_dich_vu, ten_dvkt_gia) is not null
        )
        select
            l.ma_lk, l.stt, l.ma_dich_vu, l.ten_dich_vu as ten_thanh_toan,
            p.ten_dich_vu as ten_phe_duyet
        from billed as l
        join billed_names as n on n.ten = l.ten_dich_vu
        join approved as p
          on p.ma_cskcb = l.ma_cskcb
         and p.ma_dich_vu = l.ma_gia
         and l.ngay >= p.valid_from
         and (p.valid_to is null or l.ngay <= p.valid_to)
        where n.billed is distinct from p.name_a
          and n.billed is distinct from p.name_b
    """,
)
