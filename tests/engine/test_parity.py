"""DuckDB and Spark produce identical findings and decisions on the same data.

The whole shipped rule set runs on a generated facility on both backends (Spark
in local mode through the session's ``spark`` fixture; sqlglot translates the
DuckDB-dialect SQL) as the one query production runs. When they differ, the test
runs each rule alone to name the rules that differ. Runs in CI (``-m spark``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from giamdinh.backends.spark import SparkBackend
from giamdinh.errors import BackendError
from giamdinh.rules.registry import load_rule_set
from giamdinh.services.assessment import run_assessment

if TYPE_CHECKING:
    import pyarrow as pa

    from giamdinh.engine.run import Assessment
    from giamdinh.rules.registry import RuleSet

    Facility = tuple[dict[str, pa.Table], dict[str, pa.Table]]

pytestmark = pytest.mark.spark


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def _on_spark(facility: Facility, spark: Any, rules: RuleSet | None) -> Assessment:
    backend = SparkBackend(spark)
    try:
        return run_assessment(*facility, backend=backend, rule_set=rules)
    finally:
        backend.close()


def _differing_rules(facility: Facility, spark: Any) -> list[str]:
    full = load_rule_set()
    out: list[str] = []
    for rule_id in full.ids():
        rules = full.only(full.get(rule_id))
        duck = run_assessment(*facility, rule_set=rules)
        try:
            other = _on_spark(facility, spark, rules)
        except BackendError as exc:
            out.append(f"{rule_id}: {str(exc).splitlines()[0][:300]}")
            continue
        if _rows(other.findings) != _rows(duck.findings):
            out.append(f"{rule_id}: findings differ")
    return out


def test_duckdb_and_spark_agree_finding_for_finding(
    facility: Facility, spark: Any
) -> None:
    duck = run_assessment(*facility)
    assert duck.findings.num_rows > 0
    failure = ""
    try:
        other = _on_spark(facility, spark, None)
    except BackendError as exc:
        other = None
        failure = (
            f"the whole rule set failed on Spark: {str(exc).splitlines()[0][:500]}"
        )
    same = other is not None and _rows(other.findings) == _rows(duck.findings)
    if not same:
        detail = "; ".join(_differing_rules(facility, spark))
        pytest.fail(f"Spark differs: {failure or 'findings differ'}; {detail}")
    assert other is not None
    assert duck.rule_set == other.rule_set
    lines = other.lines.cast(duck.lines.schema)
    assert _rows(lines) == _rows(duck.lines)
    claims_out = other.claims.cast(duck.claims.schema)
    assert _rows(claims_out) == _rows(duck.claims)
