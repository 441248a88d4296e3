"""Inpatient bed days billed beyond the days of the stay.

Why: TT 35/2016/TT-BYT Art. 4c.1 (points a, b; as amended by TT 39/2024/TT-BYT
Art. 1.4) fixes how inpatient bed days are counted from the admission and
discharge dates; by either of its formulas a stay never has more bed days than
the calendar days from admission to discharge, both counted. CV 266/2025 of
BHXH's electronic payment-control centre (topic KT221, refusal code S.015.478)
refuses bed days counted against the rule.

Violation: the bed lines of an inpatient claim (``MA_NHOM`` 15, inpatient bed
day), counted in order of order time then line number: the quantity beyond the
calendar days from ``NGAY_VAO_NOI_TRU`` (else ``NGAY_VAO``) to ``NGAY_RA``
(+1) is not paid. The amount is the fund's share of that quantity.

Compliant: total bed days at or below the calendar days of the stay. Stays
without a discharge date are not judged.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="TH009",
    name="thematic.bed_days_over_stay",
    version=1,
    doc=__doc__,
    title="Số ngày giường điều trị nội trú vượt số ngày nằm viện",
    title_en="Inpatient bed days billed beyond the days of the stay",
    message=(
        "Ngày giường {ma_dich_vu}: lũy kế {luy_ke} ngày, vượt {so_ngay_toi_da} ngày "
        "của đợt điều trị ({ngay_vao} – {ngay_ra}); không thanh toán {vuot} ngày"
    ),
    message_en=(
        "Bed day {ma_dich_vu}: {luy_ke} days so far, above the {so_ngay_toi_da} "
        "days of the stay ({ngay_vao} – {ngay_ra}); {vuot} days not paid"
    ),
    family=Family.THEMATIC,
    severity=Severity.ADJUST,
    basis=(
        cite("tt35_2016/4c.1ab"),
        cite("cv266_2025/pl1.kt221"),
    ),
    refusal_code="S.015.478",
    topic="KT221",
    effective=Period(start=date(2026, 1, 1)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA}),
    time_condition=(
        "days of stay from admission to discharge (NGAY_VAO, NGAY_RA) bound the "
        "bed-days payable; the length of stay, not execution time"
    ),
    sql="""
        with beds as (
            select
                l.ma_lk, l.stt, l.ma_dich_vu, l.t_bhtt,
                coalesce(l.so_luong, 1) as so_luong,
                cast(coalesce(h.ngay_vao_noi_tru, h.ngay_vao) as date) as ngay_vao,
                cast(h.ngay_ra as date) as ngay_ra,
                date_diff(
                    'day',
                    cast(coalesce(h.ngay_vao_noi_tru, h.ngay_vao) as date),
                    cast(h.ngay_ra as date)
                ) + 1 as so_ngay_toi_da,
                sum(coalesce(l.so_luong, 1)) over (
                    partition by l.ma_lk
                    order by l.ngay_yl, l.stt
                    rows between unbounded preceding and current row
                ) as luy_ke
            from xml3 as l
            join xml1 as h on h.ma_lk = l.ma_lk
            where l.ma_nhom = 15
              and h.ngay_ra is not null
        )
        select
            ma_lk, stt, ma_dich_vu, so_luong, t_bhtt, ngay_vao, ngay_ra,
            so_ngay_toi_da, cast(luy_ke as double) as luy_ke,
            cast(least(so_luong, luy_ke - so_ngay_toi_da) as double) as vuot
        from beds
        where luy_ke > so_ngay_toi_da
    """,
    amount="t_bhtt * vuot / so_luong",
)
