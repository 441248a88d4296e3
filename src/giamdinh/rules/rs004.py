"""Service ordered outside the episode's stay.

Why: a claim (``MA_LK``) covers one episode, from ``NGAY_VAO`` to ``NGAY_RA``
(QĐ 4750/QĐ-BYT, XML1 and XML3 field definitions); a service ordered before the
patient came or after discharge does not belong to the episode as coded. It is an
order of dates, not a duration: the cause may be a wrong date or a service of
another visit, so it goes to joint verification.

Violation: an XML3 line whose order ``NGAY_YL`` or execution ``NGAY_TH_YL`` is
before ``NGAY_VAO`` or after ``NGAY_RA`` (when present) of its claim, beyond
``tolerance_minutes``. The result time ``NGAY_KQ`` may follow the discharge (a
histology result, for instance) and is not judged here.

Compliant: ``NGAY_VAO ≤ NGAY_YL ≤ NGAY_TH_YL ≤ NGAY_RA``.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

_V1 = Rule(
    id="RS004",
    name="consistency.order_outside_stay",
    version=1,
    doc=__doc__,
    title="Y lệnh ngoài thời gian của đợt khám, điều trị",
    title_en="Service ordered outside the episode's stay",
    message=(
        "Dịch vụ {ma_dich_vu} có y lệnh {ngay_yl}, thực hiện {ngay_th_yl} ngoài đợt "
        "điều trị ({ngay_vao} – {ngay_ra}); cần giám định chung với cơ sở"
    ),
    message_en=(
        "Service {ma_dich_vu} ordered at {ngay_yl}, executed at {ngay_th_yl}, "
        "outside the stay ({ngay_vao} – {ngay_ra}); joint verification is needed"
    ),
    family=Family.CONSISTENCY,
    severity=Severity.REVIEW,
    basis=(cite("qd4750_2023/xml1.xml3.dates"),),
    effective=Period(start=date(2024, 7, 1), end=date(2026, 2, 9)),
    grain=Grain.LINE,
    table="XML3",
    params={"tolerance_minutes": 0},
    evidence=frozenset({Evidence.CLAIM_DATA}),
    max_severity=Severity.REVIEW,
    sql="""
        select
            l.ma_lk, l.stt, l.ma_dich_vu, l.ngay_yl, l.ngay_th_yl, h.ngay_vao,
            h.ngay_ra
        from xml3 as l
        join xml1 as h on h.ma_lk = l.ma_lk
        where date_diff('minute', l.ngay_yl, h.ngay_vao)
                  > (select tolerance_minutes from params)
           or date_diff('minute', h.ngay_ra, l.ngay_yl)
                  > (select tolerance_minutes from params)
           or date_diff('minute', l.ngay_th_yl, h.ngay_vao)
                  > (select tolerance_minutes from params)
           or date_diff('minute', h.ngay_ra, l.ngay_th_yl)
                  > (select tolerance_minutes from params)
    """,
)

RULES = (
    _V1,
    dataclasses.replace(
        _V1,
        version=2,
        basis=(
            cite("qd4750_2023/xml1.xml3.dates"),
            cite("tt12_2026/10.1.k"),
        ),
        effective=Period(start=date(2026, 2, 10)),
    ),
)
