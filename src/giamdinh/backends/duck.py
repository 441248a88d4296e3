"""The DuckDB backend (the default): Arrow tables registered as zero-copy views."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from giamdinh.errors import BackendError

if TYPE_CHECKING:
    import pyarrow as pa


class DuckDBBackend:
    """Run DuckDB SQL over registered Arrow tables.

    Args:
        con: an existing connection (e.g. the claim store's); a fresh in-memory
            one when omitted.
        threads: DuckDB worker threads; the DuckDB default when omitted.
    """

    name = "duckdb"

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection | None = None,
        *,
        threads: int | None = None,
    ) -> None:
        self._own = con is None
        self.con = con if con is not None else duckdb.connect()
        if threads is not None:
            self.con.execute(f"set threads = {int(threads)}")
        self._names: list[str] = []

    def register(self, name: str, table: pa.Table) -> None:
        """Expose ``table`` to SQL under ``name``."""
        self.con.register(name, table)
        self._names.append(name)

    def query(self, sql: str) -> pa.Table:
        """Run ``sql`` and return Arrow.

        Raises:
            BackendError: DuckDB rejected the query; the message carries DuckDB's.
        """
        try:
            return self.con.sql(sql).to_arrow_table()
        except duckdb.Error as exc:
            raise BackendError(f"DuckDB failed: {exc}") from exc

    def close(self) -> None:
        """Unregister the tables; close the connection if this backend opened it."""
        for name in self._names:
            self.con.unregister(name)
        self._names.clear()
        if self._own:
            self.con.close()
