"""Norm-based unit cost at a facility's own volume, against hand-computed numbers."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from giamdinh.errors import ConfigError
from giamdinh.norms import catalogue
from giamdinh.norms.demo import demo_price_book
from giamdinh.norms.model import LineCategory, NormLineSpec, Price, PriceBook
from giamdinh.norms.volume_price import (
    TechniqueNorm,
    Unmapped,
    demo_norms,
    norm_prices_at_volume,
    technique_of_service,
)
from giamdinh.synth.clinical import SERVICES
from giamdinh.synth.province import sample_catalogue

D = Decimal

# One machine worth 1,000,000,000 đ over 10 years, 100,000 minutes a year, no upkeep:
# 100,000,000 đ of fixed cost a year; 10 machine minutes per service, so the machine
# can do 10,000 services a year. Labour 10 min × 1,000 đ, one supply at 5,000 đ, no
# management rate.
BOOK = PriceBook(
    code="TEST-2026",
    name="test",
    valid_from=date(2026, 1, 1),
    prices=(
        Price(kind="labour", code="KTV", price=D(1000)),
        Price(kind="item", code="VT.X", price=D(5000)),
        Price(
            kind="equipment",
            code="TB.M",
            price=D(1_000_000_000),
            useful_life_years=D(10),
            minutes_per_year=D(100_000),
            maintenance_rate=D(0),
        ),
    ),
)
LINES = (
    NormLineSpec(
        line_no=1,
        category=LineCategory.LABOUR,
        resource_code="KTV",
        persons=D(1),
        minutes=D(10),
    ),
    NormLineSpec(
        line_no=2, category=LineCategory.SUPPLY, resource_code="VT.X", quantity=D(1)
    ),
    NormLineSpec(
        line_no=3, category=LineCategory.EQUIPMENT, resource_code="TB.M", minutes=D(10)
    ),
)
NORM = TechniqueNorm(technique_code="18.0119", lines=LINES, origin="hand")


def test_lower_volume_costs_more_and_idle_capacity_is_reported_not_loaded() -> None:
    result = norm_prices_at_volume(
        norms=[NORM],
        book=BOOK,
        volumes={
            ("79001", "18.0119.0028"): 8000,
            ("79002", "18.0119.0028"): 1500,
            ("79002", "18.0119.0029_GT"): 500,
            ("79001", "K01.NG1"): 40,
            ("79001", "02.0085.0001"): 12,
        },
    )
    busy = result.prices[("79001", "18.0119.0028")]
    # 80,000 machine minutes (between floor 50,000 and ceiling 95,000):
    # 100,000,000 / 80,000 = 1,250 đ a minute × 10 = 12,500; + 10,000 + 5,000.
    assert busy.annual_volume == 8000
    assert busy.unit_cost == D("27500.00")
    assert busy.fixed == D("12500.00")
    assert busy.variable == D("15000.00")
    assert busy.idle_capacity_cost == D("0.00")
    assert busy.idle_share == D("0.0000")
    assert not busy.below_floor
    small = result.prices[("79002", "18.0119.0028")]
    # 1,500 + 500 services of the technique: 20,000 minutes, below the floor, so the
    # fixed cost is spread on 50,000 minutes: 2,000 đ a minute × 10 = 20,000.
    # Loading it all would give 100,000,000 / 2,000 = 50,000 đ (65,000 in all).
    assert small.annual_volume == 2000
    assert small.unit_cost == D("35000.00")
    assert small.fixed == D("20000.00")
    assert small.unit_cost > busy.unit_cost
    assert small.unit_cost != D("65000.00")
    # 100,000,000 − 2,000 × 20,000 = 60,000,000 đ a year carried by no service.
    assert small.idle_capacity_cost == D("60000000.00")
    assert small.idle_share == D("0.6000")
    assert small.below_floor
    variant = result.prices[("79002", "18.0119.0029_GT")]
    assert variant.unit_cost == small.unit_cost
    assert variant.technique_code == "18.0119"
    assert variant.norm_origin == "hand"
    assert variant.price_book == "TEST-2026"
    assert [(u.service_code, u.reason, u.technique_code) for u in result.unmapped] == [
        ("K01.NG1", Unmapped.NOT_A_TECHNIQUE, None),
        ("02.0085.0001", Unmapped.NO_NORM, "02.0085"),
    ]
    assert len(result.prices) == 3


def test_a_norm_of_one_service_wins_over_its_technique() -> None:
    own = TechniqueNorm(technique_code="18.0119.0029", lines=LINES[:2], origin="own")
    result = norm_prices_at_volume(
        norms=[NORM, own],
        book=BOOK,
        volumes={("79001", "18.0119.0029"): 10, ("79001", "18.0119.0028"): 10},
    )
    assert result.prices[("79001", "18.0119.0029")].unit_cost == D("15000.00")
    assert result.prices[("79001", "18.0119.0029")].idle_share is None
    assert result.prices[("79001", "18.0119.0028")].norm_origin == "hand"


@pytest.mark.parametrize(
    ("code", "technique"),
    [
        ("18.0119.0028", "18.0119"),
        ("03.1615.0575_GT", "03.1615"),
        ("01.0002.1778_TB", "01.0002"),
        ("22.0120.1370.K.92003", "22.0120"),
        ("18.0015.0000", "18.0015"),
        ("K01.NG1", None),
        ("02.03", None),
        ("VC.92003", None),
        ("27.205b.0712", None),
        ("18.0119", None),
    ],
)
def test_service_code_to_technique(code: str, technique: str | None) -> None:
    assert technique_of_service(code) == technique


def test_a_negative_volume_is_refused_with_its_key() -> None:
    with pytest.raises(ConfigError, match=r"79001.*18\.0119\.0028.*-3"):
        norm_prices_at_volume(
            norms=[NORM], book=BOOK, volumes={("79001", "18.0119.0028"): -3}
        )


def test_demo_norms_cost_the_synthetic_province_imaging_without_a_database() -> None:
    norms = demo_norms()
    codes = {n.technique_code for n in norms}
    billed = {technique_of_service(code) for code in SERVICES}
    assert {"18.0119", "18.0165", "18.0296", "18.0015", "18.0001"} <= codes & billed
    result = norm_prices_at_volume(
        norms=norms,
        book=demo_price_book(),
        volumes={("79001", "18.0165.0043"): 30000, ("79002", "18.0165.0043"): 2000},
    )
    central = result.prices[("79001", "18.0165.0043")]
    district = result.prices[("79002", "18.0165.0043")]
    assert district.unit_cost > central.unit_cost > 0
    assert district.below_floor
    assert district.idle_share is not None
    assert district.idle_share > 0
    assert central.missing_prices == ()
    assert central.norm_origin.startswith("demo:")


def test_every_claimable_service_maps_to_a_listed_technique_or_is_reported() -> None:
    """The synthetic province bills the real M05 catalogue: map it all or say why."""
    listed = catalogue.techniques_by_code()
    codes = {row["MA_DICH_VU"] for row in sample_catalogue()} | set(SERVICES)
    not_techniques = {c for c in codes if technique_of_service(c) is None}
    shapes = {re.sub(r"\d", "9", c) for c in not_techniques}
    assert shapes == {"K99.NG9", "K99.NO9", "99.99", "99.999b.9999", "99.999b.9999_GT"}
    assert all(technique_of_service(c) in listed for c in codes - not_techniques)
