"""Service billed more often than its per-day or per-claim limit.

Why: payment conditions and procedure guidance cap how often some services are
paid; CV 266/2025 of BHXH's electronic payment-control centre lists them with
their refusal codes, e.g. AFB smear more than twice a day (topic KT184, S.005.650;
QĐ 3126/QĐ-BYT 23/05/2018 on tuberculosis) and fetal-heart/contraction monitoring
more than once per treatment day in labour (KT193, S.005.657), caesarean wound
dressing from the fourth time in the stay (KT105, S.005.433; TT 35/2016/TT-BYT
Art. 4d.4.d as amended by TT 39/2024/TT-BYT). The limits are rows
of the edit table ``frequency_limits`` (code or code prefix, ``per`` day or claim,
``max_quantity``; like the CMS MUE), each with its dates, reason and refusal code.
A row with ``requires_group`` applies only to claims with a line of that group.

Violation: the XML3 lines of one code in one claim (and one day for ``per = day``),
counted in order of order time then line number: the quantity beyond
``max_quantity`` is not paid. The amount is the fund's share of that quantity.

Compliant: the total quantity at or below the limit.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="TH005",
    name="thematic.frequency_over_limit",
    version=1,
    doc=__doc__,
    title="Dịch vụ vượt số lần thanh toán tối đa trong ngày hoặc trong đợt điều trị",
    title_en="Service billed above its per-day or per-claim limit",
    message=(
        "Dịch vụ {ma_dich_vu}: lũy kế {luy_ke} lần, vượt mức tối đa {toi_da} lần/"
        "{theo_vi}; không thanh toán {vuot} lần vượt theo chuyên đề {chuyen_de} "
        "(mã lý do {ma_ly_do})"
    ),
    message_en=(
        "Service {ma_dich_vu}: {luy_ke} so far, above the limit of {toi_da} per "
        "{theo}; {vuot} not paid, per topic {chuyen_de} (reason code {ma_ly_do})"
    ),
    family=Family.THEMATIC,
    severity=Severity.ADJUST,
    basis=(
        cite("cv266_2025/pl1.kt105_kt184_kt193"),
        cite("qd3126_2018"),
        cite("tt35_2016/4d.4d"),
    ),
    refusal_code="S.005.650",
    effective=Period(start=date(2026, 1, 1)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.EDIT_TABLE}),
    sql="""
        with group_claims as (
            select distinct ma_lk, group_name
            from code_group_members
            where tbl = 'XML3'
        ),
        limited as (
            select
                l.ma_lk, l.stt, l.ma_dich_vu, l.ngay_yl, l.t_bhtt,
                coalesce(l.so_luong, 1) as so_luong,
                f.code, f.per as theo, f.max_quantity as toi_da,
                f.topic as chuyen_de, f.refusal_code as ma_ly_do,
                case when f.per = 'day' then cast(l.ngay_yl as date) end as ngay
            from xml3 as l
            join edit_frequency_limits as f
              on left(l.ma_dich_vu, length(f.code)) = f.code
             and cast(l.ngay_yl as date) >= f.valid_from
             and (f.valid_to is null or cast(l.ngay_yl as date) <= f.valid_to)
            left join group_claims as gc
              on gc.ma_lk = l.ma_lk and gc.group_name = f.requires_group
            where f.requires_group is null or gc.ma_lk is not null
        ),
        counted as (
            select
                *,
                sum(so_luong) over (
                    partition by ma_lk, code, theo, ngay
                    order by ngay_yl, stt
                    rows between unbounded preceding and current row
                ) as luy_ke
            from limited
        )
        select
            ma_lk, stt, ma_dich_vu, theo,
            case theo when 'day' then 'ngày' else 'đợt điều trị' end as theo_vi,
            cast(toi_da as double) as toi_da, chuyen_de, ma_ly_do,
            cast(luy_ke as double) as luy_ke, so_luong, t_bhtt,
            cast(least(so_luong, luy_ke - toi_da) as double) as vuot
        from counted
        where luy_ke > toi_da
    """,
    amount="t_bhtt * vuot / so_luong",
)
