"""Same service billed twice on the same order in one claim.

Why: one order (``NGAY_YL``) of one service in one claim is one line with its
quantity (``SO_LUONG``); a second line with the same service code and the same
order time bills the same service again. TT 12/2026/TT-BTC Art. 10.1.k has the
insurer check the consistency of the claim's figures; Decree 90/2026 Art. 86
sanctions claiming more than was provided.

Violation: an XML3 service line (no ``MA_VAT_TU``) with the same ``MA_DICH_VU``
and the same ``NGAY_YL`` as an earlier line (lower ``STT``) of the same claim;
the first line stays payable, the copies are refused.

Compliant: the same service at different order times, or one line with a
quantity above 1.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

_V1 = Rule(
    id="TR001",
    name="duplicate.same_order_twice",
    version=1,
    doc=__doc__,
    title="Dịch vụ thanh toán trùng trên cùng một y lệnh",
    title_en="Same service billed twice on the same order",
    message=(
        "Dịch vụ {ma_dich_vu} trùng với dòng {stt_goc}: cùng mã, cùng thời điểm y "
        "lệnh {ngay_yl} trong một hồ sơ"
    ),
    message_en=(
        "Service {ma_dich_vu} duplicates line {stt_goc}: same code, same order time "
        "{ngay_yl} in one claim"
    ),
    family=Family.CONSISTENCY,
    severity=Severity.REFUSE,
    basis=(cite("tt12_2026/10.1.k"),),
    effective=Period(start=date(2026, 2, 10), end=date(2026, 5, 14)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA}),
    sql="""
        with services as (
            select
                l.ma_lk, l.stt, l.ma_dich_vu, l.ngay_yl,
                min(l.stt) over (
                    partition by l.ma_lk, l.ma_dich_vu, l.ngay_yl
                ) as stt_goc
            from xml3 as l
            where coalesce(l.ma_vat_tu, '') = ''
              and coalesce(l.ma_dich_vu, '') <> ''
              and l.ngay_yl is not null
        )
        select ma_lk, stt, ma_dich_vu, ngay_yl, stt_goc
        from services
        where stt > stt_goc
    """,
)

RULES = (
    _V1,
    dataclasses.replace(
        _V1,
        version=2,
        basis=(
            cite("tt12_2026/10.1.k"),
            cite("nd90_2026/86"),
        ),
        effective=Period(start=date(2026, 5, 15)),
    ),
)
