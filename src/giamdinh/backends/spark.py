"""The Spark backend: the same DuckDB-dialect SQL, translated by sqlglot.

Arrow tables become temporary views. Spark returns timestamps with a time zone;
naive claim timestamps are read in the session time zone, which the caller sets to
UTC (``spark.sql.session.timeZone``) so that clock times are kept as written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa
import sqlglot

from giamdinh.errors import BackendError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def to_spark_sql(sql: str) -> str:
    """Translate DuckDB-dialect SQL to Spark SQL.

    Raises:
        BackendError: sqlglot cannot parse or translate the query.
    """
    try:
        return str(sqlglot.transpile(sql, read="duckdb", write="spark")[0])
    except sqlglot.errors.SqlglotError as exc:
        raise BackendError(f"cannot translate SQL to Spark: {exc}") from exc


def _strip_tz(table: pa.Table) -> pa.Table:
    """Turn Spark's UTC timestamps back into the naive timestamps of the contract."""
    columns = []
    for col in table.columns:
        if pa.types.is_timestamp(col.type) and col.type.tz is not None:
            col = col.cast(pa.timestamp(col.type.unit))  # noqa: PLW2901
        columns.append(col)
    return pa.table(columns, names=table.column_names)


class SparkBackend:
    """Run the engine's SQL on a Spark session (local mode in tests).

    Args:
        session: the Spark session to use.
    """

    name = "spark"

    def __init__(self, session: SparkSession) -> None:
        self.session = session
        self._names: list[str] = []

    def register(self, name: str, table: pa.Table) -> None:
        """Expose ``table`` to Spark SQL as a temporary view ``name``."""
        frame: Any = self.session.createDataFrame(table)
        frame.createOrReplaceTempView(name)
        self._names.append(name)

    def query(self, sql: str) -> pa.Table:
        """Translate ``sql`` and run it on Spark.

        Raises:
            BackendError: translation or execution failed.
        """
        spark_sql = to_spark_sql(sql)
        try:
            result = self.session.sql(spark_sql).toArrow()
        except Exception as exc:
            raise BackendError(f"Spark failed: {exc}\nSQL: {spark_sql}") from exc
        return _strip_tz(result)

    def close(self) -> None:
        """Drop the temporary views this backend created."""
        for name in self._names:
            self.session.catalog.dropTempView(name)
        self._names.clear()
