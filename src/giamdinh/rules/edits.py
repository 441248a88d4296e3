"""Edit tables: the thematic rules as rows, with effective dates and a rationale each.

Like the CMS NCCI/MUE files, every row carries its validity (``valid_from``,
``valid_to``, both inclusive, empty = open), the reason it exists (``rationale``)
and where it comes from (``source``). The tables live as CSV files in
``giamdinh/rules/tables/``; the engine exposes each as a logical view
``edit_<name>`` (``docs/engine/views.md``).

Loading checks every row: required cells present, dates valid, codes well
formed, and no two rows with the same key overlapping in time. A broken table is a
``RuleDefinitionError`` naming file, line and column.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from giamdinh.domain import Period
from giamdinh.errors import RuleDefinitionError

if TYPE_CHECKING:
    from collections.abc import Mapping

TABLES_DIR = Path(__file__).parent / "tables"
COMMON = ("rationale", "source", "valid_from", "valid_to")

EditValue = str | int | Decimal | date | None


class Kind(StrEnum):
    """Type of one edit-table column (also its Arrow/SQL type)."""

    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"


@dataclass(frozen=True, slots=True, kw_only=True)
class EditTableSpec:
    """The shape of one edit table.

    Attributes:
        name: table name; the logical view is ``edit_<name>``.
        title: what the table says, in English.
        columns: own columns and their kinds (the common columns
            ``rationale, source, valid_from, valid_to`` are added).
        key: columns identifying one edit; its periods must not overlap.
        required: own columns that must be non-empty.
        enums: allowed values of enumerated columns.
    """

    name: str
    title: str
    columns: Mapping[str, Kind]
    key: tuple[str, ...]
    required: tuple[str, ...]
    enums: Mapping[str, frozenset[str]]

    @property
    def view(self) -> str:
        """Return the name of the logical view."""
        return f"edit_{self.name}"

    @property
    def all_columns(self) -> dict[str, Kind]:
        """Return own plus common columns with their kinds."""
        cols = dict(self.columns)
        cols.update(
            rationale=Kind.STRING,
            source=Kind.STRING,
            valid_from=Kind.DATE,
            valid_to=Kind.DATE,
        )
        return cols


_S, _I, _D = Kind.STRING, Kind.INTEGER, Kind.DECIMAL

SPECS: dict[str, EditTableSpec] = {
    s.name: s
    for s in (
        EditTableSpec(
            name="code_pairs",
            title="Code pairs: B not paid when A is paid (unbundling, NCCI-like)",
            columns={
                "code_a": _S,
                "code_b": _S,
                "scope": _S,
                "topic": _S,
                "refusal_code": _S,
            },
            key=("code_a", "code_b"),
            required=("code_a", "code_b", "scope"),
            enums={"scope": frozenset({"same_day", "same_claim"})},
        ),
        EditTableSpec(
            name="price_variants",
            title="Price variants: a variant needs evidence, else the other price",
            columns={
                "code_billed": _S,
                "code_payable": _S,
                "requires_group": _S,
                "topic": _S,
                "refusal_code": _S,
            },
            key=("code_billed",),
            required=("code_billed", "code_payable", "requires_group"),
            enums={},
        ),
        EditTableSpec(
            name="code_groups",
            title="Code groups: named sets of drugs/services matched by a LIKE pattern",
            columns={"group_name": _S, "source_table": _S, "field": _S, "pattern": _S},
            key=("group_name", "source_table", "field", "pattern"),
            required=("group_name", "source_table", "field", "pattern"),
            enums={
                "source_table": frozenset({"XML2", "XML3"}),
                "field": frozenset(
                    {"ma_thuoc", "ten_thuoc", "ma_dich_vu", "ten_dich_vu", "ma_vat_tu"}
                ),
            },
        ),
        EditTableSpec(
            name="frequency_limits",
            title="Frequency limits per day or per claim (MUE-like)",
            columns={
                "code": _S,
                "per": _S,
                "max_quantity": _D,
                "requires_group": _S,
                "topic": _S,
                "refusal_code": _S,
            },
            key=("code", "per"),
            required=("code", "per", "max_quantity"),
            enums={"per": frozenset({"day", "claim"})},
        ),
        EditTableSpec(
            name="interval_limits",
            title="Minimum hours between two paid lines of one service",
            columns={
                "code": _S,
                "min_hours": _I,
                "topic": _S,
                "refusal_code": _S,
            },
            key=("code",),
            required=("code", "min_hours"),
            enums={},
        ),
        EditTableSpec(
            name="required_companions",
            title="Services paid only with a companion service of a group",
            columns={
                "code": _S,
                "requires_group": _S,
                "topic": _S,
                "refusal_code": _S,
            },
            key=("code", "requires_group"),
            required=("code", "requires_group"),
            enums={},
        ),
        EditTableSpec(
            name="indications",
            title="Indications and contraindications: ICD-10 prefixes per service",
            columns={
                "code": _S,
                "kind": _S,
                "icd_prefix": _S,
                "topic": _S,
                "refusal_code": _S,
            },
            key=("code", "kind", "icd_prefix"),
            required=("code", "kind", "icd_prefix"),
            enums={"kind": frozenset({"indication", "contraindication"})},
        ),
        EditTableSpec(
            name="included_items",
            title="Items included in another service's price (not paid separately)",
            columns={
                "code": _S,
                "included_table": _S,
                "included_code": _S,
                "topic": _S,
                "refusal_code": _S,
            },
            key=("code", "included_table", "included_code"),
            required=("code", "included_table", "included_code"),
            enums={"included_table": frozenset({"XML2", "XML3"})},
        ),
    )
}


@dataclass(frozen=True, slots=True, kw_only=True)
class EditTable:
    """One loaded edit table: its spec and typed rows."""

    spec: EditTableSpec
    rows: tuple[dict[str, EditValue], ...]
    digest: str

    def as_of(self, day: date) -> tuple[dict[str, EditValue], ...]:
        """Return the rows in force on ``day``."""
        return tuple(r for r in self.rows if _period(r).contains(day))


def _period(row: Mapping[str, EditValue]) -> Period:
    start = row["valid_from"]
    end = row["valid_to"]
    assert isinstance(start, date)  # noqa: S101 - guaranteed by _parse_row
    return Period(start=start, end=end if isinstance(end, date) else None)


def _parse_cell(text: str, kind: Kind, where: str) -> EditValue:
    value = text.strip()
    if not value:
        return None
    try:
        if kind is Kind.INTEGER:
            return int(value)
        if kind is Kind.DECIMAL:
            return Decimal(value)
        if kind is Kind.DATE:
            return datetime.strptime(value, "%Y-%m-%d").date()  # noqa: DTZ007
    except (ValueError, InvalidOperation) as exc:
        msg = f"{where}: {value!r} is not a valid {kind.value} (dates are YYYY-MM-DD)"
        raise RuleDefinitionError(msg) from exc
    return value


def _parse_row(
    spec: EditTableSpec, raw: Mapping[str, str | None], where: str
) -> dict[str, EditValue]:
    row: dict[str, EditValue] = {}
    for col, kind in spec.all_columns.items():
        row[col] = _parse_cell(raw.get(col) or "", kind, f"{where}, column {col}")
    for col in (*spec.required, "valid_from", "rationale", "source"):
        if row[col] is None:
            raise RuleDefinitionError(f"{where}: column {col} is empty")
    for col, allowed in spec.enums.items():
        if row[col] not in allowed:
            msg = f"{where}: {col}={row[col]!r} is not one of {sorted(allowed)}"
            raise RuleDefinitionError(msg)
    try:
        _period(row)
    except ValueError as exc:
        raise RuleDefinitionError(f"{where}: {exc}") from exc
    return row


def load_table(spec: EditTableSpec, path: Path) -> EditTable:
    """Load and check one edit table from its CSV file.

    Raises:
        RuleDefinitionError: the file is missing, a column is missing, a cell is
            invalid, or two rows with the same key overlap in time.
    """
    if not path.is_file():
        raise RuleDefinitionError(f"edit table {spec.name}: file {path} is missing")
    data = path.read_bytes()
    reader = csv.DictReader(data.decode("utf-8-sig").splitlines())
    missing = set(spec.all_columns) - set(reader.fieldnames or ())
    if missing:
        msg = f"edit table {path.name}: columns {sorted(missing)} are missing"
        raise RuleDefinitionError(msg)
    rows = tuple(
        _parse_row(spec, raw, f"edit table {path.name}, line {n}")
        for n, raw in enumerate(reader, start=2)
    )
    _check_overlaps(spec, rows, path.name)
    return EditTable(spec=spec, rows=rows, digest=hashlib.sha256(data).hexdigest())


def _check_overlaps(
    spec: EditTableSpec, rows: tuple[dict[str, EditValue], ...], file: str
) -> None:
    seen: dict[tuple[EditValue, ...], list[Period]] = {}
    for row in rows:
        key = tuple(row[c] for c in spec.key)
        period = _period(row)
        for other in seen.get(key, []):
            if period.overlaps(other):
                which = dict(zip(spec.key, key, strict=True))
                msg = (
                    f"edit table {file}: rows for {which}"
                    f" overlap ({other.start}..{other.end} and "
                    f"{period.start}..{period.end}); end the old row the day before"
                )
                raise RuleDefinitionError(msg)
        seen.setdefault(key, []).append(period)


def load_tables(folder: Path = TABLES_DIR) -> dict[str, EditTable]:
    """Load every edit table of ``SPECS`` from ``folder`` (``<name>.csv``)."""
    return {
        name: load_table(spec, folder / f"{name}.csv") for name, spec in SPECS.items()
    }
