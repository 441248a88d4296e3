"""The claim store: Parquet partitions, a DuckDB catalogue and the ingest ledger.

Partitions are facility × month; the ledger is append-only (one row per claim
version); a batch is atomic (all of it or nothing is visible).
"""

from giamdinh.store.store import (
    FINDINGS_SCHEMA,
    LEDGER_SCHEMA,
    Batch,
    BatchStats,
    ClaimStatus,
    ClaimStore,
    SourceFile,
    file_sha256,
)

__all__ = [
    "FINDINGS_SCHEMA",
    "LEDGER_SCHEMA",
    "Batch",
    "BatchStats",
    "ClaimStatus",
    "ClaimStore",
    "SourceFile",
    "file_sha256",
]
