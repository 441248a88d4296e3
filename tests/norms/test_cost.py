"""Cost arithmetic against hand-computed examples (all Decimal)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from giamdinh.norms.cost import (
    annuity_factor,
    cost_service,
    labour_rate_per_minute,
    volume_curve,
)
from giamdinh.norms.model import (
    CostParams,
    DepreciationMethod,
    LineCategory,
    NormLineSpec,
    Price,
    PriceBook,
    PriceComponent,
)

D = Decimal


BOOK = PriceBook(
    code="T1",
    name="test",
    valid_from=date(2025, 1, 1),
    prices=(
        Price(kind="labour", code="BS", price=D(2000)),
        Price(kind="labour", code="KTV", price=D(1000)),
        Price(kind="item", code="X", price=D(5000)),
        Price(kind="item", code="Z", price=D(100000)),
        Price(kind="tariff", code="electricity", price=D(3000)),
        Price(
            kind="equipment", code="M", price=D(1200000000), useful_life_years=D(10),
            minutes_per_year=D(100000), maintenance_rate=D("0.05"),
        ),
        Price(kind="rate", code="management", price=D("0.10")),
    ),
)  # fmt: skip


def line(no: int, category: LineCategory, code: str, **kw: object) -> NormLineSpec:
    return NormLineSpec(line_no=no, category=category, resource_code=code, **kw)  # type: ignore[arg-type]


LINES = (
    line(1, LineCategory.LABOUR, "BS", persons=D(1), minutes=D(10)),
    line(2, LineCategory.LABOUR, "KTV", persons=D(2), minutes=D(15)),
    line(3, LineCategory.DRUG, "X", quantity=D(2), unit="lọ"),
    line(4, LineCategory.SUPPLY, "Y", quantity=D(1), unit="cái", unit_price=D(3000)),
    line(
        5, LineCategory.SUPPLY, "Z", quantity=D(1), unit="cái", included_in_price=False
    ),
    line(6, LineCategory.EQUIPMENT, "M", minutes=D(10), utilisation=D("0.6")),
    line(7, LineCategory.ELECTRICITY, "electricity", quantity=D(2), unit="kWh"),
)


def test_hand_computed_example_at_declared_utilisation() -> None:
    result = cost_service(LINES, BOOK)
    # salary 1×10×2000 + 2×15×1000 = 50,000
    assert result.components[PriceComponent.SALARY] == D("50000.00")
    # machine: 1.2bn/10 = 120M capital + 60M upkeep a year over 100,000 × 0.6 minutes
    # → 2,000 + 1,000 per minute × 10 minutes
    assert result.components[PriceComponent.DEPRECIATION] == D("20000.00")
    # direct: drug 10,000 + supply 3,000 (draft price) + upkeep 10,000 + power 6,000
    assert result.components[PriceComponent.DIRECT] == D("29000.00")
    # management 10 % of (direct + salary) = 7,900
    assert result.components[PriceComponent.MANAGEMENT] == D("7900.00")
    assert result.unit_cost == D("106900.00")
    # fixed: 20,000 + 10,000 + the management share of fixed direct (1,000)
    assert result.fixed == D("31000.00")
    assert result.variable == D("75900.00")
    assert result.excluded_from_price == D("100000.00")
    assert result.idle_capacity_cost is None
    assert result.missing_prices == ()
    sources = {c.resource_code: c.price_source for c in result.lines}
    assert sources["Y"] == "draft"
    assert sources["X"] == "book"


def test_volume_below_floor_spreads_over_floor_and_reports_idle() -> None:
    params = CostParams(annual_volume=D(3000), floor=D("0.5"), ceiling=D("0.95"))
    result = cost_service(LINES, BOOK, params)
    # used 3,000 × 10 = 30,000 min < floor 50,000 → 180M / 50,000 = 3,600 per minute
    assert result.components[PriceComponent.DEPRECIATION] == D("24000.00")
    machine = result.equipment[0]
    assert machine.spread_minutes == D(50000)
    assert machine.utilisation_applied == D("0.5")
    # idle: 180M − 3,600 × 30,000 = 72M a year, reported, not loaded
    assert result.idle_capacity_cost == D("72000000.00")


def test_volume_above_ceiling_is_capped() -> None:
    params = CostParams(annual_volume=D(12000), floor=D("0.5"), ceiling=D("0.95"))
    result = cost_service(LINES, BOOK, params)
    machine = result.equipment[0]
    assert machine.spread_minutes == D(95000)
    assert result.idle_capacity_cost == D("0.00")
    # 120M / 95,000 × 10 minutes
    assert result.components[PriceComponent.DEPRECIATION] == D("12631.58")


def test_unit_cost_falls_with_volume_then_flattens() -> None:
    points = volume_curve(
        LINES,
        BOOK,
        CostParams(),
        [D(1000), D(5000), D(7000), D(9000), D(9500), D(20000)],
    )
    costs = [p.unit_cost for p in points]
    assert costs[0] == costs[1]  # both below the floor (5,000 services = 50 %)
    assert costs[1] > costs[2] > costs[3] > costs[4]
    assert costs[4] == costs[5]  # both at or above the ceiling
    variable = {p.variable for p in points}
    assert len({v.quantize(D(1)) for v in variable}) >= 1


LINAC_BOOK = PriceBook(
    code="RT",
    name="linac",
    valid_from=date(2025, 1, 1),
    prices=(
        Price(
            kind="equipment", code="LINAC", price=D(100_000_000_000),
            useful_life_years=D(10), minutes_per_year=D(450_000),
            maintenance_rate=D("0.08"),
        ),
    ),
)  # fmt: skip
LINAC = (line(1, LineCategory.EQUIPMENT, "LINAC", minutes=D(15)),)


def test_annuity_factor_matches_research_note() -> None:
    assert annuity_factor(D("0.05"), D(10)).quantize(D("0.0001")) == D("0.1295")
    assert annuity_factor(D(0), D(8)) == D(1) / D(8)


@pytest.mark.parametrize(
    ("sessions", "expected"),
    [(30_000, D("698348.58")), (6_250, D("3352073.20"))],
)
def test_linac_annuity_per_session(sessions: int, expected: D) -> None:
    # Research note §3.3: 100 bn VND, 10 years, 5 %, maintenance 8 % → F ≈ 20.95 bn;
    # ≈ 698,000 VND per session at 30,000 sessions vs ≈ 3,352,000 at 6,250.
    params = CostParams(
        method=DepreciationMethod.ANNUITY, interest_rate=D("0.05"),
        annual_volume=D(sessions), floor=D(0), ceiling=D(1),
    )  # fmt: skip
    result = cost_service(LINAC, LINAC_BOOK, params)
    assert abs(result.unit_cost - expected) <= D("0.02")
    assert result.unit_cost == result.fixed
    assert result.equipment[0].annual_fixed_cost.quantize(D(1)) == D(20_950_457_497)


@pytest.mark.parametrize(
    ("sessions", "expected"), [(30_000, D("333333.33")), (6_250, D("1600000.00"))]
)
def test_linac_straight_line_depreciation_only(sessions: int, expected: D) -> None:
    book = PriceBook(
        code="RT0", name="no upkeep", valid_from=date(2025, 1, 1),
        prices=(Price(kind="equipment", code="LINAC", price=D(100_000_000_000),
                      useful_life_years=D(10), minutes_per_year=D(450_000)),),
    )  # fmt: skip
    params = CostParams(annual_volume=D(sessions), floor=D(0), ceiling=D(1))
    result = cost_service(LINAC, book, params)
    assert result.components[PriceComponent.DEPRECIATION] == expected


def test_linac_floor_protects_low_volume_site_and_reports_idle() -> None:
    params = CostParams(
        method=DepreciationMethod.ANNUITY, annual_volume=D(6250), floor=D("0.5"),
        ceiling=D("0.95"),
    )  # fmt: skip
    result = cost_service(LINAC, LINAC_BOOK, params)
    # costed as if at 15,000 sessions: F / 15,000 ≈ 1.40 M VND (research note §3.4)
    assert abs(result.unit_cost - D("1396697.17")) <= D("0.02")
    fixed = result.equipment[0].annual_fixed_cost
    expected_idle = fixed * (1 - D(6250) / D(15000))
    assert abs(result.idle_capacity_cost - expected_idle) <= D("0.01")  # type: ignore[operator]
    high = cost_service(
        LINAC, LINAC_BOOK,
        CostParams(method=DepreciationMethod.ANNUITY, annual_volume=D(30000)),
    )  # fmt: skip
    # K Hospital-like volume is credited up to the 95 % ceiling (28,500 sessions)
    assert abs(high.unit_cost - fixed / D(28500)) <= D("0.02")
    assert high.unit_cost < result.unit_cost


def test_missing_price_is_reported_not_invented() -> None:
    lines = (line(1, LineCategory.DRUG, "NOPE", quantity=D(1), unit="lọ"),)
    result = cost_service(lines, BOOK)
    assert result.missing_prices == ("item:NOPE",)
    assert result.components[PriceComponent.DIRECT] == D("0.00")


def test_labour_rate_per_minute() -> None:
    rate = labour_rate_per_minute(
        annual_salary=D(150_000_000), allowances=D(30_000_000),
        contributions=D(18_000_000), practical_minutes=D(99_000),
    )  # fmt: skip
    assert rate == D(2000)
