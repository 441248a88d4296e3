"""Practitioner without a valid practice licence on the date.

Why: only a person holding a practice certificate or licence that is in force may
practise; practising while the licence has expired, is suspended or has been
revoked is prohibited (Law on Medical Examination and Treatment 15/2023/QH15,
Art. 7, prohibited acts). The insurer checks the practitioner of every
line (TT 12/2026/TT-BTC Art. 10.1.g) against the licence registry kept by the
health authorities (``ref_licences``, exchanged between provinces).

Violation: an XML3 service line where one of ``MA_BAC_SI`` (order date),
``NGUOI_THUC_HIEN`` (execution date) or the ``MA_BS_DOC_KQ`` of its XML4 result
(result date) names a certificate known to the registry but without an ``active``
registry row on that day: expired (no row covers the day) or a ``suspended`` /
``revoked`` row covers it. The special forms of QĐ 4750 are read as in NV001
(``;`` lists, ``CCHN.C.XXXXX`` mobilised staff judged by their own certificate,
``CCHN(STAFF)`` judged by the supervising doctor's, a staff code alone in
parentheses not judged). A certificate the registry does not know at all is not
judged here (the registry may not hold other provinces' licences): NV001 checks
the staff catalogue.

Compliant: every person on the line has an ``active`` registry row valid that day.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule
from giamdinh.rules.shared import unlicensed_practitioner_sql

RULE = Rule(
    id="NV002",
    name="practitioner.licence_not_valid",
    version=1,
    doc=__doc__,
    title=(
        "Người hành nghề không có giấy phép hành nghề còn hiệu lực tại ngày thực hiện"
    ),
    title_en="Practitioner without a valid practice licence on the date",
    message=(
        "Dịch vụ {ma_dich_vu}: chứng chỉ/giấy phép {nguoi_hanh_nghe} ({vai_tro}) "
        "không còn hiệu lực ngày {ngay} (tình trạng: {tinh_trang})"
    ),
    message_en=(
        "Service {ma_dich_vu}: licence {nguoi_hanh_nghe} ({vai_tro}) is not in "
        "force on {ngay} (status: {tinh_trang})"
    ),
    family=Family.PRACTITIONER,
    severity=Severity.REFUSE,
    basis=(
        cite("luat_kbcb_2023/7"),
        cite("tt12_2026/10.1.g"),
    ),
    effective=Period(start=date(2026, 2, 10)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    sql=unlicensed_practitioner_sql(
        "XML3", "ma_dich_vu", "nguoi_hanh_nghe", roles=True
    ),
)
