"""One generic runner for every rule case (``tests/rules/cases/<ID>.yml``).

Ids are ``<RULE>-<case>`` so ``pytest -k CT001`` runs one rule's cases; each case
runs on every engine of the ``engine`` fixture it allows.
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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "rule_case" in metafunc.fixturenames:
        metafunc.parametrize(
            "rule_case", ALL, ids=[f"{rule}-{case.name}" for rule, case in ALL]
        )


def test_rule_case(rule_case: tuple[str, Case], engine: Backend) -> None:
    rule_id, case = rule_case
    if not case.runs_on(engine.name):
        pytest.skip("not a documented case: DuckDB only (see Case.runs_on)")
    rules = RULE_SET.only(RULE_SET.get(rule_id))
    result = run_case(case, rules, engine, decide=False)
    got = hits_of(result)
    assert matches(case.expect, got), (
        f"{rule_id}-{case.name}: expected {case.expect}, got {got}"
    )
