"""Cost of one service from a norm: quantities × a dated price book, in ``Decimal``.

Roll-up follows the price structure of TT 21/2024/TT-BYT: direct costs, salary costs,
management costs, depreciation. Equipment cost per minute is the annual fixed cost
(capital + maintenance) over the minutes it is spread on:

* capital, straight line (TT 23/2023/TT-BTC): ``value / useful_life``; annuity (the
  CMS practice-expense form): ``value × i / (1 − (1 + i)^−life)``;
* maintenance: ``value × maintenance_rate`` per year;
* minutes spread on: with no volume, ``minutes_per_year × utilisation`` (the line's
  declared utilisation, else the reference one); with an annual volume ``V``,
  ``clamp(V × minutes_per_service, floor × capacity, ceiling × capacity)``.

Below the floor, the part of the annual fixed cost that the services performed do not
carry is reported as *idle capacity*, never loaded onto the services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from giamdinh.domain.money import amount
from giamdinh.norms.model import (
    CostParams,
    DepreciationMethod,
    LineCategory,
    PriceComponent,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from giamdinh.norms.model import NormLineSpec, PriceBook

ZERO = Decimal(0)
ONE = Decimal(1)


def annuity_factor(rate: Decimal, years: Decimal) -> Decimal:
    """Return ``i / (1 − (1 + i)^−n)``; with ``i = 0`` it is ``1 / n``.

    Args:
        rate: Interest rate per year, e.g. ``Decimal("0.05")``.
        years: Useful life in years (whole or fractional).
    """
    if years <= 0:
        msg = f"useful life must be positive, got {years}"
        raise ValueError(msg)
    if rate == 0:
        return ONE / years
    return rate / (ONE - (ONE + rate) ** (-years))


def annual_capital_cost(
    value: Decimal, *, life_years: Decimal, method: DepreciationMethod, rate: Decimal
) -> Decimal:
    """Return the capital cost of one year of a machine worth ``value``."""
    if method is DepreciationMethod.STRAIGHT_LINE:
        if life_years <= 0:
            msg = f"useful life must be positive, got {life_years}"
            raise ValueError(msg)
        return value / life_years
    return value * annuity_factor(rate, life_years)


def labour_rate_per_minute(
    *,
    annual_salary: Decimal,
    allowances: Decimal,
    contributions: Decimal,
    practical_minutes: Decimal,
) -> Decimal:
    """Return (salary + allowances + contributions) / practical minutes per year."""
    return (annual_salary + allowances + contributions) / practical_minutes


@dataclass(frozen=True, slots=True, kw_only=True)
class CostLine:
    """The money of one norm line, with where its price came from."""

    line_no: int
    category: LineCategory
    resource_code: str
    component: PriceComponent
    fixed: bool
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    price_source: str  # book | draft | missing
    included_in_price: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class EquipmentCost:
    """How one machine's annual fixed cost became a cost per minute."""

    line_no: int
    resource_code: str
    purchase_value: Decimal
    useful_life_years: Decimal
    annual_capital: Decimal
    annual_maintenance: Decimal
    capacity_minutes: Decimal
    used_minutes: Decimal | None
    spread_minutes: Decimal
    utilisation_applied: Decimal
    cost_per_minute: Decimal
    minutes_per_service: Decimal
    idle_capacity_cost: Decimal | None
    value_source: str

    @property
    def annual_fixed_cost(self) -> Decimal:
        """Return capital + maintenance per year."""
        return self.annual_capital + self.annual_maintenance


@dataclass(frozen=True, slots=True, kw_only=True)
class CostBreakdown:
    """Unit cost of one service, by price component, variable and fixed parts."""

    lines: tuple[CostLine, ...]
    equipment: tuple[EquipmentCost, ...]
    components: dict[PriceComponent, Decimal]
    variable: Decimal
    fixed: Decimal
    unit_cost: Decimal
    excluded_from_price: Decimal
    idle_capacity_cost: Decimal | None
    missing_prices: tuple[str, ...]
    params: CostParams
    price_book: str
    notes: tuple[str, ...] = field(default=())


def _price(
    book: PriceBook, kind: str, code: str, declared: Decimal | None
) -> tuple[Decimal, str]:
    entry = book.get(kind, code)
    if entry is not None:
        return entry.price, "book"
    if declared is not None:
        return declared, "draft"
    return ZERO, "missing"


def _clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(value, high))


def equipment_cost(
    line: NormLineSpec, book: PriceBook, params: CostParams
) -> EquipmentCost | None:
    """Return the cost per minute of the machine of an equipment line.

    Returns ``None`` when the purchase value, useful life or minutes per year are
    known neither in the price book nor on the line.
    """
    entry = book.get("equipment", line.resource_code)
    value = entry.price if entry is not None else line.purchase_value
    life = (entry.useful_life_years if entry is not None else None) or (
        line.useful_life_years
    )
    capacity = (entry.minutes_per_year if entry is not None else None) or (
        line.minutes_per_year
    )
    maintenance_rate = (entry.maintenance_rate if entry is not None else None) or (
        line.maintenance_rate or ZERO
    )
    if value is None or life is None or capacity is None or capacity <= 0:
        return None
    capital = annual_capital_cost(
        value, life_years=life, method=params.method, rate=params.interest_rate
    )
    maintenance = value * maintenance_rate
    fixed = capital + maintenance
    minutes = line.minutes or ZERO
    used: Decimal | None = None
    idle: Decimal | None = None
    if params.annual_volume is None:
        utilisation = line.utilisation or params.reference_utilisation
        spread = capacity * utilisation
    else:
        used = params.annual_volume * minutes
        spread = _clamp(used, params.floor * capacity, params.ceiling * capacity)
        if spread <= 0:
            spread = params.floor * capacity
        utilisation = spread / capacity
    per_minute = fixed / spread
    if used is not None:
        idle = max(ZERO, fixed - per_minute * used)
    return EquipmentCost(
        line_no=line.line_no,
        resource_code=line.resource_code,
        purchase_value=value,
        useful_life_years=life,
        annual_capital=capital,
        annual_maintenance=maintenance,
        capacity_minutes=capacity,
        used_minutes=used,
        spread_minutes=spread,
        utilisation_applied=utilisation,
        cost_per_minute=per_minute,
        minutes_per_service=minutes,
        idle_capacity_cost=idle,
        value_source="book" if entry is not None else "draft",
    )


def _line_costs(
    line: NormLineSpec,
    book: PriceBook,
    params: CostParams,
    equipment: list[EquipmentCost],
    missing: list[str],
) -> list[CostLine]:
    category = line.category
    if category is LineCategory.EQUIPMENT:
        cost = equipment_cost(line, book, params)
        if cost is None:
            missing.append(f"equipment:{line.resource_code}")
            return []
        equipment.append(cost)
        share_capital = cost.annual_capital / cost.spread_minutes
        share_upkeep = cost.annual_maintenance / cost.spread_minutes
        minutes = cost.minutes_per_service
        return [
            CostLine(
                line_no=line.line_no,
                category=category,
                resource_code=line.resource_code,
                component=PriceComponent.DEPRECIATION,
                fixed=True,
                quantity=minutes,
                unit_price=share_capital,
                amount=minutes * share_capital,
                price_source=cost.value_source,
            ),
            CostLine(
                line_no=line.line_no,
                category=category,
                resource_code=line.resource_code,
                component=PriceComponent.DIRECT,
                fixed=True,
                quantity=minutes,
                unit_price=share_upkeep,
                amount=minutes * share_upkeep,
                price_source=cost.value_source,
            ),
        ]
    kind = category.price_kind
    if category is LineCategory.LABOUR:
        quantity = (line.persons or ONE) * (line.minutes or ZERO)
        component = PriceComponent.SALARY
        code = line.resource_code
    else:
        quantity = line.quantity or ZERO
        component = PriceComponent.DIRECT
        code = line.resource_code
    unit_price, source = _price(book, kind, code, line.unit_price)
    if source == "missing" and kind == "tariff":
        unit_price, source = _price(book, kind, category.value, line.unit_price)
    if source == "missing":
        missing.append(f"{kind}:{code}")
    return [
        CostLine(
            line_no=line.line_no,
            category=category,
            resource_code=line.resource_code,
            component=component,
            fixed=False,
            quantity=quantity,
            unit_price=unit_price,
            amount=quantity * unit_price,
            price_source=source,
            included_in_price=line.included_in_price,
        )
    ]


def cost_service(
    lines: Iterable[NormLineSpec],
    book: PriceBook,
    params: CostParams | None = None,
) -> CostBreakdown:
    """Price one service of a norm with ``book`` under ``params``.

    Args:
        lines: The bill of resources (a draft's or a national norm's lines).
        book: The dated price book; a line's own declared price is used only when
            the book has none (reported as ``price_source="draft"``).
        params: Depreciation method, volume, floor/ceiling; defaults if omitted.

    Returns:
        The breakdown. The unit cost and the fixed part are rounded once from full
        precision (2 decimals, half-up) and ``variable = unit_cost − fixed``; each
        component is rounded on its own, so their sum may differ from the unit cost
        by a cent. Line amounts keep full precision.
    """
    params = params or CostParams()
    equipment: list[EquipmentCost] = []
    missing: list[str] = []
    cost_lines: list[CostLine] = []
    for line in lines:
        cost_lines.extend(_line_costs(line, book, params, equipment, missing))
    raw = dict.fromkeys(PriceComponent, ZERO)
    variable = ZERO
    fixed = ZERO
    excluded = ZERO
    for item in cost_lines:
        if not item.included_in_price:
            excluded += item.amount
            continue
        raw[item.component] += item.amount
        if item.fixed:
            fixed += item.amount
        else:
            variable += item.amount
    base = raw[PriceComponent.DIRECT] + raw[PriceComponent.SALARY]
    management = base * book.management_rate
    raw[PriceComponent.MANAGEMENT] = management
    if base > 0 and management > 0:
        fixed_base = sum(
            (
                c.amount
                for c in cost_lines
                if c.fixed
                and c.included_in_price
                and c.component in (PriceComponent.DIRECT, PriceComponent.SALARY)
            ),
            ZERO,
        )
        fixed_management = management * fixed_base / base
        fixed += fixed_management
        variable += management - fixed_management
    components = {key: amount(value) for key, value in raw.items()}
    idle_values = [e.idle_capacity_cost for e in equipment]
    idle = (
        amount(sum((v for v in idle_values if v is not None), ZERO))
        if params.annual_volume is not None and equipment
        else None
    )
    return CostBreakdown(
        lines=tuple(cost_lines),
        equipment=tuple(equipment),
        components=components,
        variable=amount(variable + fixed) - amount(fixed),
        fixed=amount(fixed),
        unit_cost=amount(variable + fixed),
        excluded_from_price=amount(excluded),
        idle_capacity_cost=idle,
        missing_prices=tuple(dict.fromkeys(missing)),
        params=params,
        price_book=book.code,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class VolumePoint:
    """Unit cost at one annual volume."""

    volume: Decimal
    unit_cost: Decimal
    fixed: Decimal
    variable: Decimal
    idle_capacity_cost: Decimal | None


def volume_curve(
    lines: Sequence[NormLineSpec],
    book: PriceBook,
    params: CostParams,
    volumes: Iterable[Decimal],
) -> list[VolumePoint]:
    """Return the unit cost as a function of annual volume (fixed cost / clamp)."""
    points: list[VolumePoint] = []
    for volume in volumes:
        result = cost_service(lines, book, _with_volume(params, volume))
        points.append(
            VolumePoint(
                volume=volume,
                unit_cost=result.unit_cost,
                fixed=result.fixed,
                variable=result.variable,
                idle_capacity_cost=result.idle_capacity_cost,
            )
        )
    return points


def _with_volume(params: CostParams, volume: Decimal | None) -> CostParams:
    return CostParams(
        method=params.method,
        interest_rate=params.interest_rate,
        annual_volume=volume,
        floor=params.floor,
        ceiling=params.ceiling,
        reference_utilisation=params.reference_utilisation,
    )


def with_volume(params: CostParams, volume: Decimal | None) -> CostParams:
    """Return a copy of ``params`` with ``annual_volume`` replaced."""
    return _with_volume(params, volume)


def service_capacity(lines: Iterable[NormLineSpec], book: PriceBook) -> Decimal | None:
    """Return the services per year the busiest machine allows (``None``: no machine).

    Capacity of a machine in services = minutes per year / minutes per service; the
    technique's capacity is the smallest over its machines.
    """
    capacities: list[Decimal] = []
    for line in lines:
        if line.category is not LineCategory.EQUIPMENT or not line.minutes:
            continue
        entry = book.get("equipment", line.resource_code)
        minutes = (entry.minutes_per_year if entry is not None else None) or (
            line.minutes_per_year
        )
        if minutes:
            capacities.append(minutes / line.minutes)
    return min(capacities) if capacities else None
