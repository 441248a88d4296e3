"""Money and quantities as the standard rounds them (QĐ 130/4750 conventions).

Amounts (``THANH_TIEN_*``, ``T_*``) carry 2 decimals; quantities and unit prices 3.
Rounding is half-up, as accountants and the portal do, never banker's rounding.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from giamdinh.errors import ConfigError

AMOUNT_QUANTUM = Decimal("0.01")
QUANTITY_QUANTUM = Decimal("0.001")
ZERO = Decimal(0)
_THOUSANDS = re.compile(r"\d{1,3}(\.\d{3})+(,\d{1,2})?")
_PLAIN = re.compile(r"\d+(\.\d{1,2})?")


def amount(value: Decimal | int | str) -> Decimal:
    """Round a money amount in đồng to 2 decimals, half-up."""
    return Decimal(value).quantize(AMOUNT_QUANTUM, rounding=ROUND_HALF_UP)


def quantity(value: Decimal | int | str) -> Decimal:
    """Round a quantity or unit price to 3 decimals, half-up."""
    return Decimal(value).quantize(QUANTITY_QUANTUM, rounding=ROUND_HALF_UP)


def percent_of(value: Decimal, rate: Decimal | int) -> Decimal:
    """Return ``value * rate / 100`` without rounding (rates are percentages)."""
    return value * Decimal(rate) / Decimal(100)


def format_dong(value: Decimal | int | None, *, places: int | None = None) -> str:
    """Format an amount in đồng the Vietnamese way: ``70.000``, ``3.127.883,2``.

    Thousands are grouped with ``.`` and the decimal separator is ``,`` (TCVN
    usage, as on the insurer's forms). Trailing decimal zeros are dropped unless
    ``places`` fixes them; ``None`` is the empty string. This is the only money
    formatter of the project: messages, tables and reports all call it.

    Args:
        value: the amount; ``Decimal`` or ``int`` (never a float: a float is not
            money here).
        places: round half-up to this many decimals and keep them (``0`` for
            whole đồng); by default as many as the value has, zeros dropped.
    """
    if value is None:
        return ""
    number = Decimal(value)
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        text = f"{abs(number):,.{places}f}"
    else:
        text = f"{abs(number).normalize():,f}"
    whole, _, fraction = text.partition(".")
    out = whole.replace(",", ".") + ("," + fraction if fraction else "")
    return "-" + out if number < 0 else out


def parse_dong(text: str, name: str = "số tiền") -> Decimal:
    """Read an amount in đồng typed by a person: ``70000``, ``70000.50``, ``70.000``.

    Accepted: digits with at most 2 decimals after a ``.`` (``70000.50``), or
    thousands grouped with ``.`` and at most 2 decimals after a ``,``
    (``70.000``, ``70.000,50``), the way ``format_dong`` writes them; spaces are
    ignored. Anything else (a sign, ``70,000``, ``7.0000``, a float's exponent) is
    refused rather than guessed into money. The CLI, the pages and the API all read
    amounts with this function.

    Args:
        text: what was typed.
        name: the field or option, named in the error.

    Raises:
        ConfigError: not an amount in one of these forms.
    """
    value = text.strip().replace(" ", "").replace("\u00a0", "")
    if _PLAIN.fullmatch(value):
        digits = value
    elif _THOUSANDS.fullmatch(value):
        digits = value.replace(".", "").replace(",", ".")
    else:
        msg = (
            f"{name} {text!r}: không phải số tiền (vd 70000 hoặc 70.000) / not an "
            "amount in đồng (e.g. 70000 or 70.000)"
        )
        raise ConfigError(msg)
    try:
        return Decimal(digits)
    except InvalidOperation as exc:  # pragma: no cover - the patterns exclude it
        msg = f"{name} {text!r}: không phải số tiền / not an amount"
        raise ConfigError(msg) from exc
