"""Department of a line not in the facility's department catalogue on the date.

Why: a facility may only provide care through the departments (khoa, phòng,
bàn khám, giường) it has declared to BHXH in its catalogue of professional units
(form 01/DM, ``ref_departments``; TT 12/2026/TT-BTC Art. 7–8, Appendix II). The
insurer checks the facility's professional scope (TT 12/2026/TT-BTC
Art. 10.1.e): a service ordered by a department that does not exist that day is
outside it.

Violation: an XML3 line whose ``MA_KHOA`` has no M01 row of the
claim's facility valid on the order date. The rule only runs for facilities that
sent an M01.

Compliant: the department is declared and valid on the order date.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

_V1 = Rule(
    id="CS001",
    name="facility.department_not_in_catalogue",
    version=1,
    doc=__doc__,
    title="Khoa chỉ định không có trong danh mục khoa phòng (Mẫu 01/DM) tại ngày",
    title_en="Department not in the facility's department catalogue on the date",
    message=(
        "Dịch vụ {ma_dich_vu} do khoa {ma_khoa} chỉ định ngày {ngay_chi_dinh}; khoa "
        "này không có trong danh mục Mẫu 01/DM của cơ sở {ma_cskcb} có hiệu lực"
    ),
    message_en=(
        "Service {ma_dich_vu} ordered on {ngay_chi_dinh} by department {ma_khoa}, "
        "which is not in the department catalogue (form 01/DM) of facility "
        "{ma_cskcb} valid that day"
    ),
    family=Family.FACILITY_SCOPE,
    severity=Severity.REFUSE,
    basis=(cite("tt12_2026/10.1.e"),),
    effective=Period(start=date(2026, 2, 10), end=date(2026, 3, 31)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    sql="""
        select
            l.ma_lk, l.stt, coalesce(l.ma_vat_tu, l.ma_dich_vu) as ma_dich_vu,
            trim(l.ma_khoa) as ma_khoa, h.ma_cskcb,
            cast(l.ngay_yl as date) as ngay_chi_dinh
        from xml3 as l
        join xml1 as h on h.ma_lk = l.ma_lk
        left join ref_departments as d
          on d.ma_cskcb = h.ma_cskcb
         and d.ma_khoa = trim(l.ma_khoa)
         and cast(l.ngay_yl as date) >= d.valid_from
         and (d.valid_to is null or cast(l.ngay_yl as date) <= d.valid_to)
        where coalesce(trim(l.ma_khoa), '') <> ''
          and d.ma_khoa is null
          and h.ma_cskcb in (select c.ma_cskcb from ref_departments as c)
    """,
)

RULES = (
    _V1,
    dataclasses.replace(
        _V1,
        version=2,
        basis=(
            cite("tt12_2026/10.1.e"),
            cite("tt12_2026/7.m01"),
        ),
        effective=Period(start=date(2026, 4, 1)),
    ),
)
