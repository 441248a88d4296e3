"""Use cases ``ingest`` and ``validate``: claim files → reception checks → claim store.

``ingest_paths`` reads files in bounded chunks (so memory stays flat however many
files there are), runs the secure reader and the portal's reception checks on each
chunk, and adds the chunk to one atomic store batch: the whole run is visible at once
when it ends, or not at all. A file already in the ledger (same SHA-256) is skipped.
A claim (``HOSO``) that the reader or the reception checks refuse is recorded in the
ledger as rejected, with its findings; the rest of the file goes on.

``validate_paths`` runs the same reader and checks without a store and reports every
finding and what ingest would refuse.

**Rejected, one definition.** The ingest summary, ``giamdinh store show`` and
``giamdinh validate`` count refusals the same way, and never add the two together:

- a **claim rejected** is a ``HOSO`` that the reader or a ``refuse`` reception finding
  refuses (ledger status ``rejected``); the other claims of its file go on. A
  ``refuse`` finding about a whole file rejects every claim in it.
- a **file rejected** is a file from which no claim could be read at all (not XML,
  wrong root, too big …; ledger status ``file_rejected``). It has no claims, so none
  of them counts as a rejected claim.

The summary counts its batch, ``store show`` every batch: for a store made by one
ingest the figures are the same. Likewise the summary's rows per table are the rows
of the claims it *accepted* (new or superseding versions), as ``store show`` counts
the rows of the current claims; the rows of rejected claims are kept in the store
(``xml3_all`` …) but counted as neither.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from giamdinh.config import Settings, get_settings
from giamdinh.domain import Finding, Severity
from giamdinh.errors import ConfigError
from giamdinh.standard import codes as ingest_codes
from giamdinh.standard.reader import FileResult, Source, read_batch
from giamdinh.standard.reception import check_reception, rejected_hosos

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from pathlib import Path

    import pyarrow as pa

    from giamdinh.store import Batch, BatchStats, ClaimStore

# NOTE: the claim store (DuckDB) is imported inside the functions that open one, so
# that ``giamdinh validate`` starts without it.

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "FileReport",
    "IngestSummary",
    "StoreOverview",
    "ValidationReport",
    "collect_paths",
    "ingest_paths",
    "store_overview",
    "validate_paths",
]

#: Files are read and flushed to the store in chunks of about this many bytes.
DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024


def collect_paths(paths: Sequence[Path]) -> list[Path]:
    """Expand files and folders (recursively, ``*.xml`` in any case) into files.

    Args:
        paths: files or directories given by the operator.

    Returns:
        The files, folders expanded in sorted order, duplicates removed.

    Raises:
        ConfigError: a path does not exist.
    """
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        msg = f"không tìm thấy / not found: {', '.join(missing)}"
        raise ConfigError(msg)
    out: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        found = (
            sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".xml"
            )
            if path.is_dir()
            else [path]
        )
        for item in found:
            key = item.resolve()
            if key not in seen:
                seen.add(key)
                out.append(item)
    return out


def _chunks(files: Iterable[Path], limit: int) -> Iterator[list[Path]]:
    chunk: list[Path] = []
    size = 0
    for path in files:
        chunk.append(path)
        size += path.stat().st_size
        if size >= limit:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _loaded(path: Path, max_bytes: int) -> tuple[Source, str, int]:
    """Return the file as the reader takes it, its hex SHA-256 and its size.

    The bytes are read once, hashed and handed to the reader with their hash, so a
    file is neither read nor hashed twice. A file over ``max_bytes`` is hashed in
    blocks and handed over by path: the reader refuses it by its size, unread.
    """
    size = path.stat().st_size
    if size > max_bytes:
        from giamdinh.store import file_sha256  # noqa: PLC0415 - see the NOTE above

        return path, file_sha256(path), size
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    return (str(path), data, digest), digest, len(data)


def _fresh_chunks(
    files: Iterable[Path],
    batch: Batch,
    settings: Settings,
    limit: int,
    progress: Callable[[int], None] | None,
) -> Iterator[tuple[list[Source], dict[str, str]]]:
    """Yield chunks of about ``limit`` bytes of the files not yet in the store.

    A file whose hash the store (or this batch) already knows is counted as
    unchanged (and reported to ``progress``) and left out. Each chunk comes with the
    hash of each of its files, by path.
    """
    chunk: list[Source] = []
    digests: dict[str, str] = {}
    size = 0
    for path in files:
        source, digest, length = _loaded(path, settings.max_file_bytes)
        if not batch.claim_file(digest):
            if progress is not None:
                progress(1)
            continue
        chunk.append(source)
        digests[str(path)] = digest
        size += length
        if size >= limit:
            yield chunk, digests
            chunk, digests, size = [], {}, 0
    if chunk:
        yield chunk, digests


def _hoso_scope(code: str) -> bool:
    spec = ingest_codes.CODES.get(code)
    return spec is not None and spec.scope == "hoso"


def _with_hoso(result: FileResult) -> list[Finding]:
    """The reader's findings, each refused-HOSO finding tagged with its HOSO index.

    The reader reports exactly one ``hoso``-scope finding per refused ``HOSO``, in
    file order, and lists the refused indexes in ``rejected_hoso``.
    """
    scoped = [i for i, f in enumerate(result.findings) if _hoso_scope(f.code)]
    if len(scoped) != len(result.rejected_hoso):
        return list(result.findings)
    out = list(result.findings)
    for i, hoso in zip(scoped, result.rejected_hoso, strict=True):
        f = out[i]
        out[i] = dataclasses.replace(f, evidence={**f.evidence, "hoso": hoso})
    return out


def _check_chunk(
    paths: Sequence[Source], settings: Settings
) -> tuple[list[FileResult], dict[str, pa.Table], list[Finding]]:
    """Read a chunk of files and run reception; return results, tables, findings."""
    batch = read_batch(paths, settings=settings)
    reception = check_reception(batch.tables) if batch.tables else []
    return batch.files, batch.tables, reception


# ----------------------------------------------------------------- ingest


@dataclass(slots=True, kw_only=True)
class IngestSummary:
    """What an ingest run did (printed by the CLI).

    Attributes:
        store: the store directory.
        stats: the batch's counts (``claims_rejected`` and ``files_rejected`` as
            the module docstring defines them).
        seconds: wall time of the run.
        rows: rows per table of the claims the batch accepted (``stats.rows`` also
            counts the rows kept for rejected claims).
        findings_by_severity: number of findings per severity.
    """

    store: Path
    stats: BatchStats
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)
    findings_by_severity: Counter[str] = field(default_factory=Counter)

    @property
    def files(self) -> int:
        """Number of input files."""
        return self.stats.files

    @property
    def claims_rejected(self) -> int:
        """Claims (``HOSO``) the batch rejected."""
        return self.stats.claims_rejected

    @property
    def files_rejected(self) -> int:
        """Files the batch could not read a claim from."""
        return self.stats.files_rejected


_ACCEPTED_ROWS_SQL = """
select count(*) from {view}
where _batch_id = $batch and _ingest_id in (
    select ingest_id from ledger where batch_id = $batch and status = 'accepted'
)
"""


def _accepted_rows(store: ClaimStore, stats: BatchStats) -> dict[str, int]:
    """Rows per table of the claims a committed batch accepted."""
    if not stats.claims_rejected:
        # Every row the batch wrote belongs to a new or superseding version.
        return dict(sorted(stats.rows.items(), key=lambda kv: _table_number(kv[0])))
    con = store.connect()
    try:
        rows: dict[str, int] = {}
        for table in sorted(stats.rows, key=_table_number):
            # NOTE: the view name is built from a standard table name (XML1…XML15).
            sql = _ACCEPTED_ROWS_SQL.format(view=f"{table.lower()}_all")
            found = con.execute(sql, {"batch": stats.batch_id}).fetchone()
            if found and found[0]:
                rows[table] = int(found[0])
        return rows
    finally:
        con.close()


def _table_number(name: str) -> int:
    digits = name.upper().removeprefix("XML")
    return int(digits) if digits.isdigit() else 0


def ingest_paths(
    paths: Sequence[Path],
    *,
    store_dir: Path | None = None,
    settings: Settings | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    progress: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Ingest claim files into the store as one atomic batch.

    Args:
        paths: files or folders (searched recursively for ``*.xml``).
        store_dir: the store (default ``Settings.store_dir``).
        settings: size limits and defaults (default: process settings).
        chunk_bytes: read and flush about this many bytes of files at a time.
        progress: called with the number of files just handled.

    Returns:
        The summary: files, claims new / superseded / unchanged / rejected,
        findings by code and severity, time.
    """
    from giamdinh.store import ClaimStore, SourceFile  # noqa: PLC0415 - see the NOTE

    active = settings or get_settings()
    # The ledger records absolute paths, so a claim can be traced back to its file.
    files = [p.resolve() for p in collect_paths(paths)]
    store = ClaimStore.open(store_dir or active.store_dir)
    started = time.perf_counter()
    by_severity: Counter[str] = Counter()
    with store.begin() as batch:
        for chunk, digests in _fresh_chunks(
            files, batch, active, chunk_bytes, progress
        ):
            results, tables, reception = _check_chunk(chunk, active)
            sources = {
                r.path: SourceFile(path=r.path, sha256=digests[r.path]) for r in results
            }
            findings: list[Finding] = []
            dropped: list[tuple[str, int, str | None]] = []
            readable: dict[str, SourceFile] = {}
            for result in results:
                found = _with_hoso(result)
                by_severity.update(f.severity.value for f in found)
                if not result.claims and not result.rejected_hoso:
                    batch.add_failed_file(sources[result.path], found)
                    continue
                readable[result.path] = sources[result.path]
                findings.extend(found)
                names = {
                    f.evidence.get("hoso"): f.location.ma_lk
                    for f in found
                    if "hoso" in f.evidence
                }
                dropped.extend(
                    (result.path, h, names.get(h)) for h in result.rejected_hoso
                )
            by_severity.update(f.severity.value for f in reception)
            batch.add(
                tables,
                sources=readable,
                findings=[*findings, *reception],
                rejected=rejected_hosos(reception),
                dropped=dropped,
                contents={
                    (r.path, claim.hoso): claim.content
                    for r in results
                    for claim in r.claims
                },
            )
            if progress is not None:
                progress(len(chunk))
    stats = batch.stats
    return IngestSummary(
        store=store.root,
        stats=stats,
        seconds=time.perf_counter() - started,
        rows=_accepted_rows(store, stats) if stats.committed else {},
        findings_by_severity=by_severity,
    )


# --------------------------------------------------------------- validate


@dataclass(slots=True, kw_only=True)
class FileReport:
    """Validation of one file: its findings and what ingest would refuse of it.

    Attributes:
        path: the file as given.
        ma_cskcb: the facility code of the file (envelope ``MACSKCB``), as written.
        claims: ``HOSO`` in the file (read or refused).
        claims_rejected: claims that ingest would reject (module docstring).
        unreadable: no claim could be read: ingest would reject the file.
        findings: reader (``IN…``) and reception (``RC…``) findings.
    """

    path: str
    ma_cskcb: str | None = None
    claims: int
    claims_rejected: int = 0
    unreadable: bool = False
    findings: list[Finding]

    @property
    def rejected(self) -> bool:
        """Whether any finding about the file is ``refuse`` (a claim or the file)."""
        return any(f.severity is Severity.REFUSE for f in self.findings)


@dataclass(slots=True, kw_only=True)
class ValidationReport:
    """Validation of many files."""

    files: list[FileReport]

    @property
    def findings(self) -> list[Finding]:
        """Every finding, file by file."""
        return [f for report in self.files for f in report.findings]

    @property
    def rejected(self) -> bool:
        """Whether ingest would refuse anything (the CLI exits with 1)."""
        return any(report.rejected for report in self.files)

    @property
    def claims(self) -> int:
        """Claims (``HOSO``) in every file."""
        return sum(report.claims for report in self.files)

    @property
    def claims_rejected(self) -> int:
        """Claims that ingest would reject."""
        return sum(report.claims_rejected for report in self.files)

    @property
    def files_rejected(self) -> int:
        """Files that ingest would reject (no claim readable)."""
        return sum(1 for report in self.files if report.unreadable)

    def by_code(self) -> Counter[str]:
        """Number of findings per code."""
        return Counter(f.code for f in self.findings)


def _file_report(result: FileResult, reception: list[Finding]) -> FileReport:
    """One file's report; claims rejected counted as ingest rejects them."""
    unreadable = not result.claims and not result.rejected_hoso
    refused = rejected_hosos(reception)
    if (result.path, None) in refused:
        rejected = len(result.claims) + len(result.rejected_hoso)
    else:
        rejected = len(result.rejected_hoso) + sum(
            1 for claim in result.claims if (result.path, claim.hoso) in refused
        )
    return FileReport(
        path=result.path,
        ma_cskcb=result.ma_cskcb,
        claims=len(result.claims) + len(result.rejected_hoso),
        claims_rejected=0 if unreadable else rejected,
        unreadable=unreadable,
        findings=[*result.findings, *reception],
    )


def validate_paths(
    paths: Sequence[Path],
    *,
    settings: Settings | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    progress: Callable[[int], None] | None = None,
) -> ValidationReport:
    """Run the reader and the reception checks on files, without a store.

    Args:
        paths: files or folders (searched recursively for ``*.xml``).
        settings: size limits (default: process settings).
        chunk_bytes: read about this many bytes of files at a time.
        progress: called with the number of files just checked.

    Returns:
        Per file, its findings (reader ``IN…`` and reception ``RC…``) and the claims
        (or the file) that ingest would reject.
    """
    active = settings or get_settings()
    reports: list[FileReport] = []
    for chunk in _chunks(collect_paths(paths), chunk_bytes):
        results, _tables, reception = _check_chunk(chunk, active)
        per_file: dict[str | None, list[Finding]] = {}
        for f in reception:
            per_file.setdefault(f.location.file, []).append(f)
        reports.extend(_file_report(r, per_file.get(r.path, [])) for r in results)
        if progress is not None:
            progress(len(chunk))
    return ValidationReport(files=reports)


# ------------------------------------------------------------------ show


@dataclass(slots=True, kw_only=True)
class StoreOverview:
    """What a store holds: claims, versions, rejections, rows, partitions.

    ``claims_rejected`` and ``files_rejected`` count every batch, as the module
    docstring defines them; ``rows`` are those of the current claims.
    """

    store: Path
    batches: int
    files: int
    claims: int
    versions: int
    superseded: int
    claims_rejected: int
    files_rejected: int
    rows: dict[str, int]
    partitions: list[tuple[str, str, int]]
    findings_by_code: dict[str, int]


_OVERVIEW_SQL = """
select
    count(distinct batch_id),
    count(distinct file_sha256),
    count(*) filter (where is_current and kind = 'claim'),
    count(*) filter (where status = 'accepted'),
    count(*) filter (where status = 'accepted' and superseded_by is not null),
    count(*) filter (where status = 'rejected'),
    count(*) filter (where status = 'file_rejected')
from ledger
"""
_PARTITIONS_SQL = """
select ma_cskcb, month, count(*) from claims group by all order by 1, 2
"""
_FINDINGS_SQL = "select code, count(*) from findings group by all order by 1"


def store_overview(store_dir: Path | None = None) -> StoreOverview:
    """Summarise a claim store (``giamdinh store show``).

    Args:
        store_dir: the store (default ``Settings.store_dir``).

    Returns:
        Counts of batches, files, claims (current), versions, superseded claims,
        rejected claims and rejected files, current rows per table and claims per
        facility × month.
    """
    from giamdinh.store import ClaimStore  # noqa: PLC0415 - see the NOTE above

    store = ClaimStore.open(store_dir or get_settings().store_dir, create=False)
    con = store.connect()
    try:
        counts = con.execute(_OVERVIEW_SQL).fetchone() or (0,) * 7
        batches, files, claims, versions, superseded, claims_rej, files_rej = counts
        views = [
            r[0]
            for r in con.execute(
                "select view_name from duckdb_views() "
                "where regexp_matches(view_name, '^xml[0-9]+$') order by 1"
            ).fetchall()
        ]
        rows: dict[str, int] = {}
        for view in sorted(views, key=lambda v: int(v[3:])):
            # NOTE: the view names come from the catalogue and match ^xml[0-9]+$.
            count = con.execute(f"select count(*) from {view}").fetchone()  # noqa: S608
            rows[view.upper()] = int(count[0]) if count else 0
        partitions = [
            (str(a), str(b), int(c))
            for a, b, c in con.execute(_PARTITIONS_SQL).fetchall()
        ]
        by_code = {str(a): int(b) for a, b in con.execute(_FINDINGS_SQL).fetchall()}
    finally:
        con.close()
    return StoreOverview(
        store=store.root,
        batches=int(batches),
        files=int(files),
        claims=int(claims),
        versions=int(versions),
        superseded=int(superseded),
        claims_rejected=int(claims_rej),
        files_rejected=int(files_rej),
        rows=rows,
        partitions=partitions,
        findings_by_code=by_code,
    )
