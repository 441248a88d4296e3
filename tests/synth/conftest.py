"""Shared generated provinces (session-scoped: generation is the slow part)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from giamdinh.synth import SynthConfig, SynthResult, generate

if TYPE_CHECKING:
    from pathlib import Path

#: Rates high enough that every pattern appears in a small run.
HIGH_RATES = {
    "practitioner_two_places": 0.02,
    "frequency_over_limit": 0.01,
    "machine_overlap": 0.01,
}


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """A 600-claim province with 30 % planted anomalies."""
    out: Path = tmp_path_factory.mktemp("synth") / "small"
    return generate(
        SynthConfig(claims=600, seed=11, anomaly_rate=0.3, rates=HIGH_RATES), out
    )


@pytest.fixture(scope="session")
def clean(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """A 400-claim province without any planted anomaly."""
    out: Path = tmp_path_factory.mktemp("synth") / "clean"
    return generate(SynthConfig(claims=400, seed=5, anomaly_rate=0.0), out)
