"""Synthetic province generator with planted, labelled anomalies.

Public API:

- ``SynthConfig``: what to generate (claims, seed, month, facilities, rates...).
- ``generate(config, out) -> SynthResult``: write claims, reference folders, device
  logs, DICOM files, ``ground_truth.csv`` (planted anomalies),
  ``ground_truth_variants.csv`` (real-world file variants),
  ``ground_truth_dicom.csv`` (the claim line of each DICOM file) and
  ``manifest.json`` under ``out``.
- ``PATTERNS`` / ``PATTERN_NAMES`` / ``PATTERN_DESCRIPTIONS``: the planted anomaly
  patterns (stable names, one-line description each; table of the labelled line).
- ``ProvinceBuilder``: the province model alone (facilities, staff, machines).
- ``VARIANTS`` / ``VARIANT_NAMES``: the real-world file variants (stable names, what
  the portal does with each, default share).
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
from giamdinh.synth.variants import VARIANT_NAMES, VARIANTS, Variant

__all__ = [
    "PATTERNS",
    "PATTERN_DESCRIPTIONS",
    "PATTERN_NAMES",
    "VARIANTS",
    "VARIANT_NAMES",
    "Pattern",
    "Province",
    "ProvinceBuilder",
    "SynthConfig",
    "SynthResult",
    "Variant",
    "generate",
    "parse_month",
]
