"""Service line: fund share above the standard's formula (paid at the formula).

Why: QĐ 130 as amended by QĐ 4750 (appendix, XML3) fixes how a line's amounts are
computed: ``THANH_TIEN_BH = SO_LUONG × DON_GIA_BH × TYLE_TT_DV/100 × TYLE_TT_BH/100``
and, without money from other sources, the fund's share ``T_BHTT = THANH_TIEN_BH ×
MUC_HUONG/100``. TT 12/2026/TT-BTC Art. 10.1.d and k have the insurer check the
amount and the consistency of the figures: the fund pays what the formula gives,
never more.

Violation: an XML3 line without other-source money (``T_NGUONKHAC`` empty or 0)
whose ``T_BHTT`` exceeds the formula by more than ``tolerance`` đồng (rounding).
The amount is the excess.

Compliant: ``T_BHTT`` at or below the formula (a lower share is the facility's
loss, not the fund's), or a line with other-source money (its split follows
other rules). The product is computed in ``DECIMAL(38, 6)``: five ``DECIMAL(18, 3)``
factors overflow 18 digits.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="CT006",
    name="price.service_fund_share_above_formula",
    version=1,
    doc=__doc__,
    title="Số tiền quỹ BHYT thanh toán của dòng dịch vụ vượt công thức",
    title_en="Service line: fund share above the formula",
    message=(
        "Dòng {ma_dich_vu}: T_BHTT {t_bhtt} lớn hơn công thức {t_bhtt_tinh} "
        "(SO_LUONG × DON_GIA_BH × TYLE_TT_DV × TYLE_TT_BH × MUC_HUONG); điều chỉnh "
        "về công thức"
    ),
    message_en=(
        "Line {ma_dich_vu}: T_BHTT {t_bhtt} is above the formula {t_bhtt_tinh} "
        "(quantity × price × rates × benefit level); paid at the formula"
    ),
    family=Family.PRICE,
    severity=Severity.ADJUST,
    basis=(
        cite("qd4750_2023/xml3.amounts"),
        cite("tt12_2026/10.1.dk"),
    ),
    effective=Period(start=date(2026, 2, 10)),
    grain=Grain.LINE,
    table="XML3",
    params={"tolerance": 1},
    evidence=frozenset({Evidence.CLAIM_DATA}),
    sql="""
        with computed as (
            select
                l.ma_lk, l.stt, coalesce(l.ma_vat_tu, l.ma_dich_vu) as ma_dich_vu,
                l.t_bhtt,
                round(
                    cast(l.so_luong as decimal(38, 6)) * l.don_gia_bh
                    * coalesce(l.tyle_tt_dv, 100)
                    * coalesce(l.tyle_tt_bh, 100) * l.muc_huong / 1000000,
                    2
                ) as t_bhtt_tinh
            from xml3 as l
            where coalesce(l.t_nguonkhac, 0) = 0
              and l.t_bhtt is not null
              and l.muc_huong is not null
              and l.so_luong is not null
              and l.don_gia_bh is not null
        )
        select ma_lk, stt, ma_dich_vu, t_bhtt, t_bhtt_tinh
        from computed
        where t_bhtt > t_bhtt_tinh + (select tolerance from params)
    """,
    amount="t_bhtt - t_bhtt_tinh",
)
