"""Configuration of one generation run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from giamdinh.errors import ConfigError


@dataclass(frozen=True, slots=True, kw_only=True)
class SynthConfig:
    """What to generate.

    Attributes:
        claims: number of claims (episodes).
        seed: random seed; the same configuration gives byte-identical output.
        month: first day of the month of care.
        facilities: number of facilities (the first five are one of each tier).
        anomaly_rate: share of claims carrying one planted anomaly, spread over the
            patterns by their default weights (``rates`` overrides single patterns).
        rates: per-pattern share of claims, overriding ``anomaly_rate``.
        claims_per_file: claims per envelope file (1 = one file per claim, as the
            portal's API expects).
        dicom_files: how many imaging studies also get a real DICOM file.
        province: 2-digit province code (prefix of every ``MA_CSKCB`` but the
            central hospital's, which is seated in Hà Nội: ``01``).
        variant_share: scales the default share of files written with each
            real-world variant (1: the defaults, 0: every file as the clean writer
            writes it); see ``giamdinh.synth.variants``.
        variant_rates: share of files of single variants, overriding
            ``variant_share``; the variants the portal refuses are written only
            when named here.
        neighbours: 2-digit codes of neighbouring provinces: when given, the
            licence registries of the province and of each neighbour are written
            under ``registries/`` with their planted leads
            (``giamdinh.synth.registries``).
    """

    claims: int
    seed: int = 0
    month: date = date(2026, 3, 1)
    facilities: int = 20
    anomaly_rate: float = 0.05
    rates: dict[str, float] = field(default_factory=dict)
    claims_per_file: int = 1
    dicom_files: int = 12
    province: str = "99"
    variant_share: float = 1.0
    variant_rates: dict[str, float] = field(default_factory=dict)
    neighbours: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.claims < 1:
            raise ConfigError(f"--claims must be at least 1 (got {self.claims})")
        if self.facilities < 1:
            raise ConfigError(
                f"--facilities must be at least 1 (got {self.facilities})"
            )
        if not 0.0 <= self.anomaly_rate <= 1.0:
            raise ConfigError(
                f"--anomaly-rate must be between 0 and 1 (got {self.anomaly_rate})"
            )
        if self.claims_per_file < 1:
            raise ConfigError(
                f"--claims-per-file must be at least 1 (got {self.claims_per_file})"
            )
        if self.month.day != 1:
            raise ConfigError(
                f"month must be the first day of a month (got {self.month})"
            )
        if len(self.province) != 2 or not self.province.isdigit():  # noqa: PLR2004
            raise ConfigError(f"province must be 2 digits (got {self.province!r})")
        _check_neighbours(self.province, self.neighbours)
        for name, rate in self.rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ConfigError(
                    f"rate of {name} must be between 0 and 1 (got {rate})"
                )
        if not 0.0 <= self.variant_share <= 1.0:
            raise ConfigError(
                f"variant share must be between 0 and 1 (got {self.variant_share})"
            )
        for name, rate in self.variant_rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ConfigError(
                    f"share of variant {name} must be between 0 and 1 (got {rate})"
                )


def parse_month(text: str) -> date:
    """Parse ``YYYY-MM`` into the first day of that month.

    Raises:
        ConfigError: If the text is not a month.
    """
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError as error:
        raise ConfigError(f"--month must look like 2026-03 (got {text!r})") from error


def _check_neighbours(province: str, neighbours: tuple[str, ...]) -> None:
    """Refuse a neighbour code that is not 2 digits, the province's, or repeated."""
    for code in neighbours:
        if len(code) != 2 or not code.isdigit() or code == province:  # noqa: PLR2004
            raise ConfigError(
                f"--neighbour must be 2 digits other than the province's {province} "
                f"(got {code!r})"
            )
    if len(set(neighbours)) != len(neighbours):
        raise ConfigError(f"--neighbour given twice: {', '.join(neighbours)}")


__all__ = ["SynthConfig", "parse_month"]
