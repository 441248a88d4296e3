"""Service not in the facility's accepted catalogue on the order date.

Why: the fund pays only services the facility has declared in its technical-service
catalogue (form 05/DM) and that BHXH accepted, for the days the catalogue row is
valid (TT 12/2026/TT-BTC Art. 10.1.c: payment scope per the accepted catalogues).

Violation: an XML3 service line whose ``MA_DICH_VU`` (without the ``_GT``/``_TB`` and
``.K.`` suffixes) has no row in the facility's ``ref_services`` valid on the day of
``NGAY_YL``. The rule only runs for facilities that have a catalogue at all, so a
missing M05 file gives "not checked", not a flood of refusals.

Compliant: the code is in the catalogue with ``valid_from <= NGAY_YL <= valid_to``.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="CT002",
    name="catalogue.service_not_in_catalogue",
    version=1,
    doc=__doc__,
    title="Dịch vụ không có trong danh mục được phê duyệt tại ngày chỉ định",
    title_en="Service not in the facility's catalogue on the order date",
    message=(
        "Dịch vụ {ma_dich_vu} không có trong danh mục DVKT (Mẫu 05/DM) của cơ sở "
        "{ma_cskcb} có hiệu lực ngày {ngay_chi_dinh}"
    ),
    message_en=(
        "Service {ma_dich_vu} is not in the service catalogue (form 05/DM) of "
        "facility {ma_cskcb} valid on {ngay_chi_dinh}"
    ),
    family=Family.PAYMENT_SCOPE,
    severity=Severity.REFUSE,
    basis=(cite("tt12_2026/10.1.c"),),
    effective=Period(start=date(2026, 2, 10)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    sql="""
        select
            l.ma_lk, l.stt, l.ma_dich_vu, s.ma_cskcb, s.ngay as ngay_chi_dinh
        from xml3 as l
        join service_lines as s on s.ma_lk = l.ma_lk and s.stt = l.stt
        left join ref_services as p
          on p.ma_cskcb = s.ma_cskcb
         and p.ma_dich_vu = s.ma_gia
         and s.ngay >= p.valid_from
         and (p.valid_to is null or s.ngay <= p.valid_to)
        where coalesce(l.ma_dich_vu, '') <> ''
          and coalesce(l.ma_vat_tu, '') = ''
          and p.ma_dich_vu is null
          and s.ma_cskcb in (select c.ma_cskcb from ref_services as c)
    """,
)
