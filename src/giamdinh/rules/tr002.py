"""Same patient billed the same service on the same day at two facilities.

Why: a patient rarely needs the same technical service on the same day at two
facilities; it can be a referral with a repeated test, or a claim for a service
not provided. Only the insurer sees claims of several facilities together, so
this is a lead for joint verification with both facilities, not a refusal
(TT 12/2026/TT-BTC Art. 10.1.k, Art. 11 active assessment).

Violation: XML3 service lines of two claims of different facilities
(``MA_CSKCB``) with the same patient (``MA_THE_BHYT``, else ``SO_CCCD``), the same
``MA_DICH_VU`` and the same order day. Both lines are flagged. Examination and
bed lines (groups 13 to 16) are left out: a referral legitimately bills both.

Compliant: one facility, or different days.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="TR002",
    name="duplicate.same_day_two_facilities",
    version=1,
    doc=__doc__,
    title="Cùng người bệnh, cùng dịch vụ, cùng ngày tại hai cơ sở",
    title_en="Same patient, same service, same day at two facilities",
    message=(
        "Dịch vụ {ma_dich_vu} ngày {ngay} tại {ma_cskcb} trùng với hồ sơ "
        "{ma_lk_khac} tại {ma_cskcb_khac} của cùng người bệnh; cần giám định chung"
    ),
    message_en=(
        "Service {ma_dich_vu} on {ngay} at {ma_cskcb} repeats claim {ma_lk_khac} at "
        "{ma_cskcb_khac} for the same patient; joint verification is needed"
    ),
    family=Family.CONSISTENCY,
    severity=Severity.REVIEW,
    basis=(cite("tt12_2026/10.1.k+11"),),
    effective=Period(start=date(2026, 2, 10)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA}),
    sql="""
        with services as (
            select
                l.ma_lk, l.stt, l.ma_dich_vu, h.ma_cskcb,
                cast(l.ngay_yl as date) as ngay,
                coalesce(
                    nullif(trim(h.ma_the_bhyt), ''), nullif(trim(h.so_cccd), '')
                ) as nguoi_benh
            from xml3 as l
            join xml1 as h on h.ma_lk = l.ma_lk
            where coalesce(l.ma_vat_tu, '') = ''
              and coalesce(l.ma_dich_vu, '') <> ''
              and (l.ma_nhom is null or l.ma_nhom not between 13 and 16)
        )
        select
            a.ma_lk, a.stt, a.ma_dich_vu, a.ma_cskcb, a.ngay,
            min(b.ma_lk) as ma_lk_khac, min(b.ma_cskcb) as ma_cskcb_khac
        from services as a
        join services as b
          on b.nguoi_benh = a.nguoi_benh
         and b.ma_dich_vu = a.ma_dich_vu
         and b.ngay = a.ngay
         and b.ma_cskcb <> a.ma_cskcb
        where a.nguoi_benh is not null
        group by a.ma_lk, a.stt, a.ma_dich_vu, a.ma_cskcb, a.ngay
    """,
)
