"""Norms published for assessment: staff minutes and expected supply quantities.

Two Arrow tables with the reference-table contract of
:mod:`giamdinh.refdata.norm_tables` (``ref_norm_staff_minutes``,
``ref_norm_supply_quantities``: per technique ``XX.YYYY``, with ``valid_from`` /
``valid_to``), read by the signals (impossible practitioner days) and by rules that
flag supplies billed far above the norm. They come from the newest national norm of
each technique. Time norms are *reference values*: the engine must never refuse a
line because its recorded time is shorter than the norm.

``valid_from`` is the day the national norm was consolidated (Vietnam time) unless
an effective day is given (e.g. the day the Circular takes effect); ``valid_to`` is
open. Decimals are ``decimal128(18, 3)`` as in the claim tables.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pyarrow as pa

from giamdinh.domain.money import quantity
from giamdinh.norms.model import ITEM_CATEGORIES, LineCategory
from giamdinh.norms.store import latest_national
from giamdinh.refdata.norm_tables import (
    NORM_SCHEMAS,
    NORM_STAFF_MINUTES,
    NORM_SUPPLY_QUANTITIES,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from giamdinh.db.models.norms import NationalNorm

STAFF_MINUTES_SCHEMA = NORM_SCHEMAS[NORM_STAFF_MINUTES]
SUPPLY_QUANTITIES_SCHEMA = NORM_SCHEMAS[NORM_SUPPLY_QUANTITIES]
_VIETNAM = timedelta(hours=7)


def norm_valid_from(norm: NationalNorm, effective_from: date | None = None) -> date:
    """Return the first day a published norm applies (Vietnam calendar day)."""
    if effective_from is not None:
        return effective_from
    at = norm.created_at
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return (at.astimezone(UTC) + _VIETNAM).date()


def norm_staff_minutes(
    session: Session, *, effective_from: date | None = None
) -> pa.Table:
    """Return staff minutes per technique and professional title (newest norms).

    Args:
        session: an open session of the operational store.
        effective_from: the day the norms apply from; default: each norm's
            consolidation day.
    """
    rows: dict[str, list[object]] = {name: [] for name in STAFF_MINUTES_SCHEMA.names}
    for norm in latest_national(session):
        for line in norm.lines:
            if line.category != LineCategory.LABOUR.value or line.value is None:
                continue
            persons = line.persons or Decimal(1)
            rows["technique_code"].append(norm.technique_code)
            rows["title"].append(line.resource_code)
            rows["minutes"].append(quantity(line.value / persons))
            rows["persons"].append(quantity(persons))
            rows["staff_minutes"].append(quantity(line.value))
            rows["norm_version"].append(norm.version)
            rows["status"].append(norm.status)
            rows["valid_from"].append(norm_valid_from(norm, effective_from))
            rows["valid_to"].append(None)
    return pa.table(rows, schema=STAFF_MINUTES_SCHEMA)


def norm_supply_quantities(
    session: Session, *, effective_from: date | None = None
) -> pa.Table:
    """Return expected drug/chemical/supply quantities per technique (newest norms).

    Args:
        session: an open session of the operational store.
        effective_from: the day the norms apply from; default: each norm's
            consolidation day.
    """
    rows: dict[str, list[object]] = {
        name: [] for name in SUPPLY_QUANTITIES_SCHEMA.names
    }
    item_categories = {c.value for c in ITEM_CATEGORIES}
    for norm in latest_national(session):
        for line in norm.lines:
            if line.category not in item_categories or line.value is None:
                continue
            rows["technique_code"].append(norm.technique_code)
            rows["category"].append(line.category)
            rows["resource_code"].append(line.resource_code)
            rows["resource_name"].append(line.resource_name)
            rows["unit"].append(line.unit)
            rows["quantity"].append(quantity(line.value))
            rows["norm_version"].append(norm.version)
            rows["status"].append(norm.status)
            rows["valid_from"].append(norm_valid_from(norm, effective_from))
            rows["valid_to"].append(None)
    return pa.table(rows, schema=SUPPLY_QUANTITIES_SCHEMA)
