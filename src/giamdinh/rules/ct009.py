"""Supply billed above its approved price in the supply catalogue (paid at that price).

Why: a medical supply is paid at the price the facility bought it for under its
accepted tender, never above the price declared in its supply catalogue (form
04/DM, ``DON_GIA_BH``) for the days the row is valid; for supplies with a BHYT
ceiling the payable price is the purchase price but at most the ceiling
(QĐ 130 as amended by QĐ 4750, XML3 field ``DON_GIA_BH``). The insurer checks the
amount (TT 12/2026/TT-BTC Art. 10.1.d) and Decree 90/2026 Art. 88 sanctions
billing at a wrong price.

Violation: an XML3 supply line (``MA_VAT_TU`` not empty) whose ``DON_GIA_BH`` is
above the highest ``DON_GIA_BH`` (else ``DON_GIA``) of the supply's M04 rows of
the facility valid on the order date, by more than ``tolerance`` đồng. The line
is paid at the catalogue price: the amount is the fund share of the excess,
``T_BHTT × (1 − approved / billed)``.

Compliant: the billed price is at or below the catalogue price. A supply absent
from the catalogue is CT004's business.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

_V1 = Rule(
    id="CT009",
    name="price.supply_above_catalogue_price",
    version=1,
    doc=__doc__,
    title="Đơn giá vật tư y tế cao hơn giá trong danh mục (Mẫu 04/DM)",
    title_en="Supply billed above its catalogue price (form 04/DM)",
    message=(
        "Vật tư {ma_vat_tu}: đơn giá BHYT {don_gia_bh} cao hơn giá trong danh mục "
        "{gia_phe_duyet}; thanh toán theo giá danh mục"
    ),
    message_en=(
        "Supply {ma_vat_tu}: unit price {don_gia_bh} is above the catalogue price "
        "{gia_phe_duyet}; paid at the catalogue price"
    ),
    family=Family.PRICE,
    severity=Severity.ADJUST,
    basis=(
        cite("tt12_2026/10.1.d"),
        cite("qd4750_2023/xml3.price"),
    ),
    effective=Period(start=date(2026, 2, 10), end=date(2026, 5, 14)),
    grain=Grain.LINE,
    table="XML3",
    params={"tolerance": 0},
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    sql="""
        with priced as (
            select
                l.ma_lk, l.stt, l.ma_vat_tu, l.don_gia_bh, l.t_bhtt,
                max(coalesce(s.don_gia_bh, s.don_gia)) as gia_phe_duyet
            from xml3 as l
            join xml1 as h on h.ma_lk = l.ma_lk
            join ref_supplies as s
              on s.ma_cskcb = h.ma_cskcb
             and s.ma_vat_tu = l.ma_vat_tu
             and cast(l.ngay_yl as date) >= s.valid_from
             and (s.valid_to is null or cast(l.ngay_yl as date) <= s.valid_to)
            where coalesce(l.ma_vat_tu, '') <> ''
              and l.don_gia_bh > 0
            group by l.ma_lk, l.stt, l.ma_vat_tu, l.don_gia_bh, l.t_bhtt
        )
        select ma_lk, stt, ma_vat_tu, don_gia_bh, gia_phe_duyet, t_bhtt
        from priced
        where gia_phe_duyet is not null
          and don_gia_bh > gia_phe_duyet + (select tolerance from params)
    """,
    amount="coalesce(t_bhtt, 0) * (don_gia_bh - gia_phe_duyet) / don_gia_bh",
)

RULES = (
    _V1,
    dataclasses.replace(
        _V1,
        version=2,
        basis=(
            cite("tt12_2026/10.1.d"),
            cite("qd4750_2023/xml3.price"),
            cite("nd90_2026/88"),
        ),
        effective=Period(start=date(2026, 5, 15)),
    ),
)
