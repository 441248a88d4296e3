"""Drug billed above its tender price in the drug catalogue (paid at that price).

Why: a drug is paid at the price on the purchase invoice under the facility's
accepted tender (QĐ 130 as amended by QĐ 4750, XML2 field ``DON_GIA``), declared
in its drug catalogue (form 03/DM, ``DON_GIA_BH``/``DON_GIA``) for the days the row
is valid; a price split to a smaller unit is lower, never higher. The insurer
checks the amount (TT 12/2026/TT-BTC Art. 10.1.d) and Decree 90/2026 Art. 88
sanctions billing at a wrong price.

Violation: an XML2 line whose ``DON_GIA`` is above the highest catalogue price of
its ``MA_THUOC`` in the M03 of the claim's facility (or of the supplying facility
``MA_CSKCB_THUOC``) valid on the order date, by more than ``tolerance`` đồng. The
line is paid at the catalogue price: the amount is ``T_BHTT × (1 − approved /
billed)``.

Compliant: the billed price is at or below the catalogue price. A drug absent
from the catalogue is CT005's business.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

_V1 = Rule(
    id="CT010",
    name="price.drug_above_catalogue_price",
    version=1,
    doc=__doc__,
    title="Đơn giá thuốc cao hơn giá trúng thầu trong danh mục (Mẫu 03/DM)",
    title_en="Drug billed above its catalogue price (form 03/DM)",
    message=(
        "Thuốc {ma_thuoc}: đơn giá {don_gia} cao hơn giá trong danh mục "
        "{gia_phe_duyet}; thanh toán theo giá danh mục"
    ),
    message_en=(
        "Drug {ma_thuoc}: unit price {don_gia} is above the catalogue price "
        "{gia_phe_duyet}; paid at the catalogue price"
    ),
    family=Family.PRICE,
    severity=Severity.ADJUST,
    basis=(
        cite("tt12_2026/10.1.d"),
        cite("qd4750_2023/xml2.price"),
    ),
    effective=Period(start=date(2026, 2, 10), end=date(2026, 5, 14)),
    grain=Grain.LINE,
    table="XML2",
    params={"tolerance": 0},
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    sql="""
        with priced as (
            select
                d.ma_lk, d.stt, d.ma_thuoc, d.don_gia, d.t_bhtt,
                max(coalesce(c.don_gia_bh, c.don_gia)) as gia_phe_duyet
            from xml2 as d
            join xml1 as h on h.ma_lk = d.ma_lk
            join ref_drugs as c
              on c.ma_cskcb in (h.ma_cskcb, coalesce(d.ma_cskcb_thuoc, h.ma_cskcb))
             and c.ma_thuoc = d.ma_thuoc
             and cast(d.ngay_yl as date) >= c.valid_from
             and (c.valid_to is null or cast(d.ngay_yl as date) <= c.valid_to)
            where coalesce(d.ma_thuoc, '') <> ''
              and d.don_gia > 0
            group by d.ma_lk, d.stt, d.ma_thuoc, d.don_gia, d.t_bhtt
        )
        select ma_lk, stt, ma_thuoc, don_gia, gia_phe_duyet, t_bhtt
        from priced
        where gia_phe_duyet is not null
          and don_gia > gia_phe_duyet + (select tolerance from params)
    """,
    amount="coalesce(t_bhtt, 0) * (don_gia - gia_phe_duyet) / don_gia",
)

RULES = (
    _V1,
    dataclasses.replace(
        _V1,
        version=2,
        basis=(
            cite("tt12_2026/10.1.d"),
            cite("qd4750_2023/xml2.price"),
            cite("nd90_2026/88"),
        ),
        effective=Period(start=date(2026, 5, 15)),
    ),
)
