"""Use case: generate a synthetic province month (``giamdinh synth``)."""

from __future__ import annotations

from pathlib import Path

from giamdinh.errors import ConfigError
from giamdinh.synth import SynthConfig, SynthResult, generate, parse_month
from giamdinh.synth.anomalies import PATTERN_NAMES


def parse_rates(items: list[str]) -> dict[str, float]:
    """Parse ``pattern=rate`` options into a dict.

    Raises:
        ConfigError: An item is not ``name=number`` or names an unknown pattern.
    """
    rates: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(
                f"--rate {item!r}: expected pattern=rate, e.g. duplicate_line=0.01"
            )
        if name not in PATTERN_NAMES:
            known = ", ".join(PATTERN_NAMES)
            raise ConfigError(
                f"--rate {item!r}: unknown pattern {name!r}; known: {known}"
            )
        try:
            rates[name] = float(value)
        except ValueError as error:
            raise ConfigError(f"--rate {item!r}: {value!r} is not a number") from error
    return rates


def run_synth(
    *,
    claims: int,
    seed: int,
    out: Path,
    anomaly_rate: float = 0.05,
    month: str = "2026-03",
    facilities: int = 20,
    claims_per_file: int = 1,
    rates: list[str] | None = None,
    dicom_files: int = 12,
    neighbours: list[str] | None = None,
) -> SynthResult:
    """Generate a province month into ``out`` and return what was written.

    Raises:
        ConfigError: A bad option, or ``out`` exists and is not an empty directory.
    """
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"{out}: the output directory must be new or empty")
    config = SynthConfig(
        claims=claims,
        seed=seed,
        month=parse_month(month),
        facilities=facilities,
        anomaly_rate=anomaly_rate,
        rates=parse_rates(rates or []),
        claims_per_file=claims_per_file,
        dicom_files=dicom_files,
        neighbours=tuple(neighbours or ()),
    )
    return generate(config, Path(out))


__all__ = ["parse_rates", "run_synth"]
