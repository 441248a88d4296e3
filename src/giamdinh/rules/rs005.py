"""Order, execution and result times out of order.

Why: QĐ 4750/QĐ-BYT defines ``NGAY_YL`` (order), ``NGAY_TH_YL`` (execution) and
``NGAY_KQ`` (result) of a service line; a service is executed after it is ordered
and its result comes after it is executed (the portal's validation rules and the
hospital-side checkers test the same order). Times out of order are an internal
inconsistency of the claim (TT 12/2026/TT-BTC Art. 10.1.k). This rule compares
the order of the times only, never a duration: it raises no question about how
long a service took.

Violation: an XML3 line with ``NGAY_TH_YL`` before ``NGAY_YL``, or ``NGAY_KQ``
before ``NGAY_TH_YL`` (each when present).

Compliant: ``NGAY_YL ≤ NGAY_TH_YL ≤ NGAY_KQ``.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

_V1 = Rule(
    id="RS005",
    name="consistency.times_out_of_order",
    version=1,
    doc=__doc__,
    title="Thời điểm y lệnh, thực hiện, trả kết quả không theo trình tự",
    title_en="Order, execution and result times out of order",
    message=(
        "Dịch vụ {ma_dich_vu}: y lệnh {ngay_yl}, thực hiện {ngay_th_yl}, kết quả "
        "{ngay_kq} không theo trình tự y lệnh ≤ thực hiện ≤ kết quả"
    ),
    message_en=(
        "Service {ma_dich_vu}: ordered {ngay_yl}, executed {ngay_th_yl}, result "
        "{ngay_kq} are not in the order order ≤ execution ≤ result"
    ),
    family=Family.CONSISTENCY,
    severity=Severity.REVIEW,
    basis=(cite("qd4750_2023/xml3.times"),),
    effective=Period(start=date(2024, 7, 1), end=date(2026, 2, 9)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA}),
    max_severity=Severity.REVIEW,
    sql="""
        select l.ma_lk, l.stt, l.ma_dich_vu, l.ngay_yl, l.ngay_th_yl, l.ngay_kq
        from xml3 as l
        where l.ngay_th_yl < l.ngay_yl
           or l.ngay_kq < l.ngay_th_yl
    """,
)

RULES = (
    _V1,
    dataclasses.replace(
        _V1,
        version=2,
        basis=(
            cite("qd4750_2023/xml3.times"),
            cite("tt12_2026/10.1.k"),
        ),
        effective=Period(start=date(2026, 2, 10)),
    ),
)
