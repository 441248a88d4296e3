"""The logical views rules are written against (contract 6, ``docs/engine/views.md``).

Three families of views, all plain Arrow tables registered on a backend:

* ``xml1`` … ``xml15``: the claim tables of the reader (contract 4) with the
  standard's field names lower-cased (``ma_lk``, ``stt``, ``ma_dich_vu``,
  ``don_gia_bh``, ``ngay_yl`` …) and the typed Arrow types of contract 4
  (``string``, ``int64``, ``decimal128(18, 3)``, ``date32``, ``timestamp[s]``;
  decimals are widened to ``decimal128(38, 3)``, see ``MONEY``),
  plus the provenance columns ``_file``, ``_hoso``, ``_envelope_cskcb``. A table
  that is absent, or a field that a file did not carry, is present and null, so a
  rule never fails for lack of a column.
* ``ref_*``: the reference tables of contract 5 (lower-case official columns,
  ``valid_from``/``valid_to`` inclusive, ``ma_cskcb`` for facility catalogues). The
  columns rules rely on are listed in ``REFERENCE_COLUMNS``; absent tables are empty.
* ``edit_*``: the edit tables of ``giamdinh.rules.edits``.

With an as-of date, reference and edit rows that only start after it are left out:
the rule set then sees the catalogues and edits as they could be known that day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from giamdinh.errors import ReferenceDataError
from giamdinh.rules.edits import Kind
from giamdinh.standard.spec import TABLES, FieldKind

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import date

    from giamdinh.rules.edits import EditTable

MONEY = pa.decimal128(38, 3)
"""Decimal columns (money, quantities, rates) in every view.

NOTE: 38 digits, not the 18 of the store. DuckDB keeps the width of a product of
two ``DECIMAL(18, s)`` at 18 while adding the scales, so a rule recomputing
``so_luong * don_gia_bh * tyle_tt_dv * tyle_tt_bh * muc_huong`` overflowed on a
plain 1.6 million đồng line. At 38 digits the same product keeps 23 integer
digits after five factors of scale 3. Arrow stores both widths in 16 bytes, so
widening is free; DuckDB computes in 128-bit integers (still exact).
"""
PROVENANCE: dict[str, pa.DataType] = {
    "_file": pa.string(),
    "_hoso": pa.int32(),
    "_envelope_cskcb": pa.string(),
}
_KIND_TYPES: dict[FieldKind, pa.DataType] = {
    FieldKind.STRING: pa.string(),
    FieldKind.INTEGER: pa.int64(),
    FieldKind.DECIMAL: MONEY,
    FieldKind.DATE: pa.date32(),
    FieldKind.TIMESTAMP: pa.timestamp("s"),
}
_EDIT_TYPES: dict[Kind, pa.DataType] = {
    Kind.STRING: pa.string(),
    Kind.INTEGER: pa.int64(),
    Kind.DECIMAL: MONEY,
    Kind.DATE: pa.date32(),
}

_VALID: dict[str, pa.DataType] = {"valid_from": pa.date32(), "valid_to": pa.date32()}

REFERENCE_COLUMNS: dict[str, dict[str, pa.DataType]] = {
    "ref_services": {
        "ma_cskcb": pa.string(),
        "ma_dich_vu": pa.string(),
        "ten_dich_vu": pa.string(),
        "ten_dvkt_gia": pa.string(),
        "don_gia": MONEY,
        "valid_from": pa.date32(),
        "valid_to": pa.date32(),
    },
    "ref_techniques": {
        "ma_dich_vu": pa.string(),
        "reference_minutes": pa.int64(),
        "machine_group": pa.string(),
        "valid_from": pa.date32(),
        "valid_to": pa.date32(),
    },
    # Added by the rule set (issue 6): the columns its rules read.
    "ref_departments": {"ma_cskcb": pa.string(), "ma_khoa": pa.string(), **_VALID},
    "ref_practitioners": {
        "ma_cskcb": pa.string(),
        "macchn": pa.string(),
        "phamvi_cm": pa.string(),
        "phamvi_cmbs": pa.string(),
        "dvkt_khac": pa.string(),
        **_VALID,
    },
    "ref_drugs": {
        "ma_cskcb": pa.string(),
        "ma_thuoc": pa.string(),
        "don_gia": MONEY,
        "don_gia_bh": MONEY,
        **_VALID,
    },
    "ref_supplies": {
        "ma_cskcb": pa.string(),
        "ma_vat_tu": pa.string(),
        "don_gia": MONEY,
        "don_gia_bh": MONEY,
        **_VALID,
    },
    "ref_machines": {"ma_cskcb": pa.string(), "ma_may": pa.string(), **_VALID},
    "ref_licences": {"macchn": pa.string(), "trang_thai": pa.string(), **_VALID},
    "ref_equipment_sources": {
        "ma_may": pa.string(),
        "hinh_thuc": pa.string(),
        "hd_tu": pa.date32(),
        "hd_den": pa.date32(),
        "het_vat_tu": pa.date32(),
        **_VALID,
    },
    "ref_icd10": {
        "code_nodot": pa.string(),
        "not_main": pa.bool_(),
        "gioi_tinh_only": pa.string(),
        "age_min_years": pa.int64(),
        "age_max_years": pa.int64(),
        **_VALID,
    },
    "ref_technique_indications": {
        "ma_dich_vu": pa.string(),
        "kind": pa.string(),
        "icd_from": pa.string(),
        "icd_to": pa.string(),
        "strength": pa.string(),
        **_VALID,
    },
    "ref_technique_companions": {
        "ma_dich_vu": pa.string(),
        "companion_pattern": pa.string(),
        "description": pa.string(),
        "requirement": pa.string(),
        **_VALID,
    },
}
"""Reference columns the rules use, with the type the views give them."""


def claim_schema(table: str) -> dict[str, pa.DataType]:
    """Return the view schema of a claim table: lower-case fields + provenance."""
    spec = TABLES[table]
    schema = {
        f.name.lower(): (pa.string() if f.is_list else _KIND_TYPES[f.kind])
        for f in spec.fields
    }
    schema.update(PROVENANCE)
    return schema


_SQL_TYPES: dict[pa.DataType, str] = {
    pa.string(): "VARCHAR",
    pa.int64(): "BIGINT",
    pa.int32(): "INTEGER",
    MONEY: "DECIMAL(38, 3)",
    pa.date32(): "DATE",
    pa.timestamp("s"): "TIMESTAMP",
}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def claim_view_sql(
    table: str,
    source: str,
    columns: Sequence[str],
    *,
    keep: frozenset[str] | None = None,
) -> str:
    """Return a DuckDB SELECT giving the view of ``table`` from a SQL relation.

    The same view as ``logical_views`` builds from Arrow, computed where the
    data are (e.g. the claim store's Parquet files) instead of in Python:
    lower-case standard fields typed as in ``claim_schema``, missing ones null.

    Args:
        table: the claim table (``XML3``).
        source: a relation DuckDB can read (a table or view name, or
            ``read_parquet([...])``), holding the reader's columns.
        columns: the columns ``source`` has (any case).
        keep: read only these view columns (e.g. ``referenced_columns``) of
            those ``source`` has; the other fields are left out (the engine's
            view adds them as nulls, ``conform_sql``) and so are columns outside
            the standard. Every column when ``None``, extra columns passed
            through.
    """
    schema = claim_schema(table)
    present = {c.lower(): c for c in columns}
    parts: list[str] = []
    for col, typ in schema.items():
        if col in present and (keep is None or col in keep):
            parts.append(f"cast({_quote(present[col])} as {_SQL_TYPES[typ]}) as {col}")
        elif keep is None:
            parts.append(f"cast(null as {_SQL_TYPES[typ]}) as {col}")
    if keep is None:
        parts.extend(
            f"{_quote(original)} as {_quote(lower)}"
            for lower, original in present.items()
            if lower not in schema
        )
    if not parts:  # nothing kept: one typed null keeps the SELECT valid
        col, typ = next(iter(schema.items()))
        parts.append(f"cast(null as {_SQL_TYPES[typ]}) as {col}")
    return f"select {', '.join(parts)} from {source}"  # noqa: S608


def conform_sql(table: str, source: str, columns: Sequence[str]) -> str:
    """Return a SELECT of every field of ``table`` from ``source``, nulls added.

    ``source`` holds some of the view's columns (lower case, typed as in
    ``claim_schema``, e.g. made from ``claim_view_sql`` with ``keep``); the
    fields it lacks are typed nulls, and its other columns pass through.

    NOTE: the nulls are added by a view over the stored columns rather than
    stored: in a DuckDB file forty null columns made loading XML1 twice as slow.
    """
    schema = claim_schema(table)
    have = set(columns)
    parts = [
        _quote(col) if col in have else f"cast(null as {_SQL_TYPES[typ]}) as {col}"
        for col, typ in schema.items()
    ]
    parts.extend(_quote(c) for c in columns if c not in schema)
    return f"select {', '.join(parts)} from {source}"  # noqa: S608


def claim_view_name(table: str) -> str:
    """Return the view name of a claim table (``XML3`` → ``xml3``)."""
    return table.lower()


def _conform(
    table: pa.Table | None, schema: Mapping[str, pa.DataType], *, name: str
) -> pa.Table:
    """Return ``table`` with at least ``schema``'s columns, typed as in ``schema``.

    Extra columns are kept (as they are); missing ones are added as nulls.
    """
    if table is None:
        return pa.table({c: pa.array([], type=t) for c, t in schema.items()})
    columns: dict[str, pa.ChunkedArray | pa.Array] = {}
    for col_name in table.column_names:
        columns[col_name.lower()] = table.column(col_name)
    for col, typ in schema.items():
        if col not in columns:
            columns[col] = pa.nulls(table.num_rows, type=typ)
        elif columns[col].type != typ:
            try:
                columns[col] = columns[col].cast(typ)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                msg = (
                    f"{name}: column {col} has type {columns[col].type}, expected "
                    f"{typ} (docs/engine/views.md)"
                )
                raise ReferenceDataError(msg) from exc
    return pa.table(columns)


def _known_by(table: pa.Table, as_of: date | None) -> pa.Table:
    """Drop rows whose ``valid_from`` is after ``as_of``."""
    if as_of is None or "valid_from" not in table.column_names:
        return table
    start = table.column("valid_from")
    keep = pc.or_kleene(pc.is_null(start), pc.less_equal(start, pa.scalar(as_of)))
    return table.filter(keep)


def edit_table_arrow(table: EditTable) -> pa.Table:
    """Return an edit table as Arrow (one column per spec column)."""
    columns = table.spec.all_columns
    return pa.table(
        {
            col: pa.array([row[col] for row in table.rows], type=_EDIT_TYPES[kind])
            for col, kind in columns.items()
        }
    )


def logical_views(
    *,
    claims: Mapping[str, pa.Table],
    reference: Mapping[str, pa.Table],
    edits: Mapping[str, EditTable],
    as_of: date | None = None,
) -> dict[str, pa.Table]:
    """Build every logical view from the claim, reference and edit tables.

    Args:
        claims: claim tables of contract 4 keyed ``XML1``…; upper-case columns.
        reference: reference tables of contract 5 keyed ``ref_*``.
        edits: the loaded edit tables.
        as_of: leave out reference and edit rows starting after this day.

    Returns:
        View name → Arrow table, ready to register on a backend.

    Raises:
        ReferenceDataError: a table has a column of an impossible type.
    """
    views: dict[str, pa.Table] = {}
    for name in TABLES:
        source = claims.get(name)
        views[claim_view_name(name)] = _conform(
            source, claim_schema(name), name=f"claim table {name}"
        )
    for name, table in reference.items():
        schema = REFERENCE_COLUMNS.get(name, {})
        views[name] = _known_by(_conform(table, schema, name=name), as_of)
    for name, schema in REFERENCE_COLUMNS.items():
        if name not in views:
            views[name] = _conform(None, schema, name=name)
    for table in edits.values():
        views[table.spec.view] = _known_by(edit_table_arrow(table), as_of)
    return views
