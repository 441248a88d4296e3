"""Published economic-technical norms as reference tables the rules can join.

The norms programme (``giamdinh.norms``) publishes, per technique ``XX.YYYY``
(``ma_ky_thuat``, the first seven characters of ``MA_DICH_VU``), two tables:

``ref_norm_staff_minutes``
    ``technique_code``, ``title`` (professional title), ``minutes`` (per person per
    service), ``persons``, ``staff_minutes`` (persons × minutes), ``norm_version``,
    ``status``, ``valid_from``, ``valid_to``. Read by the impossible-day signal.
``ref_norm_supply_quantities``
    ``technique_code``, ``category`` (drug, chemical, blood, supply,
    replacement_tool), ``resource_code``, ``resource_name``, ``unit``, ``quantity``
    (expected per service), ``norm_version``, ``status``, ``valid_from``,
    ``valid_to``. For a rule that flags supplies billed far above the norm.

Both follow the reference-table contract: ``valid_from``/``valid_to`` inclusive, an
empty end is open, so a rule joins them with
:func:`giamdinh.refdata.as_of_predicate` like any ``ref_*`` table. Quantities are
``decimal128(18, 3)``. Time values are reference values: a line is never refused
because its recorded time is shorter than the norm.

This module only defines the contract and reads published Parquet files; it does
not depend on the norms programme (``giamdinh norms publish`` writes the files).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from giamdinh.errors import ReferenceDataError

if TYPE_CHECKING:
    from pathlib import Path

QUANTITY = pa.decimal128(18, 3)

NORM_STAFF_MINUTES = "ref_norm_staff_minutes"
NORM_SUPPLY_QUANTITIES = "ref_norm_supply_quantities"

_VALIDITY = [("valid_from", pa.date32()), ("valid_to", pa.date32())]

NORM_SCHEMAS: dict[str, pa.Schema] = {
    NORM_STAFF_MINUTES: pa.schema(
        [
            ("technique_code", pa.string()),
            ("title", pa.string()),
            ("minutes", QUANTITY),
            ("persons", QUANTITY),
            ("staff_minutes", QUANTITY),
            ("norm_version", pa.int32()),
            ("status", pa.string()),
            *_VALIDITY,
        ]
    ),
    NORM_SUPPLY_QUANTITIES: pa.schema(
        [
            ("technique_code", pa.string()),
            ("category", pa.string()),
            ("resource_code", pa.string()),
            ("resource_name", pa.string()),
            ("unit", pa.string()),
            ("quantity", QUANTITY),
            ("norm_version", pa.int32()),
            ("status", pa.string()),
            *_VALIDITY,
        ]
    ),
}
"""Schema of each published norm table (column order is the published order)."""

NORM_TABLES: tuple[str, ...] = tuple(NORM_SCHEMAS)

NORM_FILES: dict[str, str] = {
    NORM_STAFF_MINUTES: "norm_staff_minutes.parquet",
    NORM_SUPPLY_QUANTITIES: "norm_supply_quantities.parquet",
}
"""File written by ``giamdinh norms publish`` for each table."""

_REQUIRED: dict[str, tuple[str, ...]] = {
    NORM_STAFF_MINUTES: ("technique_code", "title", "minutes", "valid_from"),
    NORM_SUPPLY_QUANTITIES: (
        "technique_code",
        "category",
        "resource_code",
        "quantity",
        "valid_from",
    ),
}


def empty_norm_table(name: str) -> pa.Table:
    """Return the empty table of a published norm table."""
    return NORM_SCHEMAS[name].empty_table()


def conform_norm_table(name: str, table: pa.Table, *, source: str) -> pa.Table:
    """Check a published norm table against its schema and cast it.

    Args:
        name: ``ref_norm_staff_minutes`` or ``ref_norm_supply_quantities``.
        table: the table as read or built.
        source: where it came from (a file name), for messages.

    Returns:
        The table with exactly the schema's columns, in order, cast to its types.

    Raises:
        ReferenceDataError: unknown table, a required column missing or null, or a
            column that cannot be cast (file and column named).
    """
    schema = NORM_SCHEMAS.get(name)
    if schema is None:
        known = ", ".join(NORM_TABLES)
        msg = f"{source}: {name!r} is not a norm table; known: {known}"
        raise ReferenceDataError(msg)
    missing = [c for c in _REQUIRED[name] if c not in table.column_names]
    if missing:
        msg = f"{source}: thiếu cột / missing column(s) {', '.join(missing)} of {name}"
        raise ReferenceDataError(msg)
    columns: list[pa.Array | pa.ChunkedArray] = []
    for field in schema:
        if field.name not in table.column_names:
            columns.append(pa.nulls(table.num_rows, type=field.type))
            continue
        column = table.column(field.name)
        try:
            columns.append(column.cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            msg = f"{source}, column {field.name}: cannot read as {field.type} ({exc})"
            raise ReferenceDataError(msg) from exc
        if field.name in _REQUIRED[name] and column.null_count:
            msg = (
                f"{source}, column {field.name}: {column.null_count} empty value(s); "
                "the column is required"
            )
            raise ReferenceDataError(msg)
    return pa.Table.from_arrays(columns, schema=schema)


def read_published_norms(folder: Path) -> dict[str, pa.Table]:
    """Read the Parquet files written by ``giamdinh norms publish``.

    Args:
        folder: the folder given to ``giamdinh norms publish --output``.

    Returns:
        The norm tables found, by reference-table name (a missing file is left
        out, so its checks stay "not checked").

    Raises:
        ReferenceDataError: the folder does not exist, holds none of the files, or
            a file is not a readable table of the contract.
    """
    if not folder.is_dir():
        msg = f"{folder}: published norms folder not found (giamdinh norms publish)"
        raise ReferenceDataError(msg)
    tables: dict[str, pa.Table] = {}
    for name, file in NORM_FILES.items():
        path = folder / file
        if not path.is_file():
            continue
        try:
            raw = pq.read_table(path)
        except (OSError, pa.ArrowInvalid) as exc:
            msg = f"{path.name}: not a readable Parquet file ({exc})"
            raise ReferenceDataError(msg) from exc
        tables[name] = conform_norm_table(name, raw, source=path.name)
    if not tables:
        expected = ", ".join(NORM_FILES.values())
        msg = f"{folder}: no published norm file found; expected {expected}"
        raise ReferenceDataError(msg)
    return tables
