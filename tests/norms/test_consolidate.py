"""Comparison and consolidation: stats, outliers, methods, overrides, volume bands."""

from __future__ import annotations

import statistics
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from giamdinh.errors import ConfigError
from giamdinh.norms.consolidate import (
    Method,
    Override,
    compare,
    consolidate,
    find_outliers,
    volume_bands,
)
from giamdinh.norms.cost import cost_service
from giamdinh.norms.model import (
    CostParams,
    DraftSpec,
    LineCategory,
    NormLineSpec,
    Price,
    PriceBook,
)

D = Decimal


def draft(
    hospital: str, ktv_minutes: str, gloves: str, volume: int, *, extra: bool = False
) -> DraftSpec:
    lines = [
        NormLineSpec(line_no=1, category=LineCategory.LABOUR, resource_code="KTV",
                     persons=D(2), minutes=D(ktv_minutes)),
        NormLineSpec(line_no=2, category=LineCategory.SUPPLY, resource_code="GT",
                     quantity=D(gloves), unit="đôi", unit_price=D(99999)),
        NormLineSpec(line_no=3, category=LineCategory.EQUIPMENT, resource_code="LINAC",
                     minutes=D(15)),
    ]  # fmt: skip
    if extra:
        lines.append(
            NormLineSpec(line_no=4, category=LineCategory.DRUG, resource_code="RARE",
                         quantity=D(1), unit="lọ")
        )  # fmt: skip
    return DraftSpec(
        technique_code="12.0304", hospital_code=hospital, lines=tuple(lines),
        annual_volume=D(volume),
    )  # fmt: skip


DRAFTS = [
    draft("A", "10", "1", 30000),
    draft("B", "12", "1", 6000),
    draft("C", "11", "2", 9000),
    draft("D", "30", "1", 3000, extra=True),
    draft("E", "9", "1", 12000),
]


def test_side_by_side_statistics() -> None:
    rows = {r.resource_code: r for r in compare(DRAFTS)}
    ktv = rows["KTV"]
    # staff-minutes = 2 persons × minutes
    assert ktv.values == {"A": D(20), "B": D(24), "C": D(22), "D": D(60), "E": D(18)}
    assert ktv.n == 5
    assert ktv.median == D(22)
    # quartiles: linear interpolation (type 7) = numpy's default
    data = [18, 20, 22, 24, 60]
    assert float(ktv.p25) == np.percentile(data, 25)
    assert float(ktv.p75) == np.percentile(data, 75)
    assert (
        ktv.p25
        == statistics.quantiles([D(x) for x in data], n=4, method="inclusive")[0]
    )
    assert ktv.outliers == ("D",)
    assert rows["GT"].outliers == ("C",)  # 2 pairs of gloves where everyone uses 1
    assert rows["RARE"].conditional
    assert rows["RARE"].n == 1


def test_outlier_rule_needs_three_and_ignores_small_differences() -> None:
    assert find_outliers({"A": D(1), "B": D(100)})[0] == ()
    # MAD is tiny here, but 3.0 vs 3.25 is under the 25 % floor: not an outlier
    assert (
        find_outliers({"A": D("3.2"), "B": D("3.25"), "C": D("3.3"), "D": D("3.0")})[0]
        == ()
    )
    flagged, mad = find_outliers({"A": D(10), "B": D(12), "C": D(40)})
    assert flagged == ("C",)
    assert mad == D(2)


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        (Method.MEDIAN, D(22)),
        (Method.P25, D(20)),
        (Method.MINIMUM, D(18)),
        (Method.TRIMMED_MEAN, D(21)),  # (20 + 24 + 22 + 18) / 4, D left out
        # Σ V q / Σ V = (30000·20 + 6000·24 + 9000·22 + 3000·60 + 12000·18) / 60000
        (Method.VOLUME_WEIGHTED_MEAN, D("22.3")),
    ],
)
def test_methods(method: Method, expected: D) -> None:
    result = consolidate(DRAFTS, method=method)
    line = next(item for item in result.lines if item.stats.resource_code == "KTV")
    assert line.value == expected
    assert line.persons == D(2)


def test_conditional_line_left_out_unless_overridden() -> None:
    result = consolidate(DRAFTS)
    codes = [line.resource_code for line in result.norm_lines()]
    assert "RARE" not in codes
    override = Override(
        category=LineCategory.DRUG, resource_code="RARE", value=D("0.2"),
        reason="dùng cho 20 % ca", by="hội đồng",
    )  # fmt: skip
    result = consolidate(DRAFTS, overrides=[override])
    rare = next(line for line in result.norm_lines() if line.resource_code == "RARE")
    assert rare.quantity == D("0.2")
    stored = next(line for line in result.lines if line.stats.resource_code == "RARE")
    assert stored.override == override


def test_override_needs_reason_and_known_line() -> None:
    with pytest.raises(ConfigError, match="reason"):
        consolidate(
            DRAFTS,
            overrides=[
                Override(
                    category=LineCategory.LABOUR,
                    resource_code="KTV",
                    value=D(1),
                    reason=" ",
                    by="x",
                )
            ],
        )
    with pytest.raises(ConfigError, match="no draft has"):
        consolidate(
            DRAFTS,
            overrides=[
                Override(
                    category=LineCategory.LABOUR,
                    resource_code="BS",
                    value=D(1),
                    reason="r",
                    by="x",
                )
            ],
        )
    with pytest.raises(ConfigError, match="several techniques"):
        compare(
            [
                DRAFTS[0],
                DraftSpec(technique_code="18.0001", hospital_code="Z", lines=()),
            ]
        )


BOOK = PriceBook(
    code="N",
    name="national",
    valid_from=date(2025, 1, 1),
    prices=(
        Price(kind="labour", code="KTV", price=D(1000)),
        Price(kind="item", code="GT", price=D(2500)),
        Price(kind="equipment", code="LINAC", price=D(100_000_000_000),
              useful_life_years=D(10), minutes_per_year=D(450_000)),
    ),
)  # fmt: skip


def test_money_recomputed_from_one_price_book() -> None:
    result = consolidate(DRAFTS)
    cost = cost_service(result.norm_lines(), BOOK)
    gloves = next(line for line in cost.lines if line.resource_code == "GT")
    # the hospitals declared 99,999; the national cost uses the book's 2,500
    assert gloves.unit_price == D(2500)
    assert gloves.price_source == "book"


def test_volume_bands_for_a_fixed_cost_heavy_technique() -> None:
    lines = consolidate(DRAFTS).norm_lines()
    bands = volume_bands(lines, BOOK, CostParams())
    # capacity 450,000 / 15 = 30,000 sessions; edges at 50 %, 75 %, 95 %
    assert [b.low for b in bands] == [D(0), D(15000), D(22500), D(28500)]
    costs = [b.unit_cost for b in bands]
    assert costs == sorted(costs, reverse=True)
    # below the floor, the fixed part is spread over 15,000 sessions: 10bn / 15,000
    assert bands[0].fixed == D("666666.67")


def test_no_bands_when_fixed_costs_are_small() -> None:
    lines = (
        NormLineSpec(line_no=1, category=LineCategory.LABOUR, resource_code="KTV",
                     persons=D(1), minutes=D(10)),
    )  # fmt: skip
    assert volume_bands(lines, BOOK, CostParams()) == []
