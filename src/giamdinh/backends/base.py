"""What the engine needs from a query backend: register Arrow tables, run SQL."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pathlib import Path

    import pyarrow as pa


class ValueKind(StrEnum):
    """What a result column holds, as far as findings' evidence cares."""

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    FLOAT = "float"
    DATE = "date"
    TIMESTAMP = "timestamp"
    BOOLEAN = "boolean"
    OTHER = "other"


def kind_of(type_name: str) -> ValueKind:
    """Return the kind of a SQL type name of DuckDB or Spark (any case).

    ``VARCHAR``/``string`` → text, ``BIGINT``/``long``/``int`` → integer,
    ``DECIMAL(38,3)``/``decimal(38,3)`` → decimal, ``DOUBLE``/``double`` → float,
    ``DATE`` → date, ``TIMESTAMP``/``timestamp_ntz`` → timestamp, ``BOOLEAN`` →
    boolean; anything else (lists, structs) → other.
    """
    name = type_name.strip().lower().split("(", 1)[0]
    for kind, names in _KIND_NAMES.items():
        if name in names:
            return kind
    return ValueKind.OTHER


_KIND_NAMES: dict[ValueKind, frozenset[str]] = {
    ValueKind.TEXT: frozenset({"varchar", "string", "text", "char"}),
    ValueKind.INTEGER: frozenset(
        {
            "bigint",
            "integer",
            "int",
            "long",
            "smallint",
            "short",
            "tinyint",
            "byte",
            "hugeint",
            "ubigint",
            "uinteger",
            "usmallint",
            "utinyint",
        }
    ),
    ValueKind.DECIMAL: frozenset({"decimal"}),
    ValueKind.FLOAT: frozenset({"double", "float", "real"}),
    ValueKind.DATE: frozenset({"date"}),
    ValueKind.TIMESTAMP: frozenset(
        {
            "timestamp",
            "timestamp_ntz",
            "timestamp_ltz",
            "timestamp with time zone",
            "datetime",
        }
    ),
    ValueKind.BOOLEAN: frozenset({"boolean", "bool"}),
}


class Backend(Protocol):
    """A SQL engine that reads Arrow tables and returns Arrow tables.

    SQL given to ``query`` is always in the DuckDB dialect; a backend with another
    dialect translates it (``sqlglot``).
    """

    name: str

    def register(self, name: str, table: pa.Table) -> None:
        """Expose ``table`` to SQL under ``name`` (replacing any previous one)."""

    def materialise(self, name: str, sql: str) -> None:
        """Compute ``sql`` (DuckDB dialect) once and expose it under ``name``."""

    def view(self, name: str, sql: str) -> None:
        """Expose ``sql`` (DuckDB dialect) under ``name``, computed where read."""

    def query(self, sql: str) -> pa.Table:
        """Run ``sql`` (DuckDB dialect) and return the result as Arrow."""

    def kinds(self, sql: str) -> dict[str, ValueKind]:
        """Return the kind of each column of ``sql``'s result, without running it."""

    def write_parquet(self, sql: str, path: Path) -> int:
        """Write the result of ``sql`` to the Parquet file ``path``; return rows."""

    def close(self) -> None:
        """Release what the backend holds (registered tables, connections)."""
