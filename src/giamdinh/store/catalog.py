"""The DuckDB catalogue of a claim store: views over the committed Parquet files.

The catalogue is derived data. It is rebuilt from the manifest after every commit
into a temporary file and renamed over ``catalog.duckdb``, so a reader never sees a
half-built catalogue; ``catalog.json`` records which manifest it was built from, and
the store rebuilds a stale catalogue when it opens.

Views (DuckDB names are case-insensitive, so ``select ma_lk from xml3`` works):

- ``ledger``: one row per ingested claim version or rejected file, with
  ``superseded_by`` (the ``ingest_id`` of the next version) and ``is_current``.
- ``claims``: the current version of every accepted claim (``kind = 'claim'``;
  stand-alone check-ins, ``kind = 'checkin'``, are in the ledger only).
- ``findings``: reception and ingest findings of every batch.
- ``xml1`` … ``xml15``: rows of the current claim versions, fields as in the
  standard plus ``_ingest_id``, ``_batch_id``, ``cskcb`` and ``month``.
- ``xml1_all`` …: every version, including superseded and rejected claims.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

CATALOG_NAME = "catalog.duckdb"
CATALOG_META = "catalog.json"

_LEDGER_EMPTY = """
select
    cast(null as varchar) as ingest_id, cast(null as varchar) as batch_id,
    cast(null as timestamptz) as ingested_at, cast(null as varchar) as file_sha256,
    cast(null as varchar) as path, cast(null as integer) as hoso,
    cast(null as varchar) as ma_cskcb, cast(null as varchar) as ma_lk,
    cast(null as varchar) as kind, cast(null as varchar) as month,
    cast(null as varchar) as content_sha256,
    cast(null as integer) as version, cast(null as varchar) as supersedes,
    cast(null as varchar) as duplicate_of, cast(null as varchar) as status,
    cast(null as integer) as n_findings, cast(null as varchar) as worst_severity
limit 0
"""
_FINDINGS_EMPTY = """
select
    cast(null as varchar) as batch_id, cast(null as varchar) as ingest_id,
    cast(null as varchar) as file_sha256, cast(null as varchar) as code,
    cast(null as varchar) as severity, cast(null as varchar) as message,
    cast(null as varchar) as message_en, cast(null as varchar) as file,
    cast(null as varchar) as ma_lk, cast(null as varchar) as table_name,
    cast(null as bigint) as stt, cast(null as varchar) as field,
    cast(null as varchar) as evidence, cast(null as varchar) as ma_cskcb
limit 0
"""
_LEDGER_VIEW = """
create view ledger as
select l.*, n.ingest_id as superseded_by,
       (l.status = 'accepted' and n.ingest_id is null) as is_current
from ledger_raw as l
left join ledger_raw as n on n.supersedes = l.ingest_id
"""
_CLAIMS_VIEW = (
    "create view claims as select * from ledger where is_current and kind = 'claim'"
)


def _literal(text: str) -> str:
    """Quote a string as a SQL literal (the store's own file paths only)."""
    return "'" + text.replace("'", "''") + "'"


def _file_list(paths: Sequence[Path]) -> str:
    return "[" + ", ".join(_literal(str(p)) for p in paths) + "]"


def _view_sql(name: str, paths: Sequence[Path], *, hive: bool) -> str:
    options = ", union_by_name = true"
    if hive:
        options += (
            ", hive_partitioning = true,"
            " hive_types = {'cskcb': VARCHAR, 'month': VARCHAR}"
        )
    # NOTE: view bodies must be SQL text; the only interpolated values are the
    # store's own file paths, quoted by _literal.
    return (
        f"create view {name} as "  # noqa: S608
        f"select * from read_parquet({_file_list(paths)}{options})"
    )


def build_catalog(
    root: Path,
    *,
    seq: int,
    files: Mapping[str, Sequence[str]],
) -> None:
    """Build ``catalog.duckdb`` for the manifest ``seq`` and swap it in atomically.

    Args:
        root: store directory.
        seq: manifest sequence number the catalogue describes.
        files: manifest file lists: ``"ledger"``, ``"findings"`` and
            ``"data/<TABLE>"`` → paths relative to ``root``.
    """
    target = root / CATALOG_NAME
    tmp = root / f".{CATALOG_NAME}.tmp"
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    base = root.resolve()
    con = duckdb.connect(str(tmp))
    try:
        ledger = [base / p for p in files.get("ledger", ())]
        if ledger:
            con.execute(_view_sql("ledger_raw", ledger, hive=False))
        else:
            con.execute("create view ledger_raw as " + _LEDGER_EMPTY)
        con.execute(_LEDGER_VIEW)
        con.execute(_CLAIMS_VIEW)
        found = [base / p for p in files.get("findings", ())]
        if found:
            con.execute(_view_sql("findings", found, hive=False))
        else:
            con.execute("create view findings as " + _FINDINGS_EMPTY)
        for key in sorted(files):
            if not key.startswith("data/") or not files[key]:
                continue
            table = key.removeprefix("data/").lower()
            if not table.isidentifier():
                continue
            paths = [base / p for p in files[key]]
            con.execute(_view_sql(f"{table}_all", paths, hive=True))
            con.execute(
                f"create view {table} as select * from {table}_all "  # noqa: S608
                "where _ingest_id in (select ingest_id from ledger where is_current)"
            )
        con.execute("checkpoint")
    finally:
        con.close()
    tmp.replace(target)
    meta = root / CATALOG_META
    meta_tmp = root / f".{CATALOG_META}.tmp"
    meta_tmp.write_text(json.dumps({"seq": seq, "root": str(base)}), encoding="utf-8")
    meta_tmp.replace(meta)


def catalog_is_current(root: Path, *, seq: int) -> bool:
    """Whether ``catalog.duckdb`` was built for manifest ``seq`` at this location."""
    meta = root / CATALOG_META
    if not (root / CATALOG_NAME).exists() or not meta.exists():
        return False
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(data.get("seq") == seq and data.get("root") == str(root.resolve()))
