"""Compare drafts of several hospitals line by line and consolidate a national norm.

Definitions (one place, used everywhere):

* **Line key**: ``(category, resource_code)``. The compared quantity is staff-minutes
  (persons × minutes) for labour, machine minutes for equipment, the quantity for
  every other line.
* **Quantiles**: ``statistics.quantiles(values, n=4, method="inclusive")``, i.e. linear
  interpolation between order statistics (Hyndman & Fan type 7, numpy's default).
* **Outliers**: with at least 3 hospitals, a hospital's value ``x`` is an outlier when
  ``|x − median| > max(3 × 1.4826 × MAD, 0.25 × |median|)`` (MAD = median absolute
  deviation; 1.4826 × MAD estimates the standard deviation under normality, so this
  is a robust z-score above 3). The 25 % floor keeps ordinary variation from being
  called "far from the others" when the other hospitals agree almost exactly (MAD
  near or at 0).
* **Methods**: median (default); volume-weighted mean ``Σ V_h q_h / Σ V_h`` (hospitals
  without a volume are left out; if none has one, the plain mean is used and said);
  25th percentile; minimum; trimmed mean = mean of the values that are not outliers.
* **Conditional lines**: a line present in fewer than ``min_share`` (default 50 %) of
  the drafts is marked conditional and left out of the national norm unless an
  override gives it a value.
* **Overrides**: a reviewer may replace any computed value; a reason and a reviewer
  are mandatory.
* Money is never consolidated: the national norm holds quantities, priced with one
  price book by :func:`giamdinh.norms.cost.cost_service`.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from giamdinh.domain.money import quantity
from giamdinh.errors import ConfigError
from giamdinh.norms.cost import (
    cost_service,
    service_capacity,
    with_volume,
)
from giamdinh.norms.model import CostParams, LineCategory, NormLineSpec

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from giamdinh.norms.model import DraftSpec, PriceBook

ZERO = Decimal(0)
MAD_SCALE = Decimal("1.4826")
OUTLIER_Z = Decimal(3)
MIN_RELATIVE_DEVIATION = Decimal("0.25")
MIN_FOR_OUTLIERS = 3


class Method(StrEnum):
    """How the national value of a line is chosen from the hospitals' values."""

    MEDIAN = "median"
    VOLUME_WEIGHTED_MEAN = "volume_weighted_mean"
    P25 = "p25"
    MINIMUM = "minimum"
    TRIMMED_MEAN = "trimmed_mean"


@dataclass(frozen=True, slots=True, kw_only=True)
class LineStats:
    """One line across hospitals: values, spread and outliers."""

    category: LineCategory
    resource_code: str
    resource_name: str | None
    unit: str | None
    values: dict[str, Decimal]
    persons: dict[str, Decimal]
    volumes: dict[str, Decimal]
    n: int
    n_drafts: int
    minimum: Decimal
    p25: Decimal
    median: Decimal
    p75: Decimal
    maximum: Decimal
    mad: Decimal
    outliers: tuple[str, ...]
    conditional: bool

    @property
    def key(self) -> tuple[str, str]:
        """Return ``(category, resource_code)``."""
        return (self.category.value, self.resource_code)

    @property
    def iqr(self) -> Decimal:
        """Return the interquartile range P75 − P25."""
        return self.p75 - self.p25


@dataclass(frozen=True, slots=True, kw_only=True)
class Override:
    """A reviewer's value for a line, with the mandatory reason."""

    category: LineCategory
    resource_code: str
    value: Decimal
    reason: str
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsolidatedLine:
    """The national value of one line and how it was reached."""

    stats: LineStats
    method: Method
    computed: Decimal | None
    value: Decimal | None
    persons: Decimal | None
    override: Override | None
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Consolidation:
    """A consolidated national norm for one technique (quantities only)."""

    technique_code: str
    method: Method
    hospitals: tuple[str, ...]
    lines: tuple[ConsolidatedLine, ...]

    def norm_lines(self) -> tuple[NormLineSpec, ...]:
        """Return the national bill of resources (lines with a value)."""
        result: list[NormLineSpec] = []
        for number, line in enumerate(
            (item for item in self.lines if item.value is not None), start=1
        ):
            value = line.value
            assert value is not None  # noqa: S101 - filtered just above
            stats = line.stats
            common = {
                "line_no": number,
                "category": stats.category,
                "resource_code": stats.resource_code,
                "resource_name": stats.resource_name,
                "unit": stats.unit,
            }
            if stats.category is LineCategory.LABOUR:
                persons = line.persons or Decimal(1)
                result.append(
                    NormLineSpec(**common, persons=persons, minutes=value / persons)  # type: ignore[arg-type]
                )
            elif stats.category is LineCategory.EQUIPMENT:
                result.append(NormLineSpec(**common, minutes=value))  # type: ignore[arg-type]
            else:
                result.append(NormLineSpec(**common, quantity=value))  # type: ignore[arg-type]
        return tuple(result)


def _quartiles(values: Sequence[Decimal]) -> tuple[Decimal, Decimal, Decimal]:
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def find_outliers(values: dict[str, Decimal]) -> tuple[tuple[str, ...], Decimal]:
    """Return the hospitals whose value is an outlier, and the MAD (module rule)."""
    if not values:
        return (), ZERO
    data = list(values.values())
    median = statistics.median(data)
    mad = statistics.median([abs(x - median) for x in data])
    if len(data) < MIN_FOR_OUTLIERS:
        return (), mad
    limit = max(OUTLIER_Z * MAD_SCALE * mad, MIN_RELATIVE_DEVIATION * abs(median))
    flagged = tuple(
        sorted(code for code, x in values.items() if abs(x - median) > limit)
    )
    return flagged, mad


def compare(
    drafts: Sequence[DraftSpec], *, min_share: Decimal = Decimal("0.5")
) -> list[LineStats]:
    """Align the drafts of several hospitals line by line.

    Args:
        drafts: One draft per hospital (the latest version) for the same technique.
        min_share: Lines in fewer than this share of drafts are conditional.

    Returns:
        One :class:`LineStats` per line key, in the order of first appearance.
    """
    techniques = {d.technique_code for d in drafts}
    if len(techniques) > 1:
        msg = f"drafts of several techniques cannot be compared: {sorted(techniques)}"
        raise ConfigError(msg)
    n_drafts = len(drafts)
    order: list[tuple[str, str]] = []
    first: dict[tuple[str, str], NormLineSpec] = {}
    values: dict[tuple[str, str], dict[str, Decimal]] = {}
    persons: dict[tuple[str, str], dict[str, Decimal]] = {}
    volumes: dict[str, Decimal] = {}
    for draft in drafts:
        if draft.annual_volume is not None:
            volumes[draft.hospital_code] = draft.annual_volume
        for line in draft.lines:
            key = line.key
            if key not in first:
                first[key] = line
                order.append(key)
                values[key] = {}
                persons[key] = {}
            # Two lines with the same key in one draft are added together.
            current = values[key].get(draft.hospital_code, ZERO)
            values[key][draft.hospital_code] = current + line.compared_quantity
            if line.category is LineCategory.LABOUR:
                persons[key][draft.hospital_code] = persons[key].get(
                    draft.hospital_code, ZERO
                ) + (line.persons or Decimal(1))
    result: list[LineStats] = []
    for key in order:
        line = first[key]
        hospital_values = values[key]
        data = sorted(hospital_values.values())
        q1, q2, q3 = _quartiles(data)
        outliers, mad = find_outliers(hospital_values)
        n = len(data)
        result.append(
            LineStats(
                category=line.category,
                resource_code=line.resource_code,
                resource_name=line.resource_name,
                unit=line.unit,
                values=dict(hospital_values),
                persons=dict(persons[key]),
                volumes={h: v for h, v in volumes.items() if h in hospital_values},
                n=n,
                n_drafts=n_drafts,
                minimum=data[0],
                p25=q1,
                median=q2,
                p75=q3,
                maximum=data[-1],
                mad=mad,
                outliers=outliers,
                conditional=Decimal(n) < min_share * Decimal(n_drafts),
            )
        )
    return result


def apply_method(stats: LineStats, method: Method) -> tuple[Decimal, str | None]:
    """Return the value of one line under ``method`` and an explanatory note."""
    data = list(stats.values.values())
    if method is Method.MEDIAN:
        return stats.median, None
    if method is Method.P25:
        return stats.p25, None
    if method is Method.MINIMUM:
        return stats.minimum, "minimum: needs a reviewer's sign-off"
    if method is Method.TRIMMED_MEAN:
        kept = [v for h, v in stats.values.items() if h not in stats.outliers]
        return sum(kept, ZERO) / len(kept), (
            f"outliers left out: {', '.join(stats.outliers)}"
            if stats.outliers
            else None
        )
    weighted = [
        (stats.volumes[h], v)
        for h, v in stats.values.items()
        if stats.volumes.get(h, ZERO) > 0
    ]
    if not weighted:
        return sum(data, ZERO) / len(data), "no volumes: plain mean used"
    total = sum((w for w, _ in weighted), ZERO)
    return sum((w * v for w, v in weighted), ZERO) / total, None


def consolidate(
    drafts: Sequence[DraftSpec],
    *,
    method: Method = Method.MEDIAN,
    overrides: Iterable[Override] = (),
    min_share: Decimal = Decimal("0.5"),
) -> Consolidation:
    """Consolidate the drafts of one technique into national quantities per line.

    Raises:
        ConfigError: No drafts, drafts of several techniques, or an override without
            a reason or reviewer, or naming a line no draft has.
    """
    if not drafts:
        msg = "nothing to consolidate: no drafts were given"
        raise ConfigError(msg)
    table = compare(drafts, min_share=min_share)
    by_key = {stats.key: stats for stats in table}
    override_map: dict[tuple[str, str], Override] = {}
    for item in overrides:
        key = (item.category.value, item.resource_code)
        if not item.reason.strip() or not item.by.strip():
            msg = (
                f"điều chỉnh {key[0]} {key[1]} cần lý do và người thẩm định / "
                f"override of {key[0]} {key[1]} needs a reason and a reviewer"
            )
            raise ConfigError(msg)
        if key not in by_key:
            msg = (
                f"không dự thảo nào có dòng {key[0]} {key[1]} / "
                f"override names line {key[0]} {key[1]}, which no draft has"
            )
            raise ConfigError(msg)
        override_map[key] = item
    lines: list[ConsolidatedLine] = []
    for stats in table:
        computed, note = apply_method(stats, method)
        computed = quantity(computed)
        chosen: Decimal | None = None if stats.conditional else computed
        if stats.conditional:
            note = f"conditional: in {stats.n} of {stats.n_drafts} drafts"
        override = override_map.get(stats.key)
        if override is not None:
            chosen = override.value
        persons = (
            quantity(statistics.median(list(stats.persons.values())))
            if stats.persons
            else None
        )
        lines.append(
            ConsolidatedLine(
                stats=stats,
                method=method,
                computed=computed,
                value=chosen,
                persons=persons,
                override=override,
                note=note,
            )
        )
    hospitals = tuple(d.hospital_code for d in drafts)
    return Consolidation(
        technique_code=drafts[0].technique_code,
        method=method,
        hospitals=hospitals,
        lines=tuple(lines),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class VolumeBand:
    """A range of annual volume and the per-service norm that applies in it."""

    low: Decimal
    high: Decimal | None
    representative: Decimal
    unit_cost: Decimal
    fixed: Decimal

    @property
    def label(self) -> str:
        """Return e.g. ``15000–22500`` or ``≥ 28500``."""
        if self.high is None:
            return f"≥ {self.low:,.0f}"
        return f"{self.low:,.0f}–{self.high:,.0f}"


MIN_FIXED_SHARE = Decimal("0.10")


def volume_bands(
    lines: Sequence[NormLineSpec],
    book: PriceBook,
    params: CostParams,
    edges: Sequence[Decimal] | None = None,
) -> list[VolumeBand]:
    """Return volume bands when fixed costs make the unit cost depend on volume.

    No bands are returned when the fixed part is under 10 % of the unit cost at the
    reference utilisation (volume barely matters). Default edges are the floor,
    reference and ceiling utilisations times the technique's service capacity; each
    band's norm is the unit cost at its midpoint (at its lower edge for the last,
    open band).
    """
    reference = cost_service(lines, book, with_volume(params, None))
    if (
        reference.unit_cost <= 0
        or reference.fixed < MIN_FIXED_SHARE * reference.unit_cost
    ):
        return []
    if edges is None:
        capacity = service_capacity(lines, book)
        if capacity is None:
            return []
        edges = [
            (params.floor * capacity).to_integral_value(),
            (params.reference_utilisation * capacity).to_integral_value(),
            (params.ceiling * capacity).to_integral_value(),
        ]
    points = sorted(set(edges))
    bounds: list[tuple[Decimal, Decimal | None]] = []
    low = ZERO
    for edge in points:
        if edge > low:
            bounds.append((low, edge))
            low = edge
    bounds.append((low, None))
    bands: list[VolumeBand] = []
    for band_low, band_high in bounds:
        representative = band_low if band_high is None else (band_low + band_high) / 2
        result = cost_service(lines, book, with_volume(params, representative))
        bands.append(
            VolumeBand(
                low=band_low,
                high=band_high,
                representative=representative,
                unit_cost=result.unit_cost,
                fixed=result.fixed,
            )
        )
    return bands
