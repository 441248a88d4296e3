"""Claim views built by DuckDB from Parquet give the same result as from Arrow.

``giamdinh assess`` reads the store's Parquet files in DuckDB
(``claim_view_sql``) and writes line decisions from DuckDB; ``check`` builds the
views from the reader's Arrow tables. Both must decide every line the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from giamdinh.backends.duck import DuckDBBackend
from giamdinh.engine.run import LINE_ORDER, assess
from giamdinh.engine.sql import referenced_columns
from giamdinh.engine.views import (
    claim_schema,
    claim_view_sql,
    conform_sql,
    logical_views,
)
from giamdinh.errors import BackendError
from giamdinh.rules.registry import load_rule_set
from giamdinh.services.assessment import run_assessment

if TYPE_CHECKING:
    from pathlib import Path

    Facility = tuple[dict[str, pa.Table], dict[str, pa.Table]]


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def _parquet(facility: Facility, folder: Path) -> dict[str, Path]:
    claims, _ = facility
    paths: dict[str, Path] = {}
    for name, table in claims.items():
        paths[name] = folder / f"{name}.parquet"
        pq.write_table(table, paths[name])
    return paths


def test_claim_view_sql_types_every_standard_field() -> None:
    backend = DuckDBBackend()
    try:
        backend.con.execute(
            "create table src as select 'A' as MA_LK, '3' as STT, "
            "'18.0001.0001' as MA_DICH_VU, 'x' as EXTRA"
        )
        backend.materialise(
            "xml3", claim_view_sql("XML3", "src", ["MA_LK", "STT", "MA_DICH_VU"])
        )
        described = {
            row[0]: row[1] for row in backend.con.execute("describe xml3").fetchall()
        }
        row = backend.con.execute("select ma_lk, stt, don_gia_bh from xml3").fetchall()
    finally:
        backend.close()
    assert set(claim_schema("XML3")) <= set(described)
    assert described["stt"] == "BIGINT"
    assert described["don_gia_bh"] == "DECIMAL(38,3)"
    assert described["ngay_yl"] == "TIMESTAMP"
    assert "extra" not in described  # not in the columns given
    assert row == [("A", 3, None)]


def test_keep_reads_only_the_columns_given() -> None:
    sql = claim_view_sql(
        "XML3",
        "src",
        ["MA_LK", "MA_DICH_VU", "TEN_DICH_VU", "EXTRA"],
        keep=frozenset({"ma_lk", "ma_dich_vu"}),
    )
    assert '"MA_DICH_VU"' in sql
    assert '"TEN_DICH_VU"' not in sql
    assert '"EXTRA"' not in sql


@pytest.mark.parametrize("in_file", [False, True], ids=["in-memory", "work-file"])
def test_parquet_relations_decide_like_arrow(
    facility: Facility, tmp_path: Path, in_file: bool
) -> None:
    rule_set = load_rule_set()
    expected = run_assessment(*facility, rule_set=rule_set)
    assert expected.findings.num_rows > 0
    paths = _parquet(facility, tmp_path)
    keep = referenced_columns(rule_set.rules)
    relations = {
        name.lower(): claim_view_sql(
            name, f"read_parquet('{path}')", pq.read_schema(path).names, keep=keep
        )
        for name, path in paths.items()
    }
    views = logical_views(claims={}, reference=facility[1], edits=rule_set.tables)
    work = tmp_path / "work"
    work.mkdir()
    backend = DuckDBBackend(memory_limit="1GB", work_dir=work if in_file else None)
    try:
        result = assess(
            backend, views, rule_set, relations=relations, fetch_lines=False
        )
        written = backend.write_parquet(
            f"select * from _line_decisions {LINE_ORDER}",  # noqa: S608
            tmp_path / "lines.parquet",
        )
    finally:
        backend.close()
    assert result.lines.num_rows == 0
    assert _rows(result.findings) == _rows(expected.findings)
    assert _rows(result.claims) == _rows(expected.claims)
    lines = pq.read_table(tmp_path / "lines.parquet")
    assert written == expected.lines.num_rows
    assert _rows(lines.cast(expected.lines.schema)) == _rows(expected.lines)


def test_work_file_holds_the_tables_and_goes_on_close(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("create view outside as select 7 as x")
    backend = DuckDBBackend(con, work_dir=tmp_path)
    backend.register("ref", pa.table({"x": [1, 2]}))
    backend.materialise("doubled", "select x * 2 as y from ref")
    files = list(tmp_path.glob("*.duckdb"))
    temp_tables = con.execute(
        "select count(*) from duckdb_tables() where temporary"
    ).fetchall()
    seen = backend.query("select sum(y) as s from doubled join outside on true")
    backend.close()
    assert len(files) == 1
    assert temp_tables == [(0,)]  # in the file, not in memory
    assert seen.column("s").to_pylist() == [6]
    assert not list(tmp_path.iterdir())  # file (and its log) removed
    # the caller's connection is as it was: its own views, no work catalogue
    assert con.execute("select x from outside").fetchall() == [(7,)]
    rows = con.execute("select database_name from duckdb_databases()").fetchall()
    names = {r[0] for r in rows}
    assert not any(n.startswith("giamdinh_work") for n in names)
    con.close()


def test_work_file_in_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="working file"):
        DuckDBBackend(work_dir=tmp_path / "absent")


def test_conform_adds_the_fields_left_out_as_typed_nulls() -> None:
    backend = DuckDBBackend()
    try:
        backend.materialise(
            "_data_xml3",
            claim_view_sql(
                "XML3",
                "(select 'A' as MA_LK, '3' as STT, 'x' as TEN_DICH_VU)",
                ["MA_LK", "STT", "TEN_DICH_VU"],
                keep=frozenset({"ma_lk", "stt"}),
            ),
        )
        stored = backend.query("select * from _data_xml3").schema.names
        backend.view("xml3", conform_sql("XML3", "_data_xml3", stored))
        described = {
            row[0]: row[1] for row in backend.con.execute("describe xml3").fetchall()
        }
        row = backend.con.execute("select ma_lk, stt, ten_dich_vu from xml3").fetchall()
    finally:
        backend.close()
    assert stored == ["ma_lk", "stt"]  # only what is kept is stored
    assert set(claim_schema("XML3")) <= set(described)
    assert described["don_gia_bh"] == "DECIMAL(38,3)"
    assert row == [("A", 3, None)]


def test_a_name_can_change_from_table_to_view_and_back(tmp_path: Path) -> None:
    for work in (None, tmp_path):
        backend = DuckDBBackend(work_dir=work)
        try:
            backend.register("t", pa.table({"x": [1]}))
            backend.view("t", "select 2 as x")
            as_view = backend.query("select x from t").column("x").to_pylist()
            backend.materialise("t", "select 3 as x")
            as_table = backend.query("select x from t").column("x").to_pylist()
        finally:
            backend.close()
        assert (as_view, as_table) == ([2], [3])
