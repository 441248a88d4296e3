"""Norm-based unit cost of each claimed service at the facility's own annual volume.

The policy replay's "price" options ask: what would a service cost if it were paid at
its norm, costed at the volume the facility really does (seed 000: a cancer hospital
doing many radiotherapy sessions gets a lower cost per session than a provincial one)?
This module answers per (``MA_CSKCB``, ``MA_DICH_VU``) with pure functions; it reads no
database and no claim store: the caller passes the norms, a price book and the annual
volumes counted from the claims.

**From a claim's service code to a norm's technique** (``technique_of_service``). A
technical service is billed as ``MA_DICH_VU`` = ``XX.YYYY.ZZZZ`` (QĐ 130/4750, XML3):
``XX.YYYY`` is the technique of TT 23/2024/TT-BYT appendix 01 (chapter ``XX``, number
``YYYY``, the numbering of TT 43/2013 and TT 21/2017; ``technique_chapters_tt43_tt21``),
``ZZZZ`` the price code of the service. Suffixes do not change the technique:
``_GT`` (done under local anaesthesia), ``_TB`` (ordered, not completed), ``.K.WWWWW``
(sample or patient sent to facility ``WWWWW``); ``XX.YYYY.0000`` is a service approved
without a price. A norm is looked up by the service code without its suffix first (a
norm may be drawn up for one service), then by its technique ``XX.YYYY``. Codes of
another shape are not techniques and are reported, never guessed: examinations
(``K01.NG1``...), bed days (``XX.YY``), transport (``VC.XXXXX``), and the few lettered
numbers (``27.205b.xxxx``) that have no ``XX.YYYY`` form.

**Volume.** The volume a facility's cost is spread over is its annual volume of the
*technique*: the volumes of all its service codes that map to one technique are added
(variants of a technique share its machines), and each of those codes gets the same
unit cost. The cost itself is :func:`giamdinh.norms.cost.cost_service` at that volume:
the fixed cost of each machine is spread over ``clamp(V × minutes, floor × capacity,
ceiling × capacity)``; below the floor the part of the fixed cost the services do not
carry is **idle capacity**, reported (in đồng a year and as a share of the machines'
annual fixed cost), never loaded onto the services.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from giamdinh.domain.money import amount
from giamdinh.errors import ConfigError
from giamdinh.norms.cost import CostBreakdown, cost_service, with_volume
from giamdinh.norms.model import CostParams

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from sqlalchemy.orm import Session

    from giamdinh.norms.model import NormLineSpec, PriceBook

SERVICE_CODE = re.compile(
    r"(?P<technique>\d{2}\.\d{4})\.(?P<price>\d{4})(?P<suffix>_GT|_TB|\.K\.\w+)?"
)
TECHNIQUE_CODE = re.compile(r"\d{2}\.\d{4}")
SHARE_QUANTUM = Decimal("0.0001")
ZERO = Decimal(0)


class Unmapped(StrEnum):
    """Why a claimed service got no norm-based cost."""

    NOT_A_TECHNIQUE = "not_a_technique"
    NO_NORM = "no_norm"

    @property
    def label_vi(self) -> str:
        """Return the Vietnamese reason."""
        if self is Unmapped.NOT_A_TECHNIQUE:
            return "Mã dịch vụ không phải mã kỹ thuật XX.YYYY.ZZZZ"
        return "Kỹ thuật chưa có định mức"


@dataclass(frozen=True, slots=True, kw_only=True)
class TechniqueNorm:
    """The norm of one technique the costing uses.

    Attributes:
        technique_code: ``XX.YYYY`` (or a service code ``XX.YYYY.ZZZZ`` when the norm
            was drawn up for one service).
        lines: The bill of resources (quantities only).
        origin: Where the norm comes from, e.g. ``national v2 (median)``.
        technique_name: The technique's name, if known.
    """

    technique_code: str
    lines: tuple[NormLineSpec, ...]
    origin: str
    technique_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VolumePrice:
    """Norm-based unit cost of one service at one facility's annual volume.

    Attributes:
        facility_code: ``MA_CSKCB``.
        service_code: ``MA_DICH_VU`` as claimed.
        technique_code: The norm's technique the service maps to.
        norm_origin: ``TechniqueNorm.origin``.
        price_book: Code of the price book used.
        annual_volume: The facility's services of the technique a year (all its
            service codes of the technique added).
        unit_cost: Cost of one service, đồng, rounded once (2 decimals, half-up).
        fixed: The fixed (machine) part of ``unit_cost``.
        variable: ``unit_cost − fixed``.
        idle_capacity_cost: Fixed cost a year the services do not carry (below the
            floor), đồng; ``None`` when the norm has no machine.
        idle_share: ``idle_capacity_cost`` / annual fixed cost of the machines
            (4 decimals); ``None`` when the norm has no machine.
        below_floor: A machine is used below the floor utilisation.
        missing_prices: Resources the price book and the norm do not price.
    """

    facility_code: str
    service_code: str
    technique_code: str
    norm_origin: str
    price_book: str
    annual_volume: Decimal
    unit_cost: Decimal
    fixed: Decimal
    variable: Decimal
    idle_capacity_cost: Decimal | None
    idle_share: Decimal | None
    below_floor: bool
    missing_prices: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class UnmappedService:
    """A claimed service with no norm-based cost, and why."""

    facility_code: str
    service_code: str
    reason: Unmapped
    technique_code: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VolumePrices:
    """The result: costs by (``MA_CSKCB``, ``MA_DICH_VU``) and what was not costed."""

    prices: dict[tuple[str, str], VolumePrice]
    unmapped: tuple[UnmappedService, ...]


def technique_of_service(service_code: str) -> str | None:
    """Return the technique ``XX.YYYY`` of a claimed ``MA_DICH_VU``, or ``None``.

    ``18.0119.0028`` → ``18.0119``; ``03.1615.0575_GT`` → ``03.1615``;
    ``22.0120.1370.K.92003`` → ``22.0120``; ``K01.NG1``, ``02.03``, ``VC.92003``,
    ``27.205b.0712`` → ``None`` (not a technique; see the module docstring).
    """
    match = SERVICE_CODE.fullmatch(service_code.strip())
    return match.group("technique") if match else None


def _norm_for(
    service_code: str, *, technique: str, norms: Mapping[str, TechniqueNorm]
) -> TechniqueNorm | None:
    base = service_code.strip()
    match = SERVICE_CODE.fullmatch(base)
    if match is not None and match.group("suffix"):
        base = base[: match.start("suffix")]
    return norms.get(base) or norms.get(technique)


def norm_prices_at_volume(
    *,
    norms: Iterable[TechniqueNorm],
    book: PriceBook,
    volumes: Mapping[tuple[str, str], Decimal | int],
    params: CostParams | None = None,
) -> VolumePrices:
    """Cost every (``MA_CSKCB``, ``MA_DICH_VU``) at the facility's annual volume.

    Args:
        norms: The norm of each technique (national norms: :func:`stored_norms`;
            without a database: :func:`demo_norms`).
        book: The dated price book the norms are priced with.
        volumes: Annual number of services by (``MA_CSKCB``, ``MA_DICH_VU``), as
            counted from the claims (``SO_LUONG`` summed over a year).
        params: Depreciation method, floor and ceiling; ``annual_volume`` is
            replaced by each facility's volume.

    Returns:
        One :class:`VolumePrice` per costed key and the services that could not be
        costed, in the order of ``volumes``.

    Raises:
        ConfigError: A volume is negative, naming facility, service and value.
    """
    params = params or CostParams()
    by_code = {norm.technique_code: norm for norm in norms}
    totals: dict[tuple[str, str], Decimal] = {}
    mapped: list[tuple[str, str, TechniqueNorm]] = []
    unmapped: list[UnmappedService] = []
    for (facility, service), raw in volumes.items():
        volume = Decimal(raw)
        if volume < 0:
            msg = (
                f"sản lượng âm: MA_CSKCB {facility}, MA_DICH_VU {service}, {raw} / "
                f"negative volume: MA_CSKCB {facility}, MA_DICH_VU {service}, {raw}"
            )
            raise ConfigError(msg)
        technique = technique_of_service(service)
        if technique is None:
            unmapped.append(
                UnmappedService(
                    facility_code=facility,
                    service_code=service,
                    reason=Unmapped.NOT_A_TECHNIQUE,
                )
            )
            continue
        norm = _norm_for(service, technique=technique, norms=by_code)
        if norm is None:
            unmapped.append(
                UnmappedService(
                    facility_code=facility,
                    service_code=service,
                    reason=Unmapped.NO_NORM,
                    technique_code=technique,
                )
            )
            continue
        key = (facility, norm.technique_code)
        totals[key] = totals.get(key, ZERO) + volume
        mapped.append((facility, service, norm))
    costed: dict[tuple[str, str], CostBreakdown] = {}
    prices: dict[tuple[str, str], VolumePrice] = {}
    for facility, service, norm in mapped:
        key = (facility, norm.technique_code)
        total = totals[key]
        if key not in costed:
            costed[key] = cost_service(norm.lines, book, with_volume(params, total))
        prices[(facility, service)] = _price(
            facility=facility,
            service=service,
            norm=norm,
            total=total,
            breakdown=costed[key],
        )
    return VolumePrices(prices=prices, unmapped=tuple(unmapped))


def _price(
    *,
    facility: str,
    service: str,
    norm: TechniqueNorm,
    total: Decimal,
    breakdown: CostBreakdown,
) -> VolumePrice:
    fixed_a_year = sum((e.annual_fixed_cost for e in breakdown.equipment), ZERO)
    idle = breakdown.idle_capacity_cost
    share = (
        (idle / fixed_a_year).quantize(SHARE_QUANTUM, rounding=ROUND_HALF_UP)
        if idle is not None and fixed_a_year > 0
        else None
    )
    below = any(
        e.used_minutes is not None and e.used_minutes < e.spread_minutes
        for e in breakdown.equipment
    )
    return VolumePrice(
        facility_code=facility,
        service_code=service,
        technique_code=norm.technique_code,
        norm_origin=norm.origin,
        price_book=breakdown.price_book,
        annual_volume=total,
        unit_cost=breakdown.unit_cost,
        fixed=breakdown.fixed,
        variable=breakdown.variable,
        idle_capacity_cost=amount(idle) if idle is not None else None,
        idle_share=share,
        below_floor=below,
        missing_prices=breakdown.missing_prices,
    )


def stored_norms(session: Session) -> list[TechniqueNorm]:
    """Return the newest national norm of every technique in the norms store."""
    from giamdinh.norms.store import latest_national, national_lines  # noqa: PLC0415

    return [
        TechniqueNorm(
            technique_code=norm.technique_code,
            lines=national_lines(norm),
            origin=f"national v{norm.version} ({norm.method})",
        )
        for norm in latest_national(session)
    ]


DEMO_DRAFTING_HOSPITALS = ("BACHMAI", "CHORAY", "HUETW")


def demo_norms(seed: int = 0) -> list[TechniqueNorm]:
    """Return norms of the demo's 35 imaging and radiotherapy techniques, no database.

    Each is the median consolidation of synthetic drafts by three hospitals
    (``DEMO_DRAFTING_HOSPITALS``), built with the module's own model from the demo
    templates (:mod:`giamdinh.norms.demo`); price them with
    :func:`giamdinh.norms.demo.demo_price_book`. The imaging ones carry the codes the
    synthetic province bills (``18.0119`` chest X-ray, ``18.0165`` head CT,
    ``18.0296`` head MRI, ``18.0015`` abdominal ultrasound...). Quantities are
    synthetic and say so in ``origin``.
    """
    from giamdinh.norms.consolidate import consolidate  # noqa: PLC0415
    from giamdinh.norms.demo import draft_for, technique_templates  # noqa: PLC0415

    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    result: list[TechniqueNorm] = []
    for template in technique_templates():
        drafts = [
            draft_for(template, hospital, rng, outlier=False)
            for hospital in DEMO_DRAFTING_HOSPITALS
        ]
        national = consolidate(drafts)
        result.append(
            TechniqueNorm(
                technique_code=template.code,
                lines=national.norm_lines(),
                origin=f"demo: median of {len(drafts)} synthetic drafts",
                technique_name=template.name,
            )
        )
    return result
