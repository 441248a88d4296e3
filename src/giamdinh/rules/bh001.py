"""Service line outside every validity period of the patient's card.

Why: the fund pays only for care received while the health-insurance card is
valid (Law on Health Insurance 25/2008/QH12 as amended, Art. 16 on the card and
its validity), with the exception of Decree 188/2025/NĐ-CP Art. 50.4 for a card
that expires during treatment; checking it is the first automated check of the
insurer (TT 12/2026/TT-BTC Art. 10.1.a). XML1 carries the card(s) of the episode:
``MA_THE_BHYT``, ``GT_THE_TU``, ``GT_THE_DEN`` are ``;``-separated lists in the
same order, so a card changed during a stay shows as two periods (QĐ 130/4750,
XML1).

Violation: an XML3 line whose order date (``NGAY_YL``) is inside none of the
episode's card periods (``GT_THE_TU`` ≤ day ≤ ``GT_THE_DEN``, an empty end being
open), except in a treatment episode begun while a card was valid: Decree
188/2025/NĐ-CP Art. 50.4 has the fund pay an inpatient, day-care or outpatient
treatment (``MA_LOAI_KCB`` 03 and 09, 04, 02) whose card expires during it until
discharge, for at most 15 days from the day the card expired. Such an episode's
lines up to the card's end plus ``grace_days`` (15; the day after the end counts
as day 1) are covered; later lines are not. The chronic-disease outpatient
episodes and stays at a commune station (05, 08, 06) get the same grace, the text
not being explicit about them; a visit (01) and a drug pick-up by appointment
(07) are not treatment and get none. Episodes without card dates are left to
reception.

Compliant: the order date is inside one of the card periods, or within the
15 days after the card of a treatment episode admitted under it ended.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule
from giamdinh.rules.shared import card_period_sql

RULE = Rule(
    id="BH001",
    name="card.service_outside_card_validity",
    version=1,
    doc=__doc__,
    title="Dịch vụ được chỉ định ngoài thời hạn sử dụng của thẻ BHYT",
    title_en="Service ordered outside the validity of the insurance card",
    message=(
        "Dịch vụ {ma_dich_vu} chỉ định ngày {ngay_chi_dinh}, ngoài thời hạn thẻ "
        "BHYT ({the_bhyt})"
    ),
    message_en=(
        "Service {ma_dich_vu} ordered on {ngay_chi_dinh}, outside the validity of "
        "the insurance card ({the_bhyt})"
    ),
    family=Family.CARD,
    severity=Severity.REFUSE,
    basis=(
        cite("tt12_2026/10.1.a"),
        cite("nd188_2025/50.4"),
        cite("luat_bhyt/16"),
    ),
    effective=Period(start=date(2026, 2, 10)),
    grain=Grain.LINE,
    table="XML3",
    params={"grace_days": 15},
    evidence=frozenset({Evidence.CLAIM_DATA}),
    sql=card_period_sql("xml3", "coalesce(l.ma_vat_tu, l.ma_dich_vu)", "ma_dich_vu"),
)
