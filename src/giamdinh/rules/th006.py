"""Service repeated sooner than its minimum interval.

Why: some tests are paid at most once per interval. CV 266/2025 of BHXH's
electronic payment-control centre (topic KT93, refusal code S.005.429) refuses
procalcitonin paid against TT 39/2024/TT-BYT list 1 STT 8: at most once per 24 h
in septic shock, once per 48 h in severe infection. Two tests less than 24 h apart
exceed both. The intervals are rows of the edit table ``interval_limits`` (code or
code prefix, ``min_hours``), each with its dates, reason and refusal code.

Violation: an XML3 line of a limited code ordered less than ``min_hours`` after the
previous line of the same code in the same claim (by order time ``NGAY_YL``).
The interval counts between orders in one claim only: tests in other claims of the
patient are not seen here.

Compliant: the first line, and lines at least ``min_hours`` after the previous one.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="TH006",
    name="thematic.interval_too_short",
    version=1,
    doc=__doc__,
    title="Dịch vụ lặp lại sớm hơn khoảng cách tối thiểu được thanh toán",
    title_en="Service repeated sooner than its minimum payable interval",
    message=(
        "Dịch vụ {ma_dich_vu} chỉ định lại sau {phut_cach} phút (dòng {stt_truoc}), "
        "dưới khoảng cách tối thiểu {gio_toi_thieu} giờ theo chuyên đề {chuyen_de} "
        "(mã lý do {ma_ly_do})"
    ),
    message_en=(
        "Service {ma_dich_vu} ordered again {phut_cach} min after line {stt_truoc}, "
        "under the minimum interval of {gio_toi_thieu} h, per topic {chuyen_de} "
        "(reason code {ma_ly_do})"
    ),
    family=Family.THEMATIC,
    severity=Severity.REFUSE,
    basis=(
        cite("cv266_2025/pl1.kt93"),
        cite("tt39_2024/dm1.8"),
    ),
    refusal_code="S.005.429",
    effective=Period(start=date(2026, 1, 1)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.EDIT_TABLE}),
    time_condition=(
        "hours between two orders (NGAY_YL) of one service: a frequency limit "
        "is a payment condition of the service (CV 266/2025), not the time a "
        "service took to execute"
    ),
    sql="""
        with limited as (
            select
                l.ma_lk, l.stt, l.ma_dich_vu, l.ngay_yl, i.code,
                i.min_hours as gio_toi_thieu, i.topic as chuyen_de,
                i.refusal_code as ma_ly_do,
                lag(l.ngay_yl) over (
                    partition by l.ma_lk, i.code order by l.ngay_yl, l.stt
                ) as ngay_yl_truoc,
                lag(l.stt) over (
                    partition by l.ma_lk, i.code order by l.ngay_yl, l.stt
                ) as stt_truoc
            from xml3 as l
            join edit_interval_limits as i
              on left(l.ma_dich_vu, length(i.code)) = i.code
             and cast(l.ngay_yl as date) >= i.valid_from
             and (i.valid_to is null or cast(l.ngay_yl as date) <= i.valid_to)
        )
        select
            ma_lk, stt, ma_dich_vu, gio_toi_thieu, chuyen_de, ma_ly_do, stt_truoc,
            date_diff('minute', ngay_yl_truoc, ngay_yl) as phut_cach
        from limited
        where ngay_yl_truoc is not null
          and date_diff('minute', ngay_yl_truoc, ngay_yl) < gio_toi_thieu * 60
    """,
)
