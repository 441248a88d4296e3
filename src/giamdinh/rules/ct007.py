"""Drug line: fund share above the standard's formula (paid at the formula).

Why: QĐ 130 as amended by QĐ 4750 (appendix, XML2) fixes a drug line's amounts:
``THANH_TIEN_BH = SO_LUONG × DON_GIA × TYLE_TT_BH/100`` and, without money from
other sources, ``T_BHTT = THANH_TIEN_BH × MUC_HUONG/100``. The insurer checks the
amount and the consistency of the figures (TT 12/2026/TT-BTC Art. 10.1.d, k): the
fund pays what the formula gives, never more.

Violation: an XML2 line without other-source money whose ``T_BHTT`` exceeds the
formula by more than ``tolerance`` đồng. The amount is the excess.

Compliant: ``T_BHTT`` at or below the formula, or a line with other-source money.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="CT007",
    name="price.drug_fund_share_above_formula",
    version=1,
    doc=__doc__,
    title="Số tiền quỹ BHYT thanh toán của dòng thuốc vượt công thức",
    title_en="Drug line: fund share above the formula",
    message=(
        "Dòng thuốc {ma_thuoc}: T_BHTT {t_bhtt} lớn hơn công thức {t_bhtt_tinh} "
        "(SO_LUONG × DON_GIA × TYLE_TT_BH × MUC_HUONG); điều chỉnh về công thức"
    ),
    message_en=(
        "Drug line {ma_thuoc}: T_BHTT {t_bhtt} is above the formula {t_bhtt_tinh} "
        "(quantity × price × rate × benefit level); paid at the formula"
    ),
    family=Family.PRICE,
    severity=Severity.ADJUST,
    basis=(
        cite("qd4750_2023/xml2.amounts"),
        cite("tt12_2026/10.1.dk"),
    ),
    effective=Period(start=date(2026, 2, 10)),
    grain=Grain.LINE,
    table="XML2",
    params={"tolerance": 1},
    evidence=frozenset({Evidence.CLAIM_DATA}),
    sql="""
        with computed as (
            select
                d.ma_lk, d.stt, d.ma_thuoc, d.t_bhtt,
                round(
                    cast(d.so_luong as decimal(38, 6)) * d.don_gia
                    * coalesce(d.tyle_tt_bh, 100)
                    * d.muc_huong / 10000,
                    2
                ) as t_bhtt_tinh
            from xml2 as d
            where coalesce(d.t_nguonkhac, 0) = 0
              and d.t_bhtt is not null
              and d.muc_huong is not null
              and d.so_luong is not null
              and d.don_gia is not null
        )
        select ma_lk, stt, ma_thuoc, t_bhtt, t_bhtt_tinh
        from computed
        where t_bhtt > t_bhtt_tinh + (select tolerance from params)
    """,
    amount="t_bhtt - t_bhtt_tinh",
)
