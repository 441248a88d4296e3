"""What the engine needs from a query backend: register Arrow tables, run SQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pathlib import Path

    import pyarrow as pa


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

    def write_parquet(self, sql: str, path: Path) -> int:
        """Write the result of ``sql`` to the Parquet file ``path``; return rows."""

    def close(self) -> None:
        """Release what the backend holds (registered tables, connections)."""
