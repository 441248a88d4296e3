"""Service billed above the approved catalogue price.

Why: the fund pays a technical service at the price approved for the facility and
declared in its service catalogue (form 05/DM, ``ref_services.don_gia``) on the day
the service was ordered. TT 12/2026/TT-BTC Art. 10.1.d has the insurer check the
payment amount; Decree 90/2026 Art. 88 sanctions billing at a wrong or unapproved
price.

Violation: an XML3 service line whose ``DON_GIA_BH`` is above the catalogue price of
its ``MA_DICH_VU`` for the facility on ``NGAY_YL`` (beyond ``tolerance`` đồng).

Compliant: ``DON_GIA_BH`` at or below the approved price. Lines whose code is not in
the catalogue at all are CT002's business, not this rule's.

Amount: the service itself is payable at its approved price, so only the excess is
withheld: the line's fund share (``T_BHTT``) times the excess over the unit price,
``T_BHTT × (DON_GIA_BH − approved) / DON_GIA_BH`` (as CT009/CT010 for variants).
Version 1 refused the whole line.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

_V1 = Rule(
    id="CT001",
    name="catalogue.price_above_approved",
    version=1,
    doc=__doc__,
    title="Đơn giá BHYT vượt giá phê duyệt",
    title_en="Service billed above the approved price",
    message=(
        "Đơn giá BHYT {don_gia_bh} vượt giá phê duyệt {gia_phe_duyet} của dịch vụ "
        "{ma_dich_vu} tại cơ sở {ma_cskcb}; thanh toán theo giá phê duyệt, không "
        "thanh toán phần vượt"
    ),
    message_en=(
        "Unit price {don_gia_bh} is above the approved price {gia_phe_duyet} of "
        "service {ma_dich_vu} at facility {ma_cskcb}; paid at the approved price, "
        "the excess is not paid"
    ),
    family=Family.PRICE,
    severity=Severity.ADJUST,
    basis=(cite("tt12_2026/10.1.d"),),
    effective=Period(start=date(2026, 2, 10), end=date(2026, 5, 14)),
    grain=Grain.LINE,
    table="XML3",
    params={"tolerance": 0},
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    amount="coalesce(t_bhtt, 0) * (don_gia_bh - gia_phe_duyet) / don_gia_bh",
    sql="""
        select
            l.ma_lk, l.stt, l.ma_dich_vu, s.ma_cskcb, l.t_bhtt,
            l.don_gia_bh, p.don_gia as gia_phe_duyet
        from xml3 as l
        join service_lines as s on s.ma_lk = l.ma_lk and s.stt = l.stt
        join ref_services as p
          on p.ma_cskcb = s.ma_cskcb
         and p.ma_dich_vu = s.ma_gia
         and s.ngay >= p.valid_from
         and (p.valid_to is null or s.ngay <= p.valid_to)
        where coalesce(l.ma_vat_tu, '') = ''
          and l.don_gia_bh > p.don_gia + (select tolerance from params)
    """,
)

RULES = (
    _V1,
    dataclasses.replace(
        _V1,
        version=2,
        basis=(
            cite("tt12_2026/10.1.d"),
            cite("nd90_2026/88"),
        ),
        effective=Period(start=date(2026, 5, 15)),
    ),
)
