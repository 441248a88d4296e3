"""Meta-tests of the rule catalogue (STYLE.md): names, cases, SQL, docs."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot

from giamdinh.backends.duck import DuckDBBackend
from giamdinh.engine.cases import load_all_cases
from giamdinh.engine.run import prepare_views
from giamdinh.engine.sql import hit_query, output_columns, referenced_views, with_params
from giamdinh.engine.views import logical_views
from giamdinh.rules.model import ID_RE, NAME_RE
from giamdinh.rules.registry import RULES_DIR, load_rule_set, rule_modules
from giamdinh.services.assessment import rule_docs

RULE_SET = load_rule_set()
RULES = list(RULE_SET)
ROOT = Path(__file__).parents[2]
CASES = load_all_cases(Path(__file__).parent / "cases")


def test_ids_and_names_are_unique_and_well_formed() -> None:
    ids = {r.id for r in RULES}
    assert len({r.name for r in RULES}) == len(ids)
    for rule in RULES:
        assert ID_RE.match(rule.id)
        assert NAME_RE.match(rule.name)


def test_each_module_is_named_after_its_rule() -> None:
    assert sorted(rule_modules()) == sorted({r.id.lower() for r in RULES})
    for rule in RULES:
        assert (RULES_DIR / f"{rule.id.lower()}.py").is_file()


@pytest.mark.parametrize("rule_id", RULE_SET.ids())
def test_each_rule_has_a_passing_and_a_failing_doc_case(rule_id: str) -> None:
    assert rule_id in CASES, f"tests/rules/cases/{rule_id}.yml is missing"
    doc_cases = [c for c in CASES[rule_id].cases if c.doc]
    assert any(c.expect for c in doc_cases), "no documented case with a hit"
    assert any(not c.expect for c in doc_cases), "no documented compliant case"


def test_every_case_file_names_a_rule() -> None:
    assert set(CASES) <= set(RULE_SET.ids())


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.key)
def test_sql_parses_and_transpiles_to_spark(rule: object) -> None:
    from giamdinh.rules.model import Rule

    assert isinstance(rule, Rule)
    for sql in (with_params(rule), hit_query(rule)):
        spark = sqlglot.transpile(sql, read="duckdb", write="spark")[0]
        assert "SELECT" in spark.upper()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.key)
def test_placeholders_are_output_columns(rule: object) -> None:
    from giamdinh.rules.model import Rule

    assert isinstance(rule, Rule)
    views = logical_views(claims={}, reference={}, edits=RULE_SET.tables)
    backend = DuckDBBackend()
    try:
        prepare_views(backend, views, [rule])
        described = backend.con.sql(f"describe {with_params(rule)}").fetchall()
    finally:
        backend.close()
    columns = {row[0] for row in described}
    assert set(output_columns(rule)) == columns
    assert rule.placeholders <= columns, rule.placeholders - columns


def test_rule_views_are_documented() -> None:
    text = (ROOT / "docs" / "engine" / "views.md").read_text(encoding="utf-8")
    for name in referenced_views(RULES):
        assert f"`{name}`" in text, f"view {name} is not in docs/engine/views.md"


def test_rule_docs_are_current() -> None:
    stale = rule_docs(
        Path(__file__).parent / "cases", ROOT / "docs" / "rules", write=False
    )
    assert not stale, f"run `giamdinh rules docs` (stale: {stale})"
