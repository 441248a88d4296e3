"""Benefit level of a drug line above what the card and the visit type allow.

Why: the share the fund pays (``MUC_HUONG``) follows from the card's benefit level
(third character of ``MA_THE_BHYT``: 1, 2, 5 → 100 %, 3 → 95 %, 4 → 80 %) and
from how the patient came (``MA_DOITUONG_KCB``, QĐ 3276/QĐ-BYT of 17/10/2025,
Appendix 1, each code with a benefit factor: self-referral to a former central
hospital 3.1 → 40 % inpatient, 0 outpatient; 1.13, 1.14, 1.18 → 0 until
30/06/2026 and 50 % from 01/07/2026; 9 → 0), with the cases that raise it to
100 %: code 1.2 (primary care, regardless of the card), a co-payment exemption
(``NGAY_MIEN_CCT``), or a visit whose covered cost is below 15 % of the base
salary (Law on Health Insurance 25/2008/QH12 as amended, Art. 22). The insurer
checks the benefit level (TT 12/2026/TT-BTC Art. 10.1.b).

Violation: an XML2 (drug) line whose ``MUC_HUONG`` is above that maximum by more than
0.5 point. Because some raising cases (e.g. a commune health station, special
beneficiary groups) are not fully visible in the claim, the rule asks for joint
verification rather than adjusting the money itself; its evidence gives the card
level, the code, its factor and the maximum.

Compliant: ``MUC_HUONG`` at or below the maximum (a lower level is the patient's
or the facility's matter, not a charge on the fund). Withdrawn claims (code 8)
and codes without a factor (drug pick-up 7.2–7.4, 10) are not judged.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule
from giamdinh.rules.shared import benefit_level_sql

RULE = Rule(
    id="BH004",
    name="benefit.drug_level_above_card_and_visit_type",
    version=1,
    doc=__doc__,
    title="Mức hưởng của dòng thuốc cao hơn mức theo thẻ BHYT và mã đối tượng KCB",
    title_en="Drug line: benefit level above what the card and visit type allow",
    message=(
        "Dòng thuốc {ma_thuoc}: mức hưởng {muc_huong}% cao hơn mức tối đa "
        "{muc_huong_toi_da}% (thẻ mức {muc_the}%, mã đối tượng {ma_doituong_kcb}, "
        "hệ số {he_so})"
    ),
    message_en=(
        "Drug line {ma_thuoc}: benefit level {muc_huong}% is above the maximum "
        "{muc_huong_toi_da}% (card level {muc_the}%, visit code "
        "{ma_doituong_kcb}, factor {he_so})"
    ),
    family=Family.BENEFIT,
    severity=Severity.REVIEW,
    basis=(
        cite("tt12_2026/10.1.b"),
        cite("luat_bhyt/22"),
        cite("qd3276_2025/pl1"),
    ),
    effective=Period(start=date(2026, 2, 10)),
    grain=Grain.LINE,
    table="XML2",
    params={"base_salary": 2340000, "low_cost_percent": 15},
    evidence=frozenset({Evidence.CLAIM_DATA}),
    sql=benefit_level_sql("xml2", "l.ma_thuoc", "ma_thuoc"),
)
