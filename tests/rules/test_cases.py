"""One generic runner for every rule case (``tests/rules/cases/<ID>.yml``).

Ids are ``<RULE>-<case>`` so ``pytest -k CT001`` runs one rule's cases; each case
runs on DuckDB and, when documented, on Spark (``case_engine``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from giamdinh.engine.cases import Case, hits_of, load_all_cases, matches, run_case
from giamdinh.rules.registry import load_rule_set

if TYPE_CHECKING:
    from giamdinh.backends.base import Backend

CASES_DIR = Path(__file__).parent / "cases"
RULE_SET = load_rule_set()
ALL = [
    (file.rule, case)
    for file in load_all_cases(CASES_DIR).values()
    for case in file.cases
]


def _params() -> list[object]:
    """(case, engine) pairs: every case on DuckDB, documented ones also on Spark.

    The whole rule set runs on Spark in the parity test (tests/engine), so the
    undocumented cases are not crossed with Spark at all (not skipped).
    """
    params: list[object] = []
    for rule, case in ALL:
        params.append(
            pytest.param((rule, case), "duckdb", id=f"{rule}-{case.name}-duckdb")
        )
        if case.runs_on("spark"):
            params.append(
                pytest.param(
                    (rule, case),
                    "spark",
                    id=f"{rule}-{case.name}-spark",
                    marks=pytest.mark.spark,
                )
            )
    return params


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "rule_case" in metafunc.fixturenames:
        metafunc.parametrize(
            ("rule_case", "case_engine"), _params(), indirect=["case_engine"]
        )


def test_rule_case(rule_case: tuple[str, Case], case_engine: Backend) -> None:
    engine = case_engine
    rule_id, case = rule_case
    assert case.runs_on(engine.name)
    rules = RULE_SET.only(RULE_SET.get(rule_id))
    result = run_case(case, rules, engine, decide=False)
    got = hits_of(result)
    assert matches(case.expect, got), (
        f"{rule_id}-{case.name}: expected {case.expect}, got {got}"
    )
