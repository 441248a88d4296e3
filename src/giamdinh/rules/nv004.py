"""Drug prescriber not in the facility's staff catalogue on the order date.

Why: a drug is paid only when prescribed by a practitioner of the facility
declared in its staff catalogue (form 02/DM, ``ref_practitioners``) for that day
(TT 12/2026/TT-BTC Art. 10.1.g). For a drug ordered by an upper-level doctor in a
tele-consultation QĐ 4750 writes that doctor's certificate; mobilised staff are
written ``CCHN.C.XXXXX`` and looked up in the M02 of facility ``XXXXX``.

Violation: an XML2 line whose ``MA_BAC_SI`` (each ``;``-separated person,
special forms read as in NV001) has no M02 row of the facility valid on the order
date. The rule only runs for facilities that sent an M02 (and, for mobilised
staff, when the mobilising facility's M02 is loaded).

Compliant: every prescriber is declared and valid that day.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule
from giamdinh.rules.shared import unlisted_practitioner_sql

RULE = Rule(
    id="NV004",
    name="practitioner.prescriber_not_in_staff_catalogue",
    version=1,
    doc=__doc__,
    title="Người kê đơn thuốc không có trong danh mục nhân lực tại ngày chỉ định",
    title_en="Drug prescriber not in the facility's staff catalogue on the date",
    message=(
        "Thuốc {ma_thuoc}: người kê đơn {nguoi_ke_don} không có trong danh mục "
        "nhân lực (Mẫu 02/DM) của cơ sở {ma_cskcb} có hiệu lực ngày {ngay}"
    ),
    message_en=(
        "Drug {ma_thuoc}: prescriber {nguoi_ke_don} is not in the staff catalogue "
        "(form 02/DM) of facility {ma_cskcb} valid on {ngay}"
    ),
    family=Family.PRACTITIONER,
    severity=Severity.REFUSE,
    basis=(
        cite("tt12_2026/10.1.g"),
        cite("qd4750_2023/xml2.staff"),
    ),
    effective=Period(start=date(2026, 2, 10)),
    grain=Grain.LINE,
    table="XML2",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    sql=unlisted_practitioner_sql("XML2", "ma_thuoc", "nguoi_ke_don", roles=False),
)
