"""The legal clock of a case: which deadline runs now, until when, and for whom.

The periods are effective-dated data (``data/deadlines.csv``: step, who must act,
how many days, working or calendar days, the event the count starts from, the
period of validity and the text that sets it); the row in force on the day the
count starts is the one used. Working days are counted on
``giamdinh.review.calendar``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from giamdinh.errors import ConfigError
from giamdinh.review.calendar import WorkingCalendar, default_calendar
from giamdinh.review.workflow import CaseState

if TYPE_CHECKING:
    from collections.abc import Sequence

DEADLINES = "deadlines.csv"


class Step(StrEnum):
    """A step of the procedure that the law gives a period to."""

    SEND_RESULT = "send_result"
    FACILITY_ANSWER = "facility_answer"
    SIGN_RECORD = "sign_record"
    APPEAL = "appeal"


#: The state in which each step's clock runs (the step ends the state).
RUNS_IN: dict[Step, frozenset[CaseState]] = {
    Step.SEND_RESULT: frozenset({CaseState.OPENED}),
    Step.FACILITY_ANSWER: frozenset({CaseState.SENT}),
    Step.SIGN_RECORD: frozenset({CaseState.DECIDED}),
    Step.APPEAL: frozenset({CaseState.DECIDED, CaseState.CLOSED}),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PeriodRule:
    """One row of ``deadlines.csv``."""

    step: Step
    party: str
    days: int
    unit: str
    valid_from: date
    valid_to: date | None
    document: str
    article: str
    document_date: date | None
    verified: str
    label_vi: str
    label_en: str

    def in_force(self, day: date) -> bool:
        """Return whether the row applies to a count starting on ``day``."""
        return self.valid_from <= day and (
            self.valid_to is None or day <= self.valid_to
        )

    @property
    def basis(self) -> str:
        """Return the text that sets the period, as cited."""
        when = f" ({self.document_date:%d/%m/%Y})" if self.document_date else ""
        return f"{self.document}{when}, {self.article}".strip(", ")


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def load_rules(text: str | None = None) -> tuple[PeriodRule, ...]:
    """Read the periods (the packaged file unless ``text`` is given).

    Raises:
        ConfigError: a row is malformed (the message names the row).
    """
    if text is None:
        text = (
            resources.files("giamdinh.review")
            .joinpath("data", DEADLINES)
            .read_text(encoding="utf-8")
        )
    rules: list[PeriodRule] = []
    reader = csv.DictReader(text.splitlines())
    for row in reader:
        number = reader.line_num  # the file's line: blank lines count too
        try:
            valid_from = date.fromisoformat(row["valid_from"])
            rule = PeriodRule(
                step=Step(row["step"]),
                party=row["party"],
                days=int(row["days"]),
                unit=row["unit"],
                valid_from=valid_from,
                valid_to=_date(row["valid_to"]),
                document=row["document"],
                article=row["article"],
                document_date=_date(row["document_date"]),
                verified=row["verified"],
                label_vi=row["label_vi"],
                label_en=row["label_en"],
            )
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"{DEADLINES} row {number}: {exc}"
            raise ConfigError(msg) from exc
        if rule.unit not in {"working", "calendar"}:
            msg = (
                f"{DEADLINES} row {number}: unit {rule.unit!r} is not working/calendar"
            )
            raise ConfigError(msg)
        rules.append(rule)
    return tuple(rules)


@cache
def period_rules() -> tuple[PeriodRule, ...]:
    """Return the packaged periods (read once)."""
    return load_rules()


def rule_for(
    step: Step, day: date, rules: Sequence[PeriodRule] | None = None
) -> PeriodRule | None:
    """Return the period of ``step`` in force for a count starting on ``day``."""
    for rule in rules if rules is not None else period_rules():
        if rule.step is step and rule.in_force(day):
            return rule
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Deadline:
    """A running deadline: the step, who must act, from when, until when."""

    step: Step
    party: str
    start: date
    due: date
    rule: PeriodRule

    def overdue(self, today: date) -> bool:
        """Return whether ``today`` is past the last day."""
        return today > self.due

    def working_days_left(self, today: date, calendar: WorkingCalendar) -> int:
        """Return the working days from ``today`` to the last day (negative: late)."""
        return calendar.working_days_between(today, self.due)


def deadline(
    step: Step,
    start: date,
    *,
    calendar: WorkingCalendar | None = None,
    rules: Sequence[PeriodRule] | None = None,
) -> Deadline | None:
    """Return the deadline of ``step`` counted from ``start`` (``None``: no period)."""
    rule = rule_for(step, start, rules)
    if rule is None:
        return None
    if rule.unit == "working":
        due = (calendar or default_calendar()).add_working_days(start, rule.days)
    else:
        due = start + timedelta(days=rule.days)
    return Deadline(step=step, party=rule.party, start=start, due=due, rule=rule)


__all__ = [
    "RUNS_IN",
    "Deadline",
    "PeriodRule",
    "Step",
    "deadline",
    "load_rules",
    "period_rules",
    "rule_for",
]
