"""Guards a rule author cannot step around: time read from the SQL, maximum
severity under overrides, and a rule-set version that covers all that decides."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pytest

from giamdinh.domain import Basis, Grain, Period, Severity
from giamdinh.engine.overrides import Override, apply_overrides
from giamdinh.errors import RuleDefinitionError
from giamdinh.rules.model import Evidence, Family, Rule
from giamdinh.rules.registry import (
    ENGINE_DIR,
    RULES_DIR,
    guard_time,
    load_rule_set,
    rule_set_version,
    version_inputs,
)
from giamdinh.rules.sqlscan import TimeEvidence, time_evidence

if TYPE_CHECKING:
    from pathlib import Path


def _rule(sql: str, **changes: object) -> Rule:
    rule = Rule(
        id="ZZ009",
        name="test.guarded",
        version=1,
        doc="A test rule.\n\nWhy: tests.",
        title="Thử",
        title_en="Test",
        message="Dòng {ma_dich_vu}",
        message_en="Line {ma_dich_vu}",
        family=Family.REASONABLENESS,
        severity=Severity.REFUSE,
        basis=(Basis(document="Thông tư 12/2026/TT-BTC", article="Điều 10"),),
        effective=Period(start=date(2026, 1, 1)),
        grain=Grain.LINE,
        table="XML3",
        evidence=frozenset({Evidence.CLAIM_DATA}),
        sql=sql,
    )
    return dataclasses.replace(rule, **changes) if changes else rule  # type: ignore[arg-type]


SHORT_AGAINST_REFERENCE = """
    select l.ma_lk, l.stt, l.ma_dich_vu
    from xml3 as l join ref_techniques as t on t.ma_dich_vu = l.ma_dich_vu
    where date_diff('minute', l.ngay_th_yl, l.ngay_kq) < t.reference_minutes
"""
LAUNDERED = """
    with times as (
        select ma_lk, stt, ma_dich_vu, ngay_th_yl as bat_dau, ngay_kq as ket_thuc
        from xml3
    ), spans as (select *, ket_thuc as den from times)
    select ma_lk, stt, ma_dich_vu from spans
    where epoch(den) - epoch(bat_dau) < 300
"""
DEVICE = """
    select l.ma_lk, l.stt, l.ma_dich_vu
    from xml3 as l join device_runs as d on d.ma_may = l.ma_may
"""
ORDER_INTERVAL = """
    select ma_lk, stt, ma_dich_vu from (
        select *, lag(ngay_yl) over (partition by ma_lk order by ngay_yl) as truoc
        from xml3
    ) where date_diff('hour', truoc, ngay_yl) < 24
"""


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        (SHORT_AGAINST_REFERENCE, TimeEvidence.EXECUTION_DURATION),
        (SHORT_AGAINST_REFERENCE, TimeEvidence.REFERENCE_MINUTES),
        (LAUNDERED, TimeEvidence.EXECUTION_DURATION),
        (DEVICE, TimeEvidence.DEVICE_LOG),
    ],
)
def test_a_rule_reading_time_cannot_refuse_whatever_its_label(
    sql: str, kind: TimeEvidence
) -> None:
    assert kind in time_evidence(sql)
    with pytest.raises(RuleDefinitionError, match="Ministry of Health"):
        guard_time(_rule(sql))
    with pytest.raises(RuleDefinitionError, match="Ministry of Health"):
        guard_time(_rule(sql, severity=Severity.ADJUST, amount="1"))


def test_a_time_rule_may_review_and_is_capped_there() -> None:
    guarded = guard_time(_rule(SHORT_AGAINST_REFERENCE, severity=Severity.REVIEW))
    assert guarded.max_severity is Severity.REVIEW
    with pytest.raises(RuleDefinitionError, match="at most"):
        dataclasses.replace(guarded, severity=Severity.REFUSE)


def test_an_order_interval_must_say_why_it_is_a_payment_condition() -> None:
    with pytest.raises(RuleDefinitionError, match="time_condition"):
        guard_time(_rule(ORDER_INTERVAL))
    stated = _rule(ORDER_INTERVAL, time_condition="a frequency limit between orders")
    assert guard_time(stated) is stated


def test_plain_claim_data_passes_untouched() -> None:
    rule = _rule("select ma_lk, stt, ma_dich_vu from xml3 where don_gia_bh > 0")
    assert time_evidence(rule.sql) == frozenset()
    assert guard_time(rule) is rule


def test_th006_states_its_interval_is_a_payment_condition() -> None:
    (th006,) = load_rule_set().get("TH006")
    assert TimeEvidence.ORDER_INTERVAL in time_evidence(th006.sql)
    assert "payment condition" in th006.time_condition


@pytest.mark.parametrize("rule_id", ["RS001", "RS004", "RS005", "CD005"])
def test_an_override_cannot_raise_a_rule_above_its_maximum(rule_id: str) -> None:
    rules = load_rule_set()
    raise_it = Override(
        rule=rule_id,
        severity=Severity.REFUSE,
        by="test",
        why="try to refuse",
        at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    with pytest.raises(RuleDefinitionError, match=r"at most|may only be"):
        apply_overrides(rules, [raise_it])


def test_the_version_covers_shared_sql_derived_views_and_decisions() -> None:
    inputs = set(version_inputs())
    assert RULES_DIR / "shared.py" in inputs
    assert ENGINE_DIR / "derived.py" in inputs
    assert ENGINE_DIR / "sql.py" in inputs  # the wrapper and decision queries
    assert any(p.suffix == ".csv" for p in inputs)


@pytest.mark.parametrize(
    "changed", ["rules/shared.py", "engine/derived.py", "engine/sql.py"]
)
def test_a_change_in_what_decides_changes_the_version(
    tmp_path: Path, changed: str
) -> None:
    copies = []
    for path in version_inputs():
        target = tmp_path / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        copies.append(target)
    before = rule_set_version(copies, extra=["giamdinh==0.1.0"])
    edited = tmp_path / changed
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# changed\n")
    assert rule_set_version(copies, extra=["giamdinh==0.1.0"]) != before
    assert rule_set_version(copies, extra=["giamdinh==0.1.1"]) != rule_set_version(
        copies, extra=["giamdinh==0.1.0"]
    )
