"""Load-time invariants of rules, edit tables and rule sets."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest

from giamdinh.domain import Grain, Period, Severity
from giamdinh.errors import RuleDefinitionError
from giamdinh.rules.citations import citations, cite
from giamdinh.rules.edits import SPECS, load_table, load_tables
from giamdinh.rules.model import TIME_POSITION, Evidence, Family, Rule
from giamdinh.rules.registry import check_rule_set, load_rule_set
from giamdinh.signals.model import BASIS_TIME_IS_EVIDENCE

if TYPE_CHECKING:
    from pathlib import Path

#: A row of citations.csv in force before the test rules start (check_rule_set).
BASIS = (cite("tt12_2026/10.1.d"),)


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
        "basis": BASIS,
        "effective": Period(start=date(2026, 3, 1)),
        "grain": Grain.LINE,
        "table": "XML3",
        "sql": "select ma_lk, stt, ma_dich_vu from xml3",
    }
    fields.update(changes)
    return Rule(**fields)


def test_a_valid_rule_builds() -> None:
    assert make().key == "ZZ001@1"


@pytest.mark.parametrize("severity", [Severity.REFUSE, Severity.ADJUST])
@pytest.mark.parametrize("kind", [Evidence.EXECUTION_TIME, Evidence.MACHINE_TIME])
def test_time_evidence_cannot_refuse_or_adjust(
    severity: Severity, kind: Evidence
) -> None:
    with pytest.raises(RuleDefinitionError, match="Bộ Y tế") as info:
        make(severity=severity, evidence=frozenset({kind}), amount="1")
    assert "never a ground for refusal" in str(info.value)


@pytest.mark.parametrize("severity", [Severity.INFO, Severity.REVIEW])
def test_time_evidence_may_inform_or_review(severity: Severity) -> None:
    rule = make(severity=severity, evidence=frozenset({Evidence.EXECUTION_TIME}))
    assert rule.severity is severity


@pytest.mark.parametrize("severity", [Severity.REFUSE, Severity.ADJUST])
def test_refuse_and_adjust_need_a_basis(severity: Severity) -> None:
    with pytest.raises(RuleDefinitionError, match="legal basis"):
        make(severity=severity, basis=(), amount="1")


def test_review_without_basis_is_allowed() -> None:
    assert make(severity=Severity.REVIEW, basis=()).basis == ()


def test_adjust_needs_an_amount() -> None:
    with pytest.raises(RuleDefinitionError, match="amount"):
        make(severity=Severity.ADJUST)


def test_the_moh_time_letter_is_dated_february_2026() -> None:
    letter = citations()["byt_2026_02_time"]
    assert letter.basis == BASIS_TIME_IS_EVIDENCE
    assert "02/2026" in letter.document
    assert letter.signed is None  # the day was not published; not 2025
    assert "02/2026" in TIME_POSITION
    assert "(2025)" not in TIME_POSITION


def test_override_cannot_raise_time_rule_to_refuse() -> None:
    rule = make(severity=Severity.INFO, evidence=frozenset({Evidence.EXECUTION_TIME}))
    with pytest.raises(RuleDefinitionError, match="reference"):
        dataclasses.replace(rule, severity=Severity.REFUSE)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("id", "Z1", "2 capital letters"),
        ("name", "NotDotted", "dotted snake case"),
        ("table", "XML4", "line rule needs"),
        ("doc", "", "docstring"),
        ("message", "{amount}", "reserved"),
        ("params", {"Bad-Name": 1}, "snake case"),
    ],
)
def test_malformed_rules_are_refused(field: str, value: object, match: str) -> None:
    with pytest.raises(RuleDefinitionError, match=match):
        make(**{field: value})


def test_overlapping_versions_are_an_error() -> None:
    v1 = make(effective=Period(start=date(2026, 3, 1), end=date(2026, 6, 30)))
    v2 = make(version=2, effective=Period(start=date(2026, 6, 30)))
    with pytest.raises(RuleDefinitionError, match="overlap"):
        check_rule_set([v1, v2])


def test_consecutive_versions_are_fine() -> None:
    v1 = make(effective=Period(start=date(2026, 3, 1), end=date(2026, 6, 29)))
    v2 = make(version=2, effective=Period(start=date(2026, 6, 30)))
    check_rule_set([v1, v2])


def test_one_name_for_two_ids_is_an_error() -> None:
    with pytest.raises(RuleDefinitionError, match="share the name"):
        check_rule_set([make(), make(id="ZZ002")])


def test_shipped_rule_set_loads_with_a_stable_version() -> None:
    first, second = load_rule_set(), load_rule_set()
    assert first.version == second.version
    assert first.version.startswith("rs-")


def test_shipped_edit_tables_have_rationale_and_dates() -> None:
    for table in load_tables().values():
        for row in table.rows:
            assert row["rationale"]
            assert isinstance(row["valid_from"], date)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


HEADER = "code_a,code_b,scope,topic,refusal_code,rationale,source,valid_from,valid_to\n"


def test_edit_rows_overlapping_are_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path / "code_pairs.csv",
        HEADER
        + "A,B,same_day,,,r,s,2026-01-01,2026-06-30\n"
        + "A,B,same_day,,,r,s,2026-06-01,\n",
    )
    with pytest.raises(RuleDefinitionError, match="overlap"):
        load_table(SPECS["code_pairs"], path)


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("A,B,same_day,,,,s,2026-01-01,", "rationale"),
        ("A,B,sometimes,,,r,s,2026-01-01,", "scope"),
        ("A,B,same_day,,,r,s,01/01/2026,", "YYYY-MM-DD"),
        ("A,B,same_day,,,r,s,2026-06-01,2026-01-01", "before it starts"),
    ],
)
def test_bad_edit_rows_name_file_line_and_column(
    tmp_path: Path, row: str, match: str
) -> None:
    path = write(tmp_path / "code_pairs.csv", HEADER + row + "\n")
    with pytest.raises(RuleDefinitionError, match=match) as info:
        load_table(SPECS["code_pairs"], path)
    assert "line 2" in str(info.value)
