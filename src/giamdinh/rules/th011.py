"""Second and later surgery of one operation billed at the full rate.

Why: TT 35/2016/TT-BYT Art. 4d.2 (as amended by TT 39/2024/TT-BYT Art. 1.4):
when several interventions are done in one operation, the main one is paid in
full and each further one at a reduced rate (50 %, or 80 % when done by another
team or through another incision). CV 266/2025 of BHXH's electronic
payment-control centre (topic KT08, refusal code T.008.667) adjusts the rate.
The standard carries it in ``TYLE_TT_DV``.

Violation: two or more surgery lines (``MA_NHOM`` 8) of one claim that start at
the same time (``NGAY_TH_YL``): every line but the highest-priced one billed with
``TYLE_TT_DV`` above the ``max_rate`` parameter (80, the higher reduced rate).
The amount is the fund's share above that rate.

Compliant: the further surgeries at 80 % or less, or surgeries of separate
operations.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="TH011",
    name="thematic.second_surgery_full_rate",
    version=1,
    doc=__doc__,
    title="Phẫu thuật thứ 2 trở đi trong cùng một lần phẫu thuật thanh toán sai tỷ lệ",
    title_en="Second and later surgery of one operation billed at the full rate",
    message=(
        "Phẫu thuật {ma_dich_vu} là can thiệp thứ {thu_tu} trong cùng lần phẫu thuật "
        "với {ma_dich_vu_chinh} nhưng thanh toán tỷ lệ {tyle_tt_dv}%; tối đa "
        "{ty_le_toi_da}%"
    ),
    message_en=(
        "Surgery {ma_dich_vu} is intervention {thu_tu} of the operation with "
        "{ma_dich_vu_chinh} but billed at {tyle_tt_dv}%; at most {ty_le_toi_da}%"
    ),
    family=Family.THEMATIC,
    severity=Severity.ADJUST,
    basis=(
        cite("tt35_2016/4d.2"),
        cite("cv266_2025/pl1.kt08"),
    ),
    refusal_code="T.008.667",
    topic="KT08",
    effective=Period(start=date(2026, 1, 1)),
    grain=Grain.LINE,
    table="XML3",
    params={"max_rate": 80},
    evidence=frozenset({Evidence.CLAIM_DATA}),
    sql="""
        with surgeries as (
            select
                l.ma_lk, l.stt, l.ma_dich_vu, l.t_bhtt,
                coalesce(l.tyle_tt_dv, 100) as tyle_tt_dv,
                row_number() over (
                    partition by l.ma_lk, l.ngay_th_yl
                    order by l.don_gia_bh desc, l.stt
                ) as thu_tu,
                first_value(l.ma_dich_vu) over (
                    partition by l.ma_lk, l.ngay_th_yl
                    order by l.don_gia_bh desc, l.stt
                ) as ma_dich_vu_chinh
            from xml3 as l
            where l.ma_nhom = 8
              and l.ngay_th_yl is not null
        )
        select
            ma_lk, stt, ma_dich_vu, t_bhtt, cast(tyle_tt_dv as double) as tyle_tt_dv,
            thu_tu, ma_dich_vu_chinh,
            (select max_rate from params) as ty_le_toi_da
        from surgeries
        where thu_tu > 1
          and tyle_tt_dv > (select max_rate from params)
    """,
    amount="t_bhtt * (tyle_tt_dv - ty_le_toi_da) / tyle_tt_dv",
)
