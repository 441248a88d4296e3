"""A small province for the joint-verification tests: generated, ingested, assessed.

300 claims in three facilities, 30 % of them with a planted anomaly and extra
machine overlaps, so that some lines are held under review, some inspection leads
exist and one lead names a line that a rule also holds. The claims are ingested
at a fixed instant, 18:30 UTC on 1 April 2026, which is already 2 April in Viet
Nam: the legal clock must start on the Vietnamese day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pytest

from giamdinh.services.assessment import assess_store
from giamdinh.services.ingest import ingest_paths
from giamdinh.services.signals import compute_leads, province_inputs
from giamdinh.services.synth import run_synth
from giamdinh.store.store import Batch

if TYPE_CHECKING:
    from pathlib import Path

    from giamdinh.store.lock import StoreLock
    from giamdinh.store.store import ClaimStore

#: When the claims were received: still 1 April in UTC, 2 April in Viet Nam.
INGESTED_AT = datetime(2026, 4, 1, 18, 30, tzinfo=UTC)
RECEIVED_VN = date(2026, 4, 2)
RATES = [
    "practitioner_two_places=0.05",
    "machine_overlap=0.03",
    "frequency_over_limit=0.02",
    "practitioner_unlicensed=0.03",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewProvince:
    """The generated province, its claim store and the store's assessment run."""

    province: Path
    store: Path
    run: Path


def build_review_province(root: Path) -> ReviewProvince:
    """Generate, ingest (at ``INGESTED_AT``), assess and compute the leads."""
    province = root / "province"
    store = root / "store"
    run_synth(
        claims=300,
        seed=11,
        out=province,
        facilities=3,
        dicom_files=4,
        anomaly_rate=0.3,
        rates=RATES,
    )
    original = Batch.__init__

    def at_fixed_time(self: Batch, owner: ClaimStore, lock: StoreLock) -> None:
        original(self, owner, lock)
        self.ingested_at = INGESTED_AT

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Batch, "__init__", at_fixed_time)
        ingest_paths([province / "claims"], store_dir=store)
    run = assess_store(store, reference_dir=province / "reference")
    inputs = province_inputs(province)
    compute_leads(
        store_dir=store,
        refs=inputs.refs,
        devices=inputs.devices,
        facilities=inputs.facilities,
    )
    return ReviewProvince(province=province, store=store, run=run.folder)
