"""The Spark backend: the same DuckDB-dialect SQL, translated by sqlglot.

Arrow tables become temporary views. Spark returns timestamps with a time zone;
naive claim timestamps are read in the session time zone, which the caller sets to
UTC (``spark.sql.session.timeZone``) so that clock times are kept as written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

from giamdinh.backends.base import ValueKind, kind_of
from giamdinh.errors import BackendError

if TYPE_CHECKING:
    from pathlib import Path

    from pyspark.sql import SparkSession


def _spark_group_concat(node: exp.GroupConcat) -> exp.Expr:
    """Rewrite one ``string_agg`` as Spark array functions with the same result.

    sqlglot writes ``LISTAGG(DISTINCT x, s) WITHIN GROUP (ORDER BY x)``, which
    Spark 4 fails to plan (ClassCastException AttributeReference → SortOrder).
    ``array_join(array_sort(collect_set(x)), s)`` gives the same text; ordering
    by other keys sorts structs ``(k…, x)`` and keeps ``x``. Like DuckDB, nulls
    are skipped and a group of nulls gives null.
    """
    inner = node.this
    keys: list[exp.Expression] = []
    if isinstance(inner, exp.Order):
        keys = [o.this for o in inner.expressions]
        inner = inner.this
    distinct = isinstance(inner, exp.Distinct)
    value = inner.expressions[0] if isinstance(inner, exp.Distinct) else inner
    sep = node.args.get("separator")
    sep_sql = sep.sql(dialect="spark") if sep is not None else "','"
    v = value.sql(dialect="spark")
    if not keys or all(k == value for k in keys):
        collect = "collect_set" if distinct else "collect_list"
        joined = f"array_join(array_sort({collect}({v})), {sep_sql})"
    else:
        fields = ", ".join(
            f"{k.sql(dialect='spark')} as _k{i}" for i, k in enumerate(keys)
        )
        rows = f"array_sort(collect_list(struct({fields}, {v} as _v)))"
        joined = f"array_join(transform({rows}, _e -> _e._v), {sep_sql})"
    text = f"case when count({v}) = 0 then null else {joined} end"
    return sqlglot.parse_one(text, read="spark")


def to_spark_sql(sql: str) -> str:
    """Translate DuckDB-dialect SQL to Spark SQL.

    Raises:
        BackendError: sqlglot cannot parse or translate the query.
    """
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
        for node in list(tree.find_all(exp.GroupConcat)):
            node.replace(_spark_group_concat(node))
        return str(tree.sql(dialect="spark"))
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

    def materialise(self, name: str, sql: str) -> None:
        """Expose the translated ``sql`` as the temporary view ``name``.

        Raises:
            BackendError: translation or planning failed.
        """
        spark_sql = to_spark_sql(sql)
        try:
            frame: Any = self.session.sql(spark_sql)
            frame.createOrReplaceTempView(name)
        except Exception as exc:
            raise BackendError(f"Spark failed on view {name}: {exc}") from exc
        self._names.append(name)

    def view(self, name: str, sql: str) -> None:
        """Expose the translated ``sql`` as the temporary view ``name``.

        A Spark view is computed where it is read, like ``materialise``.
        """
        self.materialise(name, sql)

    def kinds(self, sql: str) -> dict[str, ValueKind]:
        """Return each result column's kind from Spark's analysis (no job runs).

        Raises:
            BackendError: translation or analysis failed.
        """
        spark_sql = to_spark_sql(sql)
        try:
            frame: Any = self.session.sql(spark_sql)
            return {f.name: kind_of(f.dataType.typeName()) for f in frame.schema.fields}
        except Exception as exc:
            raise BackendError(f"Spark failed: {exc}\nSQL: {spark_sql}") from exc

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

    def write_parquet(self, sql: str, path: Path) -> int:
        """Write the result of ``sql`` to the one Parquet file ``path``.

        Raises:
            BackendError: translation or execution failed.
        """
        table = self.query(sql)
        pq.write_table(table, path)
        return int(table.num_rows)

    def close(self) -> None:
        """Drop the temporary views this backend created."""
        for name in self._names:
            self.session.catalog.dropTempView(name)
        self._names.clear()
