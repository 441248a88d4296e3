"""The DuckDB backend (the default): views loaded into tables DuckDB can plan on.

The tables are in-memory temporary tables, or, for a big run, tables of a
working database file (``work_dir``), which DuckDB compresses.

NOTE: not zero-copy views. DuckDB has no statistics on an Arrow scan, so its join
orderer guessed badly on rule SQL: CT003 joined the price list to every claim of
the facility first (20 million pairs for 18 thousand lines, 155 s) instead of
joining the lines first (0.14 s on a temporary table). Loading the tables costs
one copy and gives DuckDB the row and distinct counts it plans with.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import duckdb

from giamdinh.backends.base import ValueKind, kind_of
from giamdinh.errors import BackendError

if TYPE_CHECKING:
    from pathlib import Path

    import pyarrow as pa


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class DuckDBBackend:
    """Run DuckDB SQL over registered Arrow tables.

    Args:
        con: an existing connection (e.g. the claim store's); a fresh in-memory
            one when omitted.
        threads: DuckDB worker threads; the DuckDB default when omitted.
        memory_limit: DuckDB's memory limit (e.g. ``"2GB"``); beyond it DuckDB
            spills to its temporary directory. The DuckDB default when omitted.
        work_dir: a folder for a working database file holding the tables the
            backend makes (deleted on ``close``); temporary in-memory tables
            when omitted.

    NOTE: DuckDB compresses the tables of a database file, not its in-memory
    temporary tables: the XML3 view of 10 million lines took 3.7 GB in memory and
    390 MB in a file. Over a few million lines the working set only fits a memory
    limit of a few GB in a file, and every scan of a spilled temporary table went
    back to disk (the run cost 14 times that of a tenth of the lines).
    """

    name = "duckdb"

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection | None = None,
        *,
        threads: int | None = None,
        memory_limit: str | None = None,
        work_dir: Path | None = None,
    ) -> None:
        self._own = con is None
        self.con = con if con is not None else duckdb.connect()
        self._catalog = "temp"
        self._work: Path | None = None
        self._previous = ""
        if threads is not None:
            self.con.execute(f"set threads = {int(threads)}")
        if memory_limit is not None:
            if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", memory_limit):
                msg = f"memory limit {memory_limit!r}: expected e.g. 2GB or 512MiB"
                raise BackendError(msg)
            self.con.execute(f"set memory_limit = '{memory_limit}'")
            self.con.execute("set preserve_insertion_order = false")
        self._names: list[str] = []
        self._views: list[str] = []
        if work_dir is not None:
            self._attach_work(work_dir)

    def _attach_work(self, work_dir: Path) -> None:
        self._work = work_dir / f"work-{id(self):x}.duckdb"
        self._catalog = f"giamdinh_work_{id(self):x}"
        current = self.con.execute(
            "select current_database(), current_setting('search_path')"
        ).fetchall()
        database, self._previous = str(current[0][0]), str(current[0][1] or "")
        # NOTE: the working catalogue comes first in the search path, the
        # connection's own database (the store's views) after it, so rule SQL
        # sees both by plain names.
        path = f"{self._catalog}.main,{_quote(database)}.main".replace("'", "''")
        target = str(self._work).replace("'", "''")
        try:
            self.con.execute(f"attach '{target}' as {self._catalog} (read_write)")
            self.con.execute(f"set search_path = '{path}'")
        except duckdb.Error as exc:
            msg = f"DuckDB cannot open a working file in {work_dir}: {exc}"
            raise BackendError(msg) from exc

    def _table(self, name: str, kind: str = "table") -> str:
        if self._work is None:
            return f'temp {kind} "{name}"'
        return f'{kind} {self._catalog}."{name}"'

    def _qualified(self, name: str) -> str:
        return f'{self._catalog}.main."{name}"'

    def _claim(self, name: str, kind: str) -> None:
        """Note ``name`` as a table or a view, dropping one of the other kind."""
        other = self._views if kind == "table" else self._names
        if name in other:
            dropped = "view" if kind == "table" else "table"
            self.con.execute(f"drop {dropped} {self._qualified(name)}")
            other.remove(name)
        mine = self._names if kind == "table" else self._views
        if name not in mine:
            mine.append(name)

    def register(self, name: str, table: pa.Table) -> None:
        """Load ``table`` into the table ``name`` (replacing it)."""
        self._claim(name, "table")
        source = f"_arrow_{len(self._names)}"
        self.con.register(source, table)
        try:
            self.con.execute(
                f"create or replace {self._table(name)} as select * from {source}"  # noqa: S608
            )
        finally:
            self.con.unregister(source)

    def materialise(self, name: str, sql: str) -> None:
        """Run ``sql`` into the table ``name`` (replacing it).

        Raises:
            BackendError: DuckDB rejected the query.
        """
        self._create(name, "table", sql)

    def view(self, name: str, sql: str) -> None:
        """Expose ``sql`` as the view ``name``, computed where it is read.

        Raises:
            BackendError: DuckDB rejected the query.
        """
        self._create(name, "view", sql)

    def _create(self, name: str, kind: str, sql: str) -> None:
        self._claim(name, kind)
        try:
            self.con.execute(f"create or replace {self._table(name, kind)} as {sql}")
        except duckdb.Error as exc:
            raise BackendError(f"DuckDB failed on view {name}: {exc}") from exc

    def query(self, sql: str) -> pa.Table:
        """Run ``sql`` and return Arrow.

        Raises:
            BackendError: DuckDB rejected the query; the message carries DuckDB's.
        """
        try:
            return self.con.sql(sql).to_arrow_table()
        except duckdb.Error as exc:
            raise BackendError(f"DuckDB failed: {exc}") from exc

    def kinds(self, sql: str) -> dict[str, ValueKind]:
        """Return each result column's kind: DuckDB binds ``sql`` without running it.

        Raises:
            BackendError: DuckDB rejected the query.
        """
        try:
            relation = self.con.sql(sql)
            return {
                name: kind_of(str(kind))
                for name, kind in zip(relation.columns, relation.types, strict=True)
            }
        except duckdb.Error as exc:
            raise BackendError(f"DuckDB failed: {exc}") from exc

    def write_parquet(self, sql: str, path: Path) -> int:
        """Write the result of ``sql`` to ``path`` without passing through Python.

        Raises:
            BackendError: DuckDB rejected the query or could not write.
        """
        target = str(path).replace("'", "''")
        try:
            done = self.con.execute(
                f"copy ({sql}) to '{target}' (format parquet)"
            ).fetchall()
            return int(done[0][0]) if done else 0
        except duckdb.Error as exc:
            raise BackendError(f"DuckDB failed writing {path}: {exc}") from exc

    def close(self) -> None:
        """Unregister the tables; close the connection if this backend opened it."""
        for name in self._views:
            self.con.execute(f"drop view if exists {self._qualified(name)}")
        for name in self._names:
            self.con.execute(f"drop table if exists {self._qualified(name)}")
        self._names.clear()
        self._views.clear()
        if self._work is not None:
            previous = self._previous.replace("'", "''")
            self.con.execute(f"set search_path = '{previous}'")
            self.con.execute(f"detach {self._catalog}")
            self._work.unlink(missing_ok=True)
            self._work.with_name(self._work.name + ".wal").unlink(missing_ok=True)
            self._work = None
        if self._own:
            self.con.close()
