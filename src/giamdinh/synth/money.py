"""Money of generated lines and claims, exactly as QĐ 130/4750 computes it.

Line (XML3): ``THANH_TIEN_BV = SO_LUONG × DON_GIA_BV × TYLE_TT_DV/100`` and
``THANH_TIEN_BH = SO_LUONG × DON_GIA_BH × TYLE_TT_DV/100 × TYLE_TT_BH/100``; line
(XML2):
``THANH_TIEN_BV = SO_LUONG × DON_GIA`` and ``THANH_TIEN_BH = THANH_TIEN_BV ×
TYLE_TT_BH/100``; then ``T_BNTT = THANH_TIEN_BV − THANH_TIEN_BH``, ``T_BHTT =
THANH_TIEN_BH × MUC_HUONG/100`` and ``T_BNCCT = THANH_TIEN_BH − T_BHTT`` (no other
source: ``T_NGUONKHAC = 0``). Amounts are rounded half-up to 2 decimals, quantities and
unit prices to 3 (``giamdinh.domain.money``). XML1 totals are the sums of the lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from giamdinh.domain.money import ZERO, amount, percent_of

#: Base salary (lương cơ sở) by effective date: NĐ 73/2024 (2 340 000 đ from
#: 01/07/2024), NĐ 24/2023 (1 800 000 đ from 01/07/2023), NĐ 38/2019 (1 490 000 đ).
BASE_SALARY: tuple[tuple[date, Decimal], ...] = (
    (date(2024, 7, 1), Decimal(2_340_000)),
    (date(2023, 7, 1), Decimal(1_800_000)),
    (date(2019, 7, 1), Decimal(1_490_000)),
    (date(1900, 1, 1), Decimal(1_390_000)),
)


def base_salary(day: date) -> Decimal:
    """Return the base salary in force on ``day``."""
    for start, value in BASE_SALARY:
        if day >= start:
            return value
    return BASE_SALARY[-1][1]


@dataclass(frozen=True, slots=True)
class LineMoney:
    """The money fields of one line."""

    thanh_tien_bv: Decimal
    thanh_tien_bh: Decimal
    t_bntt: Decimal
    t_bncct: Decimal
    t_bhtt: Decimal


def service_amounts(
    *,
    quantity: Decimal,
    price_bv: Decimal,
    price_bh: Decimal,
    tyle_dv: int,
    tyle_bh: int = 100,
) -> tuple[Decimal, Decimal]:
    """Return ``(THANH_TIEN_BV, THANH_TIEN_BH)`` of an XML3 line."""
    bv = amount(percent_of(quantity * price_bv, tyle_dv))
    bh = amount(percent_of(percent_of(quantity * price_bh, tyle_dv), tyle_bh))
    return bv, bh


def drug_amounts(
    *, quantity: Decimal, price: Decimal, tyle_bh: int = 100
) -> tuple[Decimal, Decimal]:
    """Return ``(THANH_TIEN_BV, THANH_TIEN_BH)`` of an XML2 line."""
    bv = amount(quantity * price)
    bh = amount(percent_of(quantity * price, tyle_bh))
    return bv, bh


def split(thanh_tien_bv: Decimal, thanh_tien_bh: Decimal, muc_huong: int) -> LineMoney:
    """Split a line between the fund, the co-payment and the patient (§6.1, K = 0)."""
    t_bhtt = amount(percent_of(thanh_tien_bh, muc_huong))
    return LineMoney(
        thanh_tien_bv=thanh_tien_bv,
        thanh_tien_bh=thanh_tien_bh,
        t_bntt=thanh_tien_bv - thanh_tien_bh,
        t_bncct=thanh_tien_bh - t_bhtt,
        t_bhtt=t_bhtt,
    )


def text(value: Decimal) -> str:
    """Write a decimal as the XML carries it (``.``, no exponent or trailing zeros)."""
    if value == ZERO:
        return "0"
    return format(value.normalize(), "f")


__all__ = [
    "BASE_SALARY",
    "LineMoney",
    "base_salary",
    "drug_amounts",
    "service_amounts",
    "split",
    "text",
]
