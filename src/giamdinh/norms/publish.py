"""Norms published for assessment: staff minutes and expected supply quantities.

Two Arrow tables, read by the signals (impossible practitioner days, machine capacity)
and by rules that flag supplies billed far above the norm. They come from the newest
national norm of each technique. Time norms are *reference values*: the engine must
never refuse a line because its recorded time is shorter than the norm.

``norm_staff_minutes``: ``technique_code``, ``title``, ``minutes`` (per person per
service), ``persons``, ``staff_minutes`` (persons × minutes), ``norm_version``.

``norm_supply_quantities``: ``technique_code``, ``category``, ``resource_code``,
``resource_name``, ``unit``, ``quantity`` (per service), ``norm_version``.

Decimals are ``decimal128(18, 3)`` as in the claim tables.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import pyarrow as pa

from giamdinh.domain.money import quantity
from giamdinh.norms.model import ITEM_CATEGORIES, LineCategory
from giamdinh.norms.store import latest_national

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DECIMAL = pa.decimal128(18, 3)

STAFF_MINUTES_SCHEMA = pa.schema(
    [
        ("technique_code", pa.string()),
        ("title", pa.string()),
        ("minutes", DECIMAL),
        ("persons", DECIMAL),
        ("staff_minutes", DECIMAL),
        ("norm_version", pa.int32()),
    ]
)
SUPPLY_QUANTITIES_SCHEMA = pa.schema(
    [
        ("technique_code", pa.string()),
        ("category", pa.string()),
        ("resource_code", pa.string()),
        ("resource_name", pa.string()),
        ("unit", pa.string()),
        ("quantity", DECIMAL),
        ("norm_version", pa.int32()),
    ]
)


def norm_staff_minutes(session: Session) -> pa.Table:
    """Return staff minutes per technique and professional title (newest norms)."""
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
    return pa.table(rows, schema=STAFF_MINUTES_SCHEMA)


def norm_supply_quantities(session: Session) -> pa.Table:
    """Return expected drug/chemical/supply quantities per technique (newest norms)."""
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
    return pa.table(rows, schema=SUPPLY_QUANTITIES_SCHEMA)
