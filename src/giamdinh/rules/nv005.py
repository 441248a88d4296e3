"""Drug prescriber without a valid practice licence on the order date.

Why: prescribing while the licence has expired, is suspended or has been revoked
is practising without a licence (Law on Medical Examination and Treatment
15/2023/QH15, Art. 7, prohibited acts); the insurer checks the practitioner of
every line (TT 12/2026/TT-BTC Art. 10.1.g) against the licence registry
(``ref_licences``).

Violation: an XML2 line whose ``MA_BAC_SI`` (each ``;``-separated person, special
forms read as in NV001) names a certificate known to the registry without an
``active`` row on the order date. Certificates unknown to the registry are not
judged here.

Compliant: every prescriber holds an active licence that day.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule
from giamdinh.rules.shared import unlicensed_practitioner_sql

RULE = Rule(
    id="NV005",
    name="practitioner.prescriber_licence_not_valid",
    version=1,
    doc=__doc__,
    title="Người kê đơn thuốc không có giấy phép hành nghề còn hiệu lực",
    title_en="Drug prescriber without a valid practice licence on the date",
    message=(
        "Thuốc {ma_thuoc}: chứng chỉ/giấy phép của người kê đơn {nguoi_ke_don} "
        "không còn hiệu lực ngày {ngay} (tình trạng: {tinh_trang})"
    ),
    message_en=(
        "Drug {ma_thuoc}: the prescriber's licence {nguoi_ke_don} is not in force "
        "on {ngay} (status: {tinh_trang})"
    ),
    family=Family.PRACTITIONER,
    severity=Severity.REFUSE,
    basis=(
        cite("luat_kbcb_2023/7"),
        cite("tt12_2026/10.1.g"),
    ),
    effective=Period(start=date(2026, 2, 10)),
    grain=Grain.LINE,
    table="XML2",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    sql=unlicensed_practitioner_sql("XML2", "ma_thuoc", "nguoi_ke_don", roles=False),
)
