"""The legal clock: the packaged periods, effective dating, and malformed data."""

from __future__ import annotations

import csv
from datetime import date
from importlib import resources

import pytest

from giamdinh.errors import ConfigError
from giamdinh.review.calendar import WorkingCalendar, default_calendar
from giamdinh.review.deadlines import (
    RUNS_IN,
    Step,
    deadline,
    load_rules,
    period_rules,
    rule_for,
)
from giamdinh.review.workflow import CaseState

D = date
HEADER = (
    "step,party,days,unit,valid_from,valid_to,document,article,document_date,"
    "verified,label_vi,label_en\n"
)


def _row(
    *,
    step: str = "send_result",
    days: str = "7",
    unit: str = "working",
    valid_from: str = "2026-02-10",
    valid_to: str = "",
    document_date: str = "2026-02-10",
) -> str:
    return (
        f"{step},insurer,{days},{unit},{valid_from},{valid_to},TT 12,Điều 10,"
        f"{document_date},secondary,nhãn,label\n"
    )


def test_every_packaged_row_loads() -> None:
    text = (
        resources.files("giamdinh.review")
        .joinpath("data", "deadlines.csv")
        .read_text(encoding="utf-8")
    )
    raw = list(csv.DictReader(text.splitlines()))
    rules = period_rules()
    assert len(rules) == len(raw) >= 4
    assert {r.step for r in rules} == set(Step)
    for rule, row in zip(rules, raw, strict=True):
        assert rule.step.value == row["step"]
        assert rule.days == int(row["days"])
        assert rule.unit in {"working", "calendar"}
        assert rule.document
        assert rule.label_vi
        assert rule.label_en


@pytest.mark.parametrize(
    ("step", "start", "due", "period"),
    [
        # 7 working days from Tue 10/2/2026: Wed 11 (1), Thu 12 (2), Fri 13 (3);
        # weekend, Tết 16–20/2, weekend; Mon 23 (4), Tue 24 (5), Wed 25 (6),
        # Thu 26 (7).
        (Step.SEND_RESULT, D(2026, 2, 10), D(2026, 2, 26), ("insurer", 7, "working")),
        # 3 working days from Thu 23/4/2026: Fri 24 (1); weekend; Mon 27 off
        # (Hung Kings' day observed); Tue 28 (2), Wed 29 (3).
        (
            Step.FACILITY_ANSWER,
            D(2026, 4, 23),
            D(2026, 4, 29),
            ("facility", 3, "working"),
        ),
        # 2 working days from Tue 28/4/2026: Wed 29 (1); Thu 30/4, Fri 1/5 off;
        # weekend; Mon 4/5 (2).
        (Step.SIGN_RECORD, D(2026, 4, 28), D(2026, 5, 4), ("facility", 2, "working")),
        # 90 calendar days from Mon 2/3/2026: 29 days to 31/3, 30 in April (59),
        # 31 in May (90): Sun 31/5/2026, not moved off the weekend.
        (Step.APPEAL, D(2026, 3, 2), D(2026, 5, 31), ("facility", 90, "calendar")),
        # 90 calendar days across Tết, counted straight: from 10/2/2026, 18 days to
        # 28/2, 31 in March (49), 30 in April (79), 11 in May: Mon 11/5/2026.
        (Step.APPEAL, D(2026, 2, 10), D(2026, 5, 11), ("facility", 90, "calendar")),
    ],
)
def test_deadline_of_each_step(
    step: Step, start: date, due: date, period: tuple[str, int, str]
) -> None:
    party, days, unit = period
    found = deadline(step, start)
    assert found is not None
    assert found.due == due
    assert found.start == start
    assert found.step is step
    assert found.party == party
    assert found.rule.days == days
    assert found.rule.unit == unit


def test_the_law_sets_the_basis() -> None:
    found = deadline(Step.SEND_RESULT, D(2026, 3, 2))
    assert found is not None
    assert found.rule.basis == "Thông tư 12/2026/TT-BTC (10/02/2026), Điều 10 khoản 2"


@pytest.mark.parametrize(
    ("step", "before"),
    [
        (Step.SEND_RESULT, D(2026, 2, 9)),
        (Step.FACILITY_ANSWER, D(2026, 2, 9)),
        (Step.SIGN_RECORD, D(2025, 12, 31)),
        (Step.APPEAL, D(2012, 6, 30)),
    ],
)
def test_no_period_before_the_row_takes_effect(step: Step, before: date) -> None:
    assert deadline(step, before) is None
    assert rule_for(step, before) is None


def test_effective_dating_picks_the_row_in_force_on_the_start() -> None:
    rules = load_rules(
        HEADER
        + _row(days="5", valid_from="2026-01-01", valid_to="2026-06-30")
        + _row(days="10", valid_from="2026-07-01")
    )
    # Tue 30/6/2026 + 5 working days: Wed 1/7 .. Fri 3/7 (3), Mon 6 (4), Tue 7 (5).
    old = deadline(Step.SEND_RESULT, D(2026, 6, 30), rules=rules)
    assert old is not None
    assert old.rule.days == 5
    assert old.due == D(2026, 7, 7)
    # Wed 1/7/2026 + 10 working days: Thu 2, Fri 3 (2), Mon 6 – Fri 10 (7),
    # Mon 13 – Wed 15 (10).
    new = deadline(Step.SEND_RESULT, D(2026, 7, 1), rules=rules)
    assert new is not None
    assert new.rule.days == 10
    assert new.due == D(2026, 7, 15)
    assert deadline(Step.SEND_RESULT, D(2025, 12, 31), rules=rules) is None
    assert deadline(Step.APPEAL, D(2026, 7, 1), rules=rules) is None


def test_a_deadline_uses_the_calendar_it_is_given() -> None:
    # With no declared days Fri 2/1/2026 counts: from Wed 31/12/2025, 2 days end
    # on Mon 5/1 (Fri 2 (1), Mon 5 (2)) instead of Tue 6/1.
    rules = load_rules(HEADER + _row(days="2", valid_from="2025-01-01"))
    bare = deadline(
        Step.SEND_RESULT,
        D(2025, 12, 31),
        calendar=WorkingCalendar(declared=()),
        rules=rules,
    )
    packaged = deadline(Step.SEND_RESULT, D(2025, 12, 31), rules=rules)
    assert bare is not None
    assert packaged is not None
    assert (bare.due, packaged.due) == (D(2026, 1, 5), D(2026, 1, 6))


def test_overdue_and_working_days_left() -> None:
    found = deadline(Step.SEND_RESULT, D(2026, 2, 10))
    assert found is not None  # due Thu 26/2/2026
    assert not found.overdue(D(2026, 2, 26))
    assert found.overdue(D(2026, 2, 27))
    calendar = default_calendar()
    # From Fri 13/2: Mon 23 – Thu 26 are left.
    assert found.working_days_left(D(2026, 2, 13), calendar) == 4
    assert found.working_days_left(D(2026, 2, 26), calendar) == 0
    # Mon 2/3 is late by Fri 27/2 and Mon 2/3.
    assert found.working_days_left(D(2026, 3, 2), calendar) == -2


def test_each_clock_runs_in_the_state_it_ends() -> None:
    assert RUNS_IN[Step.SEND_RESULT] == {CaseState.OPENED}
    assert RUNS_IN[Step.FACILITY_ANSWER] == {CaseState.SENT}
    assert RUNS_IN[Step.SIGN_RECORD] == {CaseState.DECIDED}
    assert RUNS_IN[Step.APPEAL] == {CaseState.DECIDED, CaseState.CLOSED}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            HEADER + _row(step="pay"), r"deadlines\.csv row 2: .*'pay'", id="step"
        ),
        pytest.param(HEADER + _row(days="seven"), r"row 2: .*'seven'", id="days"),
        pytest.param(HEADER + _row(unit="hours"), r"row 2: unit 'hours'", id="unit"),
        pytest.param(
            HEADER + _row() + _row(valid_from="10/02/2026"),
            r"row 3: .*'10/02/2026'",
            id="valid-from",
        ),
        pytest.param(
            HEADER + _row(valid_to="2026-13-01"),
            r"row 2: month must be in 1\.\.12",
            id="valid-to",
        ),
        pytest.param(
            HEADER + _row(document_date="soon"), r"row 2: .*'soon'", id="doc-date"
        ),
        pytest.param(
            HEADER.replace("party,", "") + _row(), r"deadlines\.csv row 2", id="column"
        ),
        pytest.param(HEADER + "send_result,insurer\n", r"row 2", id="short-row"),
        pytest.param(
            # A blank line is still a line of the file: the bad row is row 4.
            HEADER + _row() + "\n" + _row(unit="weeks"),
            r"row 4: unit 'weeks'",
            id="after-a-blank-line",
        ),
    ],
)
def test_malformed_rows_raise_config_error(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_rules(text)
