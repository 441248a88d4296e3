"""The citations the rules rest on: the data, the page, and the load-time checks.

A rule may not apply before the text it cites takes effect, and a refusal needs a
specific basis (Decree 188/2025 Art. 51.2): these tests build small rule sets that
break each invariant and check that they fail to load with a message naming the
rule and what is missing, and that the shipped set keeps its versions per period.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from giamdinh.domain import Basis, Grain, Period, Severity
from giamdinh.errors import RuleDefinitionError
from giamdinh.rules import citations as citations_module
from giamdinh.rules.citations import (
    CITATIONS_FILE,
    Verified,
    check_bases,
    citations,
    citations_page,
    cite,
    find,
    load_citations,
    write_citations_page,
)
from giamdinh.rules.model import Family, Rule
from giamdinh.rules.registry import BASIS_WAIVERS, check_rule_set, load_rule_set

RULE_SET = load_rule_set()
DOCS = Path(__file__).parents[2] / "docs" / "rules"
#: The rules whose SQL and basis another change owns (the issue's item list).
OWNED_ELSEWHERE = {"CD004", "CD006", "TH001", "TH010", "NV003", "BH001", "BH002"}


def make(**changes: Any) -> Rule:
    fields: dict[str, Any] = {
        "id": "ZZ001",
        "name": "test.rule",
        "version": 1,
        "doc": "A test rule.\n\nWhy: tests.",
        "title": "Thử",
        "title_en": "Test",
        "message": "Dòng {ma_dich_vu}",
        "message_en": "Line {ma_dich_vu}",
        "family": Family.PRICE,
        "severity": Severity.REFUSE,
        "basis": (cite("tt12_2026/10.1.d"),),
        "effective": Period(start=date(2026, 3, 1)),
        "grain": Grain.LINE,
        "table": "XML3",
        "sql": "select ma_lk, stt, ma_dich_vu from xml3",
    }
    fields.update(changes)
    return Rule(**fields)


def test_a_rule_with_a_complete_basis_in_force_loads() -> None:
    check_rule_set([make()])


def test_a_rule_starting_before_its_text_fails_to_load() -> None:
    early = make(effective=Period(start=date(2026, 1, 1)))
    with pytest.raises(
        RuleDefinitionError, match="ZZ001 v1: starts 2026-01-01"
    ) as info:
        check_rule_set([early])
    assert "applies only from 2026-02-10" in str(info.value)


def test_an_article_applying_later_than_its_text_counts() -> None:
    # TT 12/2026 is in force from 2026-02-10, its catalogue forms from 2026-04-01.
    form = make(basis=(cite("tt12_2026/10.1.e"), cite("tt12_2026/7.m06")))
    with pytest.raises(RuleDefinitionError, match="applies only from 2026-04-01"):
        check_rule_set([form])
    check_rule_set(
        [dataclasses.replace(form, effective=Period(start=date(2026, 4, 1)))]
    )


def test_a_sanction_decree_applies_from_its_own_date() -> None:
    with pytest.raises(RuleDefinitionError, match="applies only from 2026-05-15"):
        check_rule_set([make(basis=(cite("tt12_2026/10.1.d"), cite("nd90_2026/88")))])


@pytest.mark.parametrize("severity", [Severity.REFUSE, Severity.ADJUST])
def test_an_unnumbered_decision_is_not_a_basis(severity: Severity) -> None:
    rule = make(
        severity=severity,
        amount="1",
        basis=(cite("tt12_2026/10.1.d"), cite("price_decision")),
    )
    with pytest.raises(RuleDefinitionError, match="names no document number") as info:
        check_rule_set([rule])
    assert "rule ZZ001 v1" in str(info.value)


def test_a_refusal_needs_one_complete_basis() -> None:
    # CV 266/2025: number given, but no date (the appendix leaves it blank).
    rule = make(
        effective=Period(start=date(2026, 3, 1)),
        basis=(cite("cv266_2025/pl1.kt32"),),
    )
    with pytest.raises(
        RuleDefinitionError, match="at least one complete basis"
    ) as info:
        check_rule_set([rule])
    assert "lacks the date it was signed" in str(info.value)


def test_a_review_may_rest_on_an_incomplete_basis() -> None:
    check_rule_set(
        [make(severity=Severity.REVIEW, basis=(cite("cv266_2025/pl1.kt32"),))]
    )
    check_rule_set([make(severity=Severity.INFO, basis=(cite("qtkt/indications"),))])


def test_a_basis_not_in_the_citations_fails_to_load() -> None:
    rule = make(basis=(Basis(document="Thông tư 12/2026/TT-BTC", article="Điều 99"),))
    with pytest.raises(RuleDefinitionError, match=r"is not in citations\.csv"):
        check_rule_set([rule])


def test_a_basis_with_the_wrong_date_fails_to_load() -> None:
    wrong = dataclasses.replace(cite("tt12_2026/10.1.d"), date=date(2026, 1, 1))
    with pytest.raises(RuleDefinitionError, match="was signed 2026-02-10"):
        check_rule_set([make(basis=(wrong,))])


def test_waivers_are_few_owned_elsewhere_and_still_needed() -> None:
    assert set(BASIS_WAIVERS) <= OWNED_ELSEWHERE
    for rule_id, why in BASIS_WAIVERS.items():
        assert why
        with pytest.raises(RuleDefinitionError, match=rule_id):
            check_bases(RULE_SET.get(rule_id), waived={})


def test_every_shipped_basis_is_a_citation() -> None:
    known = citations()
    for rule in RULE_SET:
        for basis in rule.basis:
            assert find(basis, known) is not None, (rule.key, basis.cite())


def test_no_refusal_rests_on_an_unverified_text() -> None:
    known = citations()
    for rule in RULE_SET:
        if rule.severity not in {Severity.REFUSE, Severity.ADJUST}:
            continue
        cited = [find(b, known) for b in rule.basis]
        if rule.id in BASIS_WAIVERS:
            continue
        assert all(c is not None and c.verified is not Verified.NO for c in cited), (
            rule.key
        )


@pytest.mark.parametrize(
    ("rule_id", "day", "keys"),
    [
        ("CT001", date(2026, 5, 14), ["tt12_2026/10.1.d"]),
        ("CT001", date(2026, 5, 15), ["tt12_2026/10.1.d", "nd90_2026/88"]),
        ("TR001", date(2026, 5, 15), ["tt12_2026/10.1.k", "nd90_2026/86"]),
        ("TB003", date(2026, 3, 31), ["tt12_2026/10.1.e"]),
        ("TB003", date(2026, 4, 1), ["tt12_2026/10.1.e", "tt12_2026/7.m06"]),
        ("CS001", date(2026, 4, 1), ["tt12_2026/10.1.e", "tt12_2026/7.m01"]),
        ("CD002", date(2026, 6, 30), ["qd4469_2020/a2"]),
        ("CD002", date(2026, 7, 1), ["tt06_2026/not_main"]),
        ("RS002", date(2024, 6, 30), None),
        ("RS002", date(2024, 7, 1), ["qd4750_2023/xml4"]),
        ("RS002", date(2026, 2, 10), ["tt12_2026/10.1.i", "qd4750_2023/xml4"]),
        ("CD005", date(2025, 1, 1), ["qtkt/indications"]),
        ("TR002", date(2026, 2, 9), None),
    ],
)
def test_each_period_cites_the_texts_in_force(
    rule_id: str, day: date, keys: list[str] | None
) -> None:
    versions = [v for v in RULE_SET.get(rule_id) if v.effective.contains(day)]
    if keys is None:
        assert versions == []
        return
    (version,) = versions
    found = [find(b, citations()) for b in version.basis]
    assert [c.key if c else None for c in found] == keys


def test_thematic_rules_without_a_numbered_price_decision_only_review() -> None:
    for rule_id in ("TH007", "TH008", "TH012"):
        (rule,) = RULE_SET.get(rule_id)
        assert rule.severity is Severity.REVIEW
    for rule_id in ("TH005", "TH007", "TH008", "TH012"):
        (rule,) = RULE_SET.get(rule_id)
        cited = [find(b, citations()) for b in rule.basis]
        assert "price_decision" not in {c.key for c in cited if c}, rule_id


def test_unused_citations_say_where_they_are_cited() -> None:
    used = citations_module.uses(RULE_SET, citations())
    for key, versions in used.items():
        if not versions:
            assert citations()[key].note, key


def test_citation_rows_are_checked(tmp_path: Path) -> None:
    text = CITATIONS_FILE.read_text(encoding="utf-8")
    header, first, *_ = text.splitlines()
    bad = tmp_path / "citations.csv"
    bad.write_text(f"{header}\n{first}\n{first}\n", encoding="utf-8")
    with pytest.raises(RuleDefinitionError, match="twice"):
        load_citations(bad)
    bad.write_text(
        f"{header}\n{first.replace(',partly,', ',maybe,')}\n", encoding="utf-8"
    )
    with pytest.raises(
        RuleDefinitionError, match=r"citations\.csv:2: verified 'maybe'"
    ):
        load_citations(bad)
    early = first.replace("2026-02-10,2026-02-10", "2026-02-10,2026-01-01")
    bad.write_text(f"{header}\n{early}\n", encoding="utf-8")
    with pytest.raises(RuleDefinitionError, match="before signed"):
        load_citations(bad)


def test_the_citations_page_is_current() -> None:
    stale = write_citations_page(DOCS, RULE_SET, write=False)
    regenerate = (
        'PYTHONPATH=src python -c "from pathlib import Path; '
        "from giamdinh.rules.registry import load_rule_set; "
        "from giamdinh.rules.citations import write_citations_page; "
        "write_citations_page(Path('docs/rules'), load_rule_set())\""
    )
    assert not stale, f"docs/rules/citations.md is stale; run {regenerate}"


def test_the_citations_page_lists_every_citation_and_its_users() -> None:
    page = citations_page(RULE_SET, citations())
    for key in citations():
        assert f"| `{key}` |" in page
    assert "[TB006](TB006.md) v2/v3/v4" in page
