"""Synthetic province generator with planted, labelled anomalies.

Public API:

- ``SynthConfig``: what to generate (claims, seed, month, facilities, rates...).
- ``generate(config, out) -> SynthResult``: write claims, reference folders, device
  logs, DICOM files, ``ground_truth.csv`` and ``manifest.json`` under ``out``.
- ``PATTERNS`` / ``PATTERN_NAMES`` / ``PATTERN_DESCRIPTIONS``: the planted anomaly
  patterns (stable names, one-line description each; table of the labelled line).
- ``ProvinceBuilder``: the province model alone (facilities, staff, machines).
"""

from giamdinh.synth.anomalies import (
    PATTERN_DESCRIPTIONS,
    PATTERN_NAMES,
    PATTERNS,
    Pattern,
)
from giamdinh.synth.config import SynthConfig, parse_month
from giamdinh.synth.generator import SynthResult, generate
from giamdinh.synth.province import Province, ProvinceBuilder

__all__ = [
    "PATTERNS",
    "PATTERN_DESCRIPTIONS",
    "PATTERN_NAMES",
    "Pattern",
    "Province",
    "ProvinceBuilder",
    "SynthConfig",
    "SynthResult",
    "generate",
    "parse_month",
]
