"""Money and quantities as the standard rounds them (QĐ 130/4750 conventions).

Amounts (``THANH_TIEN_*``, ``T_*``) carry 2 decimals; quantities and unit prices 3.
Rounding is half-up, as accountants and the portal do, never banker's rounding.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

AMOUNT_QUANTUM = Decimal("0.01")
QUANTITY_QUANTUM = Decimal("0.001")
ZERO = Decimal(0)


def amount(value: Decimal | int | str) -> Decimal:
    """Round a money amount in đồng to 2 decimals, half-up."""
    return Decimal(value).quantize(AMOUNT_QUANTUM, rounding=ROUND_HALF_UP)


def quantity(value: Decimal | int | str) -> Decimal:
    """Round a quantity or unit price to 3 decimals, half-up."""
    return Decimal(value).quantize(QUANTITY_QUANTUM, rounding=ROUND_HALF_UP)


def percent_of(value: Decimal, rate: Decimal | int) -> Decimal:
    """Return ``value * rate / 100`` without rounding (rates are percentages)."""
    return value * Decimal(rate) / Decimal(100)
