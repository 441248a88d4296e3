"""Plain types of a norm: lines, drafts, price books, costing parameters.

A norm is a *bill of resources*: quantities only. Money comes from joining a dated
:class:`PriceBook` (see :mod:`giamdinh.norms.cost`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import date


class LineCategory(StrEnum):
    """What a norm line consumes; each category rolls up to one price component."""

    LABOUR = "labour"
    DRUG = "drug"
    CHEMICAL = "chemical"
    BLOOD = "blood"
    SUPPLY = "supply"
    REPLACEMENT_TOOL = "replacement_tool"
    EQUIPMENT = "equipment"
    ELECTRICITY = "electricity"
    WATER = "water"
    WASTE = "waste"
    LAUNDRY = "laundry"
    STERILISATION = "sterilisation"
    MAINTENANCE = "maintenance"

    @property
    def label_vi(self) -> str:
        """Return the Vietnamese name of the category."""
        return _CATEGORY_VI[self]

    @property
    def price_kind(self) -> str:
        """Return the price-book kind that prices this category."""
        if self is LineCategory.LABOUR:
            return "labour"
        if self is LineCategory.EQUIPMENT:
            return "equipment"
        if self in ITEM_CATEGORIES:
            return "item"
        return "tariff"


_CATEGORY_VI = {
    LineCategory.LABOUR: "Nhân lực",
    LineCategory.DRUG: "Thuốc",
    LineCategory.CHEMICAL: "Hóa chất",
    LineCategory.BLOOD: "Máu, chế phẩm máu",
    LineCategory.SUPPLY: "Vật tư tiêu hao",
    LineCategory.REPLACEMENT_TOOL: "Vật tư thay thế, công cụ dụng cụ",
    LineCategory.EQUIPMENT: "Trang thiết bị",
    LineCategory.ELECTRICITY: "Điện",
    LineCategory.WATER: "Nước",
    LineCategory.WASTE: "Xử lý chất thải",
    LineCategory.LAUNDRY: "Giặt là",
    LineCategory.STERILISATION: "Tiệt khuẩn, kiểm soát nhiễm khuẩn",
    LineCategory.MAINTENANCE: "Duy tu, bảo dưỡng",
}

ITEM_CATEGORIES = frozenset(
    {
        LineCategory.DRUG,
        LineCategory.CHEMICAL,
        LineCategory.BLOOD,
        LineCategory.SUPPLY,
        LineCategory.REPLACEMENT_TOOL,
    }
)


class PriceComponent(StrEnum):
    """The price structure of TT 21/2024/TT-BYT that every cost rolls up to."""

    DIRECT = "direct"
    SALARY = "salary"
    MANAGEMENT = "management"
    DEPRECIATION = "depreciation"

    @property
    def label_vi(self) -> str:
        """Return the Vietnamese name of the component."""
        return {
            PriceComponent.DIRECT: "Chi phí trực tiếp",
            PriceComponent.SALARY: "Chi phí tiền lương",
            PriceComponent.MANAGEMENT: "Chi phí quản lý",
            PriceComponent.DEPRECIATION: "Chi phí khấu hao TSCĐ",
        }[self]


class DepreciationMethod(StrEnum):
    """How purchase value becomes an annual cost."""

    STRAIGHT_LINE = "straight_line"  # TT 23/2023/TT-BTC: value / useful life
    ANNUITY = "annuity"  # CMS practice-expense form: value × i / (1 − (1 + i)^−n)


@dataclass(frozen=True, slots=True, kw_only=True)
class NormLineSpec:
    """One line of a bill of resources (see ``giamdinh.db.models.norms.NormLine``)."""

    line_no: int
    category: LineCategory
    resource_code: str
    resource_name: str | None = None
    unit: str | None = None
    quantity: Decimal | None = None
    persons: Decimal | None = None
    minutes: Decimal | None = None
    unit_price: Decimal | None = None
    purchase_value: Decimal | None = None
    useful_life_years: Decimal | None = None
    minutes_per_year: Decimal | None = None
    utilisation: Decimal | None = None
    maintenance_rate: Decimal | None = None
    included_in_price: bool = True
    note: str | None = None

    @property
    def compared_quantity(self) -> Decimal:
        """Return the quantity compared across hospitals.

        Labour: staff-minutes (persons × minutes); equipment: machine minutes; every
        other line: its quantity.
        """
        if self.category is LineCategory.LABOUR:
            return (self.persons or Decimal(1)) * (self.minutes or Decimal(0))
        if self.category is LineCategory.EQUIPMENT:
            return self.minutes or Decimal(0)
        return self.quantity or Decimal(0)

    @property
    def key(self) -> tuple[str, str]:
        """Return the line key used to align drafts: ``(category, resource_code)``."""
        return (self.category.value, self.resource_code)


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """A document that backs a draft."""

    kind: str
    title: str
    reference: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DraftSpec:
    """A hospital's draft norm for one technique (one version)."""

    technique_code: str
    hospital_code: str
    lines: tuple[NormLineSpec, ...]
    technique_name: str | None = None
    hospital_name: str | None = None
    annual_volume: Decimal | None = None
    guidance_version: str | None = None
    method: str | None = None
    period_from: date | None = None
    period_to: date | None = None
    evidence: tuple[Evidence, ...] = ()
    version: int = 1
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Price:
    """One price-book entry; equipment entries also carry life, minutes, upkeep."""

    kind: str
    code: str
    price: Decimal
    name: str | None = None
    unit: str | None = None
    useful_life_years: Decimal | None = None
    minutes_per_year: Decimal | None = None
    maintenance_rate: Decimal | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceBook:
    """A dated price book: labour rate per minute by title, item prices, tariffs.

    ``rate/management`` is the management cost as a fraction of direct + salary costs.
    """

    code: str
    name: str
    valid_from: date
    valid_to: date | None = None
    prices: tuple[Price, ...] = ()
    _index: dict[tuple[str, str], Price] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for entry in self.prices:
            self._index[(entry.kind, entry.code)] = entry

    def get(self, kind: str, code: str) -> Price | None:
        """Return the entry of ``kind`` and ``code``, or ``None``."""
        return self._index.get((kind, code))

    @property
    def management_rate(self) -> Decimal:
        """Return the management-cost rate (0 when the book has none)."""
        entry = self.get("rate", "management")
        return entry.price if entry is not None else Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class CostParams:
    """Choices behind a costing; every assumption is explicit and reported.

    Attributes:
        method: Straight-line (TT 23/2023/TT-BTC) or annuity.
        interest_rate: Discount rate of the annuity method.
        annual_volume: Services per year the fixed costs are spread over; ``None``
            means use each machine's declared utilisation instead.
        floor: Lowest utilisation the fixed cost is spread over (idle capacity
            below it is reported, not loaded onto services).
        ceiling: Highest utilisation credited (above it the machine is taken as
            full).
        reference_utilisation: Utilisation used when a line and the book give none.
    """

    method: DepreciationMethod = DepreciationMethod.STRAIGHT_LINE
    interest_rate: Decimal = Decimal("0.05")
    annual_volume: Decimal | None = None
    floor: Decimal = Decimal("0.5")
    ceiling: Decimal = Decimal("0.95")
    reference_utilisation: Decimal = Decimal("0.75")
