"""Practitioner on a line is not in the facility's staff catalogue on the date.

Why: the fund pays a service only when the people who ordered it, performed it and
read its result practise at the facility: they must be declared in its staff
catalogue (form 02/DM, ``ref_practitioners``) for the day they acted
(TT 12/2026/TT-BTC Art. 10.1.g: scope of practice and working time of the
practitioner; Art. 7–8: the facility sends and keeps its catalogues current).

Violation: an XML3 service line where one of ``MA_BAC_SI`` (order date),
``NGUOI_THUC_HIEN`` (execution date) or the ``MA_BS_DOC_KQ`` of its XML4 result
(result date) names a practice certificate with no M02 row of the facility valid
that day. The standard's special forms (QĐ 4750, XML3) are read as the standard
says: several people separated by ``;``; a mobilised person ``CCHN.C.XXXXX`` is
looked up in the M02 of the mobilising facility ``XXXXX`` (and not judged when
that catalogue is not loaded); a supervised unlicensed doctor
``CCHN(STAFF_CODE)`` is judged by the supervising doctor's certificate; a staff
code alone in parentheses (commune station without a licensed doctor) is not
judged here. The rule only runs for facilities that sent an M02.

Compliant: every person on the line has an M02 row valid on the day they acted.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule
from giamdinh.rules.shared import unlisted_practitioner_sql

RULE = Rule(
    id="NV001",
    name="practitioner.not_in_staff_catalogue",
    version=1,
    doc=__doc__,
    title="Người hành nghề không có trong danh mục nhân lực tại ngày thực hiện",
    title_en="Practitioner not in the facility's staff catalogue on the date",
    message=(
        "Dịch vụ {ma_dich_vu}: {nguoi_hanh_nghe} ({vai_tro}) không có trong danh "
        "mục nhân lực (Mẫu 02/DM) của cơ sở {ma_cskcb} có hiệu lực ngày {ngay}"
    ),
    message_en=(
        "Service {ma_dich_vu}: {nguoi_hanh_nghe} ({vai_tro}) is not in the staff "
        "catalogue (form 02/DM) of facility {ma_cskcb} valid on {ngay}"
    ),
    family=Family.PRACTITIONER,
    severity=Severity.REFUSE,
    basis=(
        cite("tt12_2026/10.1.g"),
        cite("qd4750_2023/xml3.staff"),
    ),
    effective=Period(start=date(2026, 2, 10)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    sql=unlisted_practitioner_sql("XML3", "ma_dich_vu", "nguoi_hanh_nghe", roles=True),
)
