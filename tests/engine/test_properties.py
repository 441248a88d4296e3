"""Metamorphic properties of the engine on a generated facility (hypothesis).

1. Row order does not matter: shuffling every claim table gives the same
   findings and decisions.
2. Adding unrelated claims (other patients, other days) changes no finding of the
   existing claims.
3. Nothing fires outside a rule's effective period: narrowing a version's period
   keeps exactly the findings whose service date falls inside it.

Each example runs the full rule set on DuckDB, so the example counts are small
and fixed here rather than taken from the profile.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from giamdinh.domain import Period
from giamdinh.rules.registry import load_rule_set
from giamdinh.services.assessment import run_assessment

if TYPE_CHECKING:
    import random

    Facility = tuple[dict[str, pa.Table], dict[str, pa.Table]]

RULE_SET = load_rule_set()
IDENTITY = ("MA_LK", "MA_BN", "MA_THE_BHYT", "HO_TEN", "SO_CCCD")
FEW = settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


@pytest.fixture(scope="module")
def baseline(facility: Facility) -> Any:
    result = run_assessment(facility[0], facility[1])
    assert result.findings.num_rows > 0, "the generated facility has findings"
    return result


def _shuffle(table: pa.Table, rnd: random.Random) -> pa.Table:
    order = list(range(table.num_rows))
    rnd.shuffle(order)
    return table.take(pa.array(order, pa.int64()))


@FEW
@given(rnd=st.randoms(use_true_random=False))
def test_row_order_does_not_matter(
    facility: Facility, baseline: Any, rnd: random.Random
) -> None:
    shuffled = {name: _shuffle(t, rnd) for name, t in facility[0].items()}
    result = run_assessment(shuffled, facility[1])
    assert _rows(result.findings) == _rows(baseline.findings)
    assert _rows(result.lines) == _rows(baseline.lines)
    assert _rows(result.claims) == _rows(baseline.claims)


def _unrelated(table: pa.Table, keep: pa.Array, *, prefix: str, days: int) -> pa.Table:
    """Copy the rows of claims ``keep`` as other patients, ``days`` later."""
    rows = table.filter(pc.is_in(table.column("MA_LK"), value_set=keep))
    columns = []
    for name in rows.column_names:
        col = rows.column(name)
        if name in IDENTITY and pa.types.is_string(col.type):
            col = pc.binary_join_element_wise(prefix, col, "")
        elif pa.types.is_date(col.type) or pa.types.is_timestamp(col.type):
            unit = col.type if pa.types.is_timestamp(col.type) else pa.timestamp("s")
            shifted = pc.add(col.cast(unit), pa.scalar(timedelta(days=days)))
            col = shifted.cast(col.type)
        columns.append(col)
    return pa.table(columns, names=rows.column_names)


@FEW
@given(
    share=st.floats(min_value=0.1, max_value=1.0),
    days=st.integers(min_value=800, max_value=1500),
    rnd=st.randoms(use_true_random=False),
)
def test_unrelated_claims_change_no_existing_finding(
    facility: Facility, baseline: Any, share: float, days: int, rnd: random.Random
) -> None:
    ids = sorted(set(facility[0]["XML1"].column("MA_LK").to_pylist()))
    picked = pa.array(rnd.sample(ids, max(1, int(len(ids) * share))), pa.string())
    grown = {
        name: pa.concat_tables(
            [t, _unrelated(t, picked, prefix="U", days=days)],
            promote_options="permissive",
        )
        for name, t in facility[0].items()
    }
    result = run_assessment(grown, facility[1])
    mine = set(ids)
    kept = [r for r in _rows(result.findings) if r["ma_lk"] in mine]
    assert kept == _rows(baseline.findings)
    assert [r for r in _rows(result.claims) if r["ma_lk"] in mine] == _rows(
        baseline.claims
    )


def _hit_rules(baseline: Any) -> list[str]:
    return sorted(set(baseline.findings.column("rule_id").to_pylist()))


@FEW
@given(data=st.data())
def test_nothing_fires_outside_the_effective_period(
    facility: Facility, baseline: Any, data: st.DataObject
) -> None:
    rule_id = data.draw(st.sampled_from(_hit_rules(baseline)), label="rule")
    rows = [r for r in _rows(baseline.findings) if r["rule_id"] == rule_id]
    version = data.draw(st.sampled_from(sorted({r["rule_version"] for r in rows})))
    rows = [r for r in rows if r["rule_version"] == version]
    rule = next(r for r in RULE_SET.get(rule_id) if r.version == version)
    days = sorted({r["service_date"] for r in rows})
    low = max(days[0] - timedelta(days=3), rule.effective.start)
    high = min(days[-1] + timedelta(days=3), rule.effective.end or date.max)
    start = data.draw(st.dates(min_value=low, max_value=high), label="start")
    end = data.draw(st.dates(min_value=start, max_value=high), label="end")
    narrowed = dataclasses.replace(rule, effective=Period(start=start, end=end))
    result = run_assessment(
        facility[0], facility[1], rule_set=RULE_SET.only([narrowed])
    )
    got = _rows(result.findings)
    assert all(start <= r["service_date"] <= end for r in got)
    same = [r for r in rows if start <= r["service_date"] <= end]
    assert got == same
