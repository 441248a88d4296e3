"""The claim store: Parquet partitions, a ledger, a manifest and atomic batches.

Layout of a store directory::

    CURRENT                       name of the live manifest (the commit point)
    manifests/manifest-000007.json  every live Parquet file, by dataset
    data/table=XML3/cskcb=79001/month=2026-03/part-<batch>-<flush>-0.parquet
    ledger/part-<batch>-<chunk>-<n>.parquet   one row per claim version / bad file
    findings/part-<batch>-<chunk>-<n>.parquet reception and ingest findings
    catalog.duckdb, catalog.json  DuckDB views over the live files (derived)
    _staging/<batch>/...          files of a batch being written
    .lock                         ``flock`` of the writer

A batch writes every new file under ``_staging/<batch>/``. Commit moves them to their
final names (unique per batch, so they never overwrite anything), writes the next
manifest and atomically replaces ``CURRENT``; only then is the batch visible. A crash
or ``kill -9`` before that rename leaves ``CURRENT`` and every live file untouched;
the next writer (or :meth:`ClaimStore.open`) deletes the staging directory, files
that no manifest lists, and manifests newer than ``CURRENT``.

Partition keys are ``cskcb`` (facility, XML1 ``MA_CSKCB``) and ``month``
(``YYYY-MM`` of XML1 ``NGAY_RA``, else ``NGAY_VAO``). They are not named
``ma_cskcb`` because DuckDB and Spark resolve column names case-insensitively and
XML1 already has a field ``MA_CSKCB``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import struct
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from giamdinh.domain import Severity
from giamdinh.errors import StoreError
from giamdinh.store.catalog import (
    CATALOG_META,
    CATALOG_NAME,
    build_catalog,
    catalog_is_current,
)
from giamdinh.store.lock import LOCK_NAME, StoreLock

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from types import TracebackType

    from giamdinh.domain import Finding

__all__ = [
    "FINDINGS_SCHEMA",
    "LEDGER_SCHEMA",
    "LOCK_NAME",
    "Batch",
    "BatchStats",
    "ClaimStatus",
    "ClaimStore",
    "SourceFile",
    "file_sha256",
]

CURRENT = "CURRENT"
MANIFESTS = "manifests"
STAGING = "_staging"
DATASETS = ("data", "ledger", "findings")
UNKNOWN = "unknown"
CLAIM = "claim"
CHECKIN = "checkin"
BARE = "bare"
_SEP = "\x1f"
_PROVENANCE = ("_file", "_hoso", "_envelope_cskcb")
#: A batch writes its data rows to Parquet once about this many bytes are pending.
FLUSH_BYTES = 64 * 1024 * 1024


class ClaimStatus(StrEnum):
    """What the ledger says about one ingested claim (``HOSO``) or file."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNCHANGED = "unchanged"
    FILE_REJECTED = "file_rejected"


LEDGER_SCHEMA = pa.schema(
    [
        ("ingest_id", pa.string()),
        ("batch_id", pa.string()),
        ("ingested_at", pa.timestamp("us", tz="UTC")),
        ("file_sha256", pa.string()),
        ("path", pa.string()),
        ("hoso", pa.int32()),
        ("ma_cskcb", pa.string()),
        ("ma_lk", pa.string()),
        ("kind", pa.string()),
        ("month", pa.string()),
        ("content_sha256", pa.string()),
        ("version", pa.int32()),
        ("supersedes", pa.string()),
        ("duplicate_of", pa.string()),
        ("status", pa.string()),
        ("n_findings", pa.int32()),
        ("worst_severity", pa.string()),
    ]
)
FINDINGS_SCHEMA = pa.schema(
    [
        ("batch_id", pa.string()),
        ("ingest_id", pa.string()),
        ("file_sha256", pa.string()),
        ("code", pa.string()),
        ("severity", pa.string()),
        ("message", pa.string()),
        ("message_en", pa.string()),
        ("file", pa.string()),
        ("ma_lk", pa.string()),
        ("table_name", pa.string()),
        ("stt", pa.int64()),
        ("field", pa.string()),
        ("evidence", pa.string()),
        ("ma_cskcb", pa.string()),
    ]
)


def file_sha256(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceFile:
    """One input file of a batch: the path written in ``_file`` and its hash."""

    path: str
    sha256: str


@dataclass(slots=True, kw_only=True)
class BatchStats:
    """What one batch did, for the ingest summary."""

    batch_id: str
    files: int = 0
    files_unchanged: int = 0
    files_rejected: int = 0
    claims_new: int = 0
    claims_superseded: int = 0
    claims_unchanged: int = 0
    claims_rejected: int = 0
    rows: Counter[str] = field(default_factory=Counter)
    findings_by_code: Counter[str] = field(default_factory=Counter)
    committed: bool = False


@dataclass(slots=True)
class _Version:
    version: int
    content: str
    ingest_id: str


_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
_PACKED = struct.Struct(">IBB")  # version, flags, length of the content bytes
_RAW_CONTENT = 1  # the content was a hex SHA-256, kept as its 32 bytes
_OWN_ID = 2  # the ingest id is this batch's, kept as its 4-byte sequence number


class _VersionIndex:
    """The latest accepted version of every claim key, packed compactly.

    The batch versions each claim against it, so it holds one entry per claim the
    store (and the batch) ever accepted. An entry is two ``bytes``: a 16-byte BLAKE2b
    digest of the key, and the version, content hash (raw bytes when it is a hex
    SHA-256) and ingest id (a sequence number when it is this batch's). About 170
    bytes per claim with the dict slot, against about 540 as tuples of strings and a
    dataclass: memory stays nearly flat as a batch grows.
    """

    __slots__ = ("_entries", "_own")

    def __init__(self, batch_id: str) -> None:
        self._entries: dict[bytes, bytes] = {}
        self._own = f"{batch_id}-"

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def _key(key: tuple[str, str, str]) -> bytes:
        text = _SEP.join(key).encode("utf-8", "surrogatepass")
        return hashlib.blake2b(text, digest_size=16).digest()

    def get(self, key: tuple[str, str, str]) -> _Version | None:
        """Return the latest version of a claim key, or None."""
        packed = self._entries.get(self._key(key))
        if packed is None:
            return None
        version, flags, length = _PACKED.unpack_from(packed)
        start = _PACKED.size
        content_bytes = packed[start : start + length]
        rest = packed[start + length :]
        content = (
            content_bytes.hex()
            if flags & _RAW_CONTENT
            else content_bytes.decode("utf-8", "surrogatepass")
        )
        ingest_id = (
            f"{self._own}{int.from_bytes(rest, 'big'):07d}"
            if flags & _OWN_ID
            else rest.decode("utf-8", "surrogatepass")
        )
        return _Version(version, content, ingest_id)

    def put(self, key: tuple[str, str, str], value: _Version) -> None:
        """Record the latest version of a claim key."""
        flags = 0
        content = value.content or ""
        if _HEX_DIGEST.fullmatch(content):
            flags |= _RAW_CONTENT
            content_bytes = bytes.fromhex(content)
        else:
            content_bytes = content.encode("utf-8", "surrogatepass")
        ingest_id = value.ingest_id or ""
        seq = ingest_id[len(self._own) :]
        if ingest_id.startswith(self._own) and seq.isdigit() and len(seq) == 7:  # noqa: PLR2004
            flags |= _OWN_ID
            id_bytes = int(seq).to_bytes(4, "big")
        else:
            id_bytes = ingest_id.encode("utf-8", "surrogatepass")
        self._entries[self._key(key)] = (
            _PACKED.pack(value.version, flags, len(content_bytes))
            + content_bytes
            + id_bytes
        )


@dataclass(slots=True)
class _Manifest:
    seq: int
    files: dict[str, list[str]]

    def all_files(self) -> set[str]:
        return {p for paths in self.files.values() for p in paths}


# ------------------------------------------------------------------- store


class ClaimStore:
    """A claim store directory (see the module docstring for the layout).

    Open it with :meth:`open`; write with :meth:`begin` (a :class:`Batch`); read
    with :meth:`connect` (DuckDB, read-only views).
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    # -- opening and recovery

    @classmethod
    def open(cls, root: Path, *, create: bool = True) -> ClaimStore:
        """Open (and with ``create``, make) a store; recover an interrupted batch.

        Args:
            root: the store directory.
            create: make the directory if it does not exist.

        Returns:
            The store.

        Raises:
            StoreError: the directory does not exist (and ``create`` is false) or is
                not a store.
        """
        if not root.exists():
            if not create:
                msg = f"no claim store at {root}: run 'giamdinh ingest' first"
                raise StoreError(msg)
            root.mkdir(parents=True)
        elif not root.is_dir():
            msg = f"{root} is not a directory; choose another --store"
            raise StoreError(msg)
        store = cls(root)
        lock = StoreLock(root)
        if lock.try_acquire():
            try:
                store.recover()
            finally:
                lock.release()
        return store

    def recover(self) -> None:
        """Remove what an interrupted batch left; rebuild a stale catalogue.

        Must be called with the writer lock held.
        """
        shutil.rmtree(self.root / STAGING, ignore_errors=True)
        manifest = self.manifest()
        live = manifest.all_files()
        for dataset in DATASETS:
            base = self.root / dataset
            if not base.exists():
                continue
            for path in sorted(base.rglob("*"), reverse=True):
                rel = path.relative_to(self.root).as_posix()
                if path.is_file() and rel not in live:
                    path.unlink()
                elif path.is_dir() and not any(path.iterdir()):
                    path.rmdir()
        current = self._manifest_name(manifest.seq)
        manifests = self.root / MANIFESTS
        if manifests.exists():
            for path in manifests.iterdir():
                if path.name != current:
                    path.unlink()
        for name in (f".{CURRENT}.tmp", f".{CATALOG_NAME}.tmp", f".{CATALOG_META}.tmp"):
            (self.root / name).unlink(missing_ok=True)
        if manifest.seq > 0 and not catalog_is_current(self.root, seq=manifest.seq):
            build_catalog(self.root, seq=manifest.seq, files=manifest.files)

    @staticmethod
    def _manifest_name(seq: int) -> str:
        return f"manifest-{seq:06d}.json"

    def manifest(self) -> _Manifest:
        """Return the live manifest (empty for a new store)."""
        pointer = self.root / CURRENT
        if not pointer.exists():
            return _Manifest(seq=0, files={})
        name = pointer.read_text(encoding="utf-8").strip()
        path = self.root / MANIFESTS / name
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            msg = (
                f"claim store {self.root}: CURRENT names {name}, which cannot be "
                f"read ({exc}); restore it from a backup"
            )
            raise StoreError(msg) from exc
        return _Manifest(seq=int(data["seq"]), files=dict(data["files"]))

    # -- reading

    def connect(self) -> duckdb.DuckDBPyConnection:
        """Return a read-only DuckDB connection to the catalogue views.

        Raises:
            StoreError: nothing was ever committed to this store.
        """
        manifest = self.manifest()
        if manifest.seq == 0:
            msg = f"claim store {self.root} is empty: run 'giamdinh ingest' first"
            raise StoreError(msg)
        if not catalog_is_current(self.root, seq=manifest.seq):
            lock = StoreLock(self.root)
            if lock.try_acquire():
                try:
                    build_catalog(self.root, seq=manifest.seq, files=manifest.files)
                finally:
                    lock.release()
        return duckdb.connect(str(self.root / CATALOG_NAME), read_only=True)

    def _ledger_query(self, sql: str) -> list[tuple[Any, ...]]:
        manifest = self.manifest()
        files = [str(self.root / p) for p in manifest.files.get("ledger", ())]
        if not files:
            return []
        con = duckdb.connect()
        try:
            con.register(
                "ledger_raw", ds.dataset(files, format="parquet", schema=LEDGER_SCHEMA)
            )
            return list(con.execute(sql).fetchall())
        finally:
            con.close()

    def known_files(self) -> set[str]:
        """SHA-256 of every file already recorded in the ledger."""
        rows = self._ledger_query(
            "select distinct file_sha256 from ledger_raw where file_sha256 is not null"
        )
        return {r[0] for r in rows}

    def _versions(self, batch_id: str) -> _VersionIndex:
        index = _VersionIndex(batch_id)
        rows = self._ledger_query(
            "select kind, ma_cskcb, ma_lk, max(version),"
            " arg_max(content_sha256, version), arg_max(ingest_id, version)"
            " from ledger_raw where status = 'accepted' group by all"
        )
        for r in rows:
            index.put((r[0], r[1], r[2]), _Version(r[3], r[4], r[5]))
        return index

    # -- writing

    def begin(self) -> Batch:
        """Take the writer lock, recover, and start a batch.

        Raises:
            StoreError: another process is writing to the store.
        """
        lock = StoreLock(self.root)
        lock.acquire()
        try:
            self.recover()
            return Batch(self, lock)
        except BaseException:
            lock.release()
            raise

    def _commit(self, batch: Batch) -> None:
        manifest = self.manifest()
        files = {k: list(v) for k, v in manifest.files.items()}
        for rel in batch.staged:
            src = batch.staging / rel
            dest = self.root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            src.replace(dest)
            key = rel.split("/", 1)[0]
            if key == "data":
                key = "data/" + rel.split("/")[1].removeprefix("table=")
            files.setdefault(key, []).append(rel)
        seq = manifest.seq + 1
        manifests = self.root / MANIFESTS
        manifests.mkdir(exist_ok=True)
        name = self._manifest_name(seq)
        tmp = manifests / f".{name}.tmp"
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump({"seq": seq, "batch_id": batch.batch_id, "files": files}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(manifests / name)
        pointer_tmp = self.root / f".{CURRENT}.tmp"
        with pointer_tmp.open("w", encoding="utf-8") as handle:
            handle.write(name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # NOTE: this rename is the commit point of the batch.
        pointer_tmp.replace(self.root / CURRENT)
        _fsync_dir(self.root)
        build_catalog(self.root, seq=seq, files=files)
        if manifest.seq:
            (manifests / self._manifest_name(manifest.seq)).unlink(missing_ok=True)
        shutil.rmtree(batch.staging, ignore_errors=True)
        with contextlib.suppress(OSError):
            (self.root / STAGING).rmdir()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ------------------------------------------------------------------- batch


def _units(name: str, table: pa.Table) -> pa.Table:
    """Add ``_unit``: the claim a row belongs to.

    Rows of an envelope belong to their ``HOSO`` (file and index). Rows of bare table
    files (no envelope) belong to their ``MA_LK`` across every bare file of the chunk,
    since a claim sent as bare files spreads over several of them; a bare check-in
    (XML0) is a unit of its own kind.
    """
    n = table.num_rows
    files = pc.cast(table.column("_file"), pa.string())
    hosos = pc.cast(table.column("_hoso"), pa.string())
    if "_envelope_cskcb" in table.column_names:
        envelope = pc.is_valid(table.column("_envelope_cskcb"))
    else:
        envelope = pa.array([False] * n, pa.bool_())
    # NOTE: Arrow scalars, not Python ones: those make pyarrow retry optional
    # imports on every call.
    sep, hash_sign = _text(_SEP), _text("#")
    envelope_key = pc.binary_join_element_wise(files, hosos, sep)
    if "MA_LK" in table.column_names:
        ma_lk = pc.cast(table.column("MA_LK"), pa.string())
        ma_lk = pc.coalesce(ma_lk, pc.binary_join_element_wise(files, hosos, hash_sign))
    else:
        ma_lk = pc.binary_join_element_wise(files, hosos, hash_sign)
    tag = CHECKIN if name == "XML0" else BARE
    bare_key = pc.binary_join_element_wise(_text(""), _text(tag), ma_lk, sep)
    return table.append_column("_unit", pc.if_else(envelope, envelope_key, bare_key))


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, pa.string())


def _first_per_unit(
    table: pa.Table, columns: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Values of ``columns`` in the first row of each ``_unit`` of a table."""
    present = [c for c in columns if c in table.column_names]
    units = table.column("_unit")
    unique = pc.unique(units)
    picked = table.select(present).take(_first_rows(unique, units))
    cols = {c: picked.column(c).to_pylist() for c in present}
    return {
        unit: {c: cols[c][i] for c in present}
        for i, unit in enumerate(unique.to_pylist())
    }


def _first_rows(
    unique: pa.Array | pa.ChunkedArray, keys: pa.Array | pa.ChunkedArray
) -> pa.Array:
    """Index of the first row of each distinct key (``unique`` = ``pc.unique(keys)``).

    ``index_in`` finds the first occurrence in a hash table: much cheaper than an
    Acero group-by plan for the few thousand rows of a chunk.
    """
    return pc.index_in(unique, value_set=keys)


def _month(value: Any) -> str | None:
    if isinstance(value, datetime):
        return f"{value.year:04d}-{value.month:02d}"
    return None


_STORE_COLUMNS = (*_PROVENANCE, "_unit")


def _row_texts(name: str, table: pa.Table) -> pa.Table:
    """``(_unit, line)`` where ``line`` renders one row as text."""
    cols = [c for c in table.column_names if c not in _STORE_COLUMNS]
    parts = [
        pc.fill_null(pc.cast(table.column(c), pa.string()), _text("\x00")) for c in cols
    ]
    line = (
        pc.binary_join_element_wise(_text(name), *parts, _text(_SEP))
        if parts
        else pa.array([name] * table.num_rows, pa.string())
    )
    return pa.table({"_unit": table.column("_unit"), "line": line})


# NOTE: lines are joined in file order (``rn``), so a re-send with the same rows in
# another order counts as a change; ordering by row number is cheaper than by text.
_HASH_SQL = """
select _unit, sha256(string_agg(line, chr(10) order by rn)) as h
from rows group by all
"""


def _content_hashes(tables: Mapping[str, pa.Table]) -> dict[str, str]:
    """SHA-256 of each unit's rows (all tables, in file order, no provenance)."""
    parts = [_row_texts(n, t) for n, t in tables.items() if t.num_rows]
    if not parts:
        return {}
    rows = pa.concat_tables(parts)
    rows = rows.append_column("rn", pa.array(range(rows.num_rows), pa.int64()))
    con = duckdb.connect()
    try:
        con.register("rows", rows)
        result = con.execute(_HASH_SQL).fetchall()
    finally:
        con.close()
    return {str(unit): str(digest) for unit, digest in result}


class Batch:
    """One atomic ingest: add chunks of tables, then commit (or abort).

    Use as a context manager: the batch commits when the block ends normally and
    aborts (the store unchanged) when it raises.
    """

    def __init__(self, store: ClaimStore, lock: StoreLock) -> None:
        self.store = store
        self._lock = lock
        now = datetime.now(UTC)
        self.ingested_at = now
        self.batch_id = f"{now:%Y%m%dT%H%M%S%f}Z-{secrets.token_hex(3)}"
        self.staging = store.root / STAGING / self.batch_id
        self.staging.mkdir(parents=True)
        self.staged: list[str] = []
        self.stats = BatchStats(batch_id=self.batch_id)
        self._known_files = store.known_files()
        self._versions = store._versions(self.batch_id)
        self._chunk = 0
        # Data rows wait here, per table, until about ``flush_bytes`` of them are
        # pending: every Parquet file costs a fixed price per column (tens of µs), so
        # writing each partition once per many chunks, not once per chunk, is what
        # keeps the store cheap next to parsing. Memory stays bounded by the limit.
        self.flush_bytes = FLUSH_BYTES
        self._pending: dict[str, list[pa.Table]] = {}
        self._pending_bytes = 0
        self._flushes = 0
        self._seq = 0
        self._closed = False

    # -- context manager

    def __enter__(self) -> Batch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()

    # -- files

    def is_known_file(self, sha256: str) -> bool:
        """Whether a file with this hash is in the store or earlier in this batch."""
        return sha256 in self._known_files

    def claim_file(self, sha256: str) -> bool:
        """Reserve a file hash for this batch; false (and counted) if already known.

        Re-ingesting a file whose hash is in the ledger, or twice in one batch,
        changes nothing; the file only counts as unchanged.
        """
        if sha256 in self._known_files:
            self.mark_unchanged()
            return False
        self._known_files.add(sha256)
        return True

    def mark_unchanged(self) -> None:
        """Count a file skipped because its hash is already known."""
        self.stats.files += 1
        self.stats.files_unchanged += 1

    def _next_id(self) -> str:
        self._seq += 1
        return f"{self.batch_id}-{self._seq:07d}"

    def add_failed_file(self, source: SourceFile, findings: Sequence[Finding]) -> None:
        """Record a file that could not be read at all (with its findings)."""
        self._known_files.add(source.sha256)
        self.stats.files += 1
        self.stats.files_rejected += 1
        ingest_id = self._next_id()
        ledger = [
            self._ledger_row(
                ingest_id=ingest_id,
                source=source,
                hoso=None,
                ma_cskcb=None,
                ma_lk=None,
                month=None,
                status=ClaimStatus.FILE_REJECTED,
                findings=findings,
            )
        ]
        self._write_side(ledger, [(ingest_id, source, f) for f in findings])

    # -- claims

    def add(
        self,
        tables: Mapping[str, pa.Table],
        *,
        sources: Mapping[str, SourceFile],
        findings: Sequence[Finding] = (),
        rejected: Iterable[tuple[str | None, int | None]] = (),
        dropped: Iterable[tuple[str, int, str | None]] = (),
        contents: Mapping[tuple[str, int], str] | None = None,
    ) -> None:
        """Add one chunk: the tables of some files, their findings and rejections.

        Args:
            tables: per logical table, the reader's Arrow table for the files of
                this chunk (``_file`` values are the keys of ``sources``).
            sources: the files of the chunk, by their ``_file`` value.
            findings: reception and reader findings of these files.
            rejected: ``(file, hoso)`` keys of rejected HOSOs; ``(file, None)``
                rejects every HOSO of the file.
            dropped: ``(file, hoso, ma_lk)`` of HOSOs the reader refused (they have
                no rows in ``tables``); they get a ``rejected`` ledger row.
            contents: ``(file, hoso)`` → content hash of that claim as the reader
                computed it (``ClaimRef.content``). A claim whose parts all have one
                is versioned by it; the others get a hash of their typed rows.
        """
        self._chunk += 1
        for source in sources.values():
            self._known_files.add(source.sha256)
            self.stats.files += 1
        units = {
            n: _units(n, t) for n, t in tables.items() if t.num_rows and _has_keys(t)
        }
        claims = _unit_infos(units, contents or {})
        claims.extend(
            _Unit(
                unit=f"{file}{_SEP}{hoso}",
                kind=CLAIM,
                file=file,
                hoso=hoso,
                pairs=frozenset({(file, hoso)}),
                ma_lk=None,
                cskcb=UNKNOWN,
                month=UNKNOWN,
                content="",
                dropped_ma_lk=ma_lk,
            )
            for file, hoso, ma_lk in dropped
        )
        claims.sort(
            key=lambda c: (c.file, c.hoso if c.hoso is not None else -1, c.unit)
        )
        by_pair: dict[tuple[str | None, int | None], list[Finding]] = {}
        for f in findings:
            hoso = f.evidence.get("hoso")
            key = (f.location.file, hoso if isinstance(hoso, int) else None)
            by_pair.setdefault(key, []).append(f)
        rejected_set = set(rejected)
        ledger: list[dict[str, Any]] = []
        finding_rows: list[tuple[str | None, SourceFile | None, Finding]] = []
        assign: dict[str, list[str]] = {"keys": [], "ids": [], "cskcb": [], "month": []}
        seen_files: set[str] = set()
        for claim in claims:
            source = sources.get(claim.file) or SourceFile(path=claim.file, sha256="")
            # (Most claims have one part and no finding: no sorting then.)
            pairs = (
                sorted(claim.pairs, key=str) if len(claim.pairs) > 1 else claim.pairs
            )
            own = (
                [f for pair in pairs for f in by_pair.get(pair, [])] if by_pair else []
            )
            files_of_claim = {file for file, _ in pairs}
            if by_pair:
                for file in sorted(files_of_claim - seen_files):
                    own.extend(by_pair.get((file, None), []))
            seen_files |= files_of_claim
            ingest_id = self._next_id()
            is_rejected = bool(rejected_set) and any(
                pair in rejected_set or (pair[0], None) in rejected_set
                for pair in pairs
            )
            decision = self._decide(claim, ingest_id, rejected=is_rejected)
            ledger.append(
                self._ledger_row(
                    ingest_id=ingest_id,
                    source=source,
                    hoso=claim.hoso,
                    ma_cskcb=claim.cskcb,
                    ma_lk=claim.ma_lk or claim.dropped_ma_lk,
                    month=claim.month,
                    status=decision.status,
                    findings=own,
                    kind=claim.kind,
                    content=claim.content,
                    version=decision.version,
                    supersedes=decision.supersedes,
                    duplicate_of=decision.duplicate_of,
                )
            )
            finding_rows.extend((ingest_id, source, f) for f in own)
            if decision.status is not ClaimStatus.UNCHANGED:
                assign["keys"].append(claim.unit)
                assign["ids"].append(ingest_id)
                assign["cskcb"].append(claim.cskcb)
                assign["month"].append(claim.month)
        # Files of the chunk without any rows: the ledger keeps them too.
        for file, source in sources.items():
            if file in seen_files:
                continue
            own = [f for (fl, _), fs in by_pair.items() if fl == file for f in fs]
            ingest_id = self._next_id()
            self.stats.files_rejected += 1
            ledger.append(
                self._ledger_row(
                    ingest_id=ingest_id,
                    source=source,
                    hoso=None,
                    ma_cskcb=None,
                    ma_lk=None,
                    month=None,
                    status=ClaimStatus.FILE_REJECTED,
                    findings=own,
                )
            )
            finding_rows.extend((ingest_id, source, f) for f in own)
        self._write_data(
            units, **{k: pa.array(v, pa.string()) for k, v in assign.items()}
        )
        self._write_side(ledger, finding_rows)

    def _decide(self, claim: _Unit, ingest_id: str, *, rejected: bool) -> _Decision:
        """Version a claim against the ledger: new, next version, same, rejected."""
        if rejected or claim.ma_lk is None:
            self.stats.claims_rejected += 1
            return _Decision(status=ClaimStatus.REJECTED)
        key = (claim.kind, claim.cskcb, claim.ma_lk)
        prev = self._versions.get(key)
        if prev is not None and prev.content == claim.content:
            self.stats.claims_unchanged += 1
            return _Decision(
                status=ClaimStatus.UNCHANGED,
                version=prev.version,
                duplicate_of=prev.ingest_id,
            )
        version = 1 if prev is None else prev.version + 1
        self._versions.put(key, _Version(version, claim.content, ingest_id))
        if prev is None:
            self.stats.claims_new += 1
            return _Decision(status=ClaimStatus.ACCEPTED, version=version)
        self.stats.claims_superseded += 1
        return _Decision(
            status=ClaimStatus.ACCEPTED, version=version, supersedes=prev.ingest_id
        )

    def _ledger_row(
        self,
        *,
        ingest_id: str,
        source: SourceFile,
        hoso: int | None,
        ma_cskcb: str | None,
        ma_lk: str | None,
        month: str | None,
        status: ClaimStatus,
        findings: Sequence[Finding],
        kind: str | None = None,
        content: str | None = None,
        version: int | None = None,
        supersedes: str | None = None,
        duplicate_of: str | None = None,
    ) -> dict[str, Any]:
        worst = max((f.severity for f in findings), key=lambda s: s.rank, default=None)
        return {
            "ingest_id": ingest_id,
            "batch_id": self.batch_id,
            "ingested_at": self.ingested_at,
            "file_sha256": source.sha256,
            "path": source.path,
            "hoso": hoso,
            "ma_cskcb": ma_cskcb,
            "ma_lk": ma_lk,
            "kind": kind,
            "month": month,
            "content_sha256": content,
            "version": version,
            "supersedes": supersedes,
            "duplicate_of": duplicate_of,
            "status": status.value,
            "n_findings": len(findings),
            "worst_severity": worst.value if isinstance(worst, Severity) else None,
        }

    def _stage(self, rel: str) -> Path:
        path = self.staging / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        self.staged.append(rel)
        return path

    def _write_data(
        self,
        tables: Mapping[str, pa.Table],
        *,
        keys: pa.Array,
        ids: pa.Array,
        cskcb: pa.Array,
        month: pa.Array,
    ) -> None:
        if len(keys) == 0:
            return
        for name, table in tables.items():
            index = pc.index_in(table.column("_unit"), value_set=keys)
            keep = pc.is_valid(index)
            index = pc.filter(index, keep)
            data = table.filter(keep)
            if data.num_rows == 0:
                continue
            data = (
                data.append_column("_ingest_id", ids.take(index))
                .append_column(
                    "_batch_id", pa.array([self.batch_id] * data.num_rows, pa.string())
                )
                .append_column("cskcb", cskcb.take(index))
                .append_column("month", month.take(index))
            )
            self._pending.setdefault(name, []).append(data)
            self._pending_bytes += data.nbytes
            self.stats.rows[name] += data.num_rows
        if self._pending_bytes >= self.flush_bytes:
            self._flush()

    def _flush(self) -> None:
        """Write the pending data rows to staged Parquet partitions."""
        pending, self._pending, self._pending_bytes = self._pending, {}, 0
        self._flushes += 1
        for name, parts in pending.items():
            # One contiguous table: the dataset writer splits chunked input into
            # smaller row groups and writes a third slower.
            data = pa.concat_tables(parts).combine_chunks()
            del parts[:]
            base = f"data/table={name}"
            written: list[str] = []

            def visit(f: Any, written: list[str] = written) -> None:
                written.append(f.path)

            ds.write_dataset(
                data,
                base_dir=str(self.staging / base),
                format="parquet",
                partitioning=ds.partitioning(
                    pa.schema([("cskcb", pa.string()), ("month", pa.string())]),
                    flavor="hive",
                ),
                basename_template=f"part-{self.batch_id}-{self._flushes:05d}-{{i}}.parquet",
                existing_data_behavior="overwrite_or_ignore",
                file_visitor=visit,
                use_threads=False,
            )
            for path in written:
                rel = Path(path).relative_to(self.staging).as_posix()
                self.staged.append(rel)

    def _write_side(
        self,
        ledger: Sequence[dict[str, Any]],
        findings: Sequence[tuple[str | None, SourceFile | None, Finding]],
    ) -> None:
        tag = f"part-{self.batch_id}-{self._chunk:05d}-{self._seq:07d}.parquet"
        if ledger:
            table = pa.Table.from_pylist(list(ledger), schema=LEDGER_SCHEMA)
            pq.write_table(table, self._stage(f"ledger/{tag}"))
        if findings:
            rows = [_finding_row(self.batch_id, i, s, f) for i, s, f in findings]
            for _, _, f in findings:
                self.stats.findings_by_code[f.code] += 1
            table = pa.Table.from_pylist(rows, schema=FINDINGS_SCHEMA)
            pq.write_table(table, self._stage(f"findings/{tag}"))

    # -- end

    def commit(self) -> BatchStats:
        """Publish the batch atomically and release the lock."""
        if self._closed:
            return self.stats
        try:
            if self._pending:
                self._flush()
            if self.staged:
                self.store._commit(self)
                self.stats.committed = True
            else:
                shutil.rmtree(self.staging, ignore_errors=True)
                with contextlib.suppress(OSError):
                    (self.store.root / STAGING).rmdir()
        finally:
            self._closed = True
            self._lock.release()
        return self.stats

    def abort(self) -> None:
        """Drop everything staged and release the lock; the store is unchanged."""
        if self._closed:
            return
        self._pending = {}
        try:
            shutil.rmtree(self.staging, ignore_errors=True)
            with contextlib.suppress(OSError):
                (self.store.root / STAGING).rmdir()
        finally:
            self._closed = True
            self._lock.release()


@dataclass(frozen=True, slots=True, kw_only=True)
class _Unit:
    unit: str
    kind: str
    file: str
    hoso: int | None
    pairs: frozenset[tuple[str, int]]
    ma_lk: str | None
    cskcb: str
    month: str
    content: str
    dropped_ma_lk: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Decision:
    status: ClaimStatus
    version: int | None = None
    supersedes: str | None = None
    duplicate_of: str | None = None


def _unit_infos(
    tables: Mapping[str, pa.Table], contents: Mapping[tuple[str, int], str]
) -> list[_Unit]:
    """Key, facility, month and content hash of every claim unit in the tables.

    The content hash of a unit comes from ``contents`` when every ``(file, hoso)``
    part of it has one (one part: that hash; several: the hash of their sorted
    hashes); otherwise it is computed from the unit's typed rows.
    """
    pairs: dict[str, set[tuple[str, int]]] = {}
    anyrow: dict[str, dict[str, Any]] = {}
    for table in tables.values():
        triple = pc.binary_join_element_wise(
            table.column("_unit"),
            pc.cast(table.column("_file"), pa.string()),
            pc.cast(table.column("_hoso"), pa.string()),
            _text(_SEP),
        )
        grouped = table.select(["_unit", "_file", "_hoso"]).take(
            _first_rows(pc.unique(triple), triple)
        )
        for unit, file, hoso in zip(
            grouped.column("_unit").to_pylist(),
            grouped.column("_file").to_pylist(),
            grouped.column("_hoso").to_pylist(),
            strict=True,
        ):
            pairs.setdefault(unit, set()).add((file, hoso))
        for unit, values in _first_per_unit(
            table, ["MA_LK", "_envelope_cskcb", "_file", "_hoso"]
        ).items():
            anyrow.setdefault(unit, values)
    head: dict[str, dict[str, Any]] = {}
    for name in ("XML0", "XML1"):
        if name in tables:
            head.update(
                _first_per_unit(
                    tables[name], ["MA_LK", "MA_CSKCB", "NGAY_RA", "NGAY_VAO"]
                )
            )
    given: dict[str, str] = {}
    for unit, parts in pairs.items():
        known = [contents.get(part) for part in parts]
        if not all(known):
            continue
        given[unit] = (
            str(known[0])
            if len(known) == 1
            else hashlib.sha256("\n".join(sorted(map(str, known))).encode()).hexdigest()
        )
    hashes = (
        given
        if len(given) == len(pairs)
        else {**_content_hashes(_units_only(tables, set(pairs) - set(given))), **given}
    )
    out: list[_Unit] = []
    for unit in sorted(pairs):
        first = head.get(unit, {})
        other = anyrow.get(unit, {})
        ma_lk = first.get("MA_LK") or other.get("MA_LK")
        bare = unit.startswith(_SEP)
        out.append(
            _Unit(
                unit=unit,
                kind=CHECKIN if unit.startswith(f"{_SEP}{CHECKIN}{_SEP}") else CLAIM,
                file=str(other.get("_file")),
                hoso=None if bare else int(other["_hoso"]),
                pairs=frozenset(pairs[unit]),
                ma_lk=str(ma_lk) if ma_lk else None,
                cskcb=str(
                    first.get("MA_CSKCB") or other.get("_envelope_cskcb") or UNKNOWN
                ),
                month=_month(first.get("NGAY_RA"))
                or _month(first.get("NGAY_VAO"))
                or UNKNOWN,
                content=hashes.get(unit, ""),
            )
        )
    return out


def _units_only(tables: Mapping[str, pa.Table], units: set[str]) -> dict[str, pa.Table]:
    """The rows of ``units`` only, per table."""
    keys = pa.array(sorted(units), pa.string())
    out: dict[str, pa.Table] = {}
    for name, table in tables.items():
        kept = table.filter(pc.is_in(table.column("_unit"), value_set=keys))
        if kept.num_rows:
            out[name] = kept
    return out


def _has_keys(table: pa.Table) -> bool:
    return "_file" in table.column_names and "_hoso" in table.column_names


def _finding_row(
    batch_id: str, ingest_id: str | None, source: SourceFile | None, f: Finding
) -> dict[str, Any]:
    loc = f.location
    return {
        "batch_id": batch_id,
        "ingest_id": ingest_id,
        "file_sha256": source.sha256 if source is not None else None,
        "code": f.code,
        "severity": f.severity.value,
        "message": f.message,
        "message_en": f.message_en,
        "file": loc.file,
        "ma_lk": loc.ma_lk,
        "table_name": loc.table,
        "stt": loc.stt,
        "field": loc.field,
        "evidence": json.dumps(f.evidence, ensure_ascii=False, default=str),
        "ma_cskcb": f.ma_cskcb,
    }
