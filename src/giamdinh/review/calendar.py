"""Working days in Viet Nam: the calendar every legal deadline of a case is counted on.

A working day is a weekday that is not a public holiday (Labour Code 45/2019/QH14
Art. 112, Tết by the lunar calendar) and not a day off the government moved to
another date; a Saturday the government declared a working day in exchange counts.
The public holidays, Tết and the moved days known when it was released come from
the maintained ``holidays`` package (its Vietnamese calendar computes the lunar
dates); days the government declares later, before the package knows them, are
project data (``data/declared_days.csv``: date, ``day_off`` or ``working_day``,
the document that declared it), so a new declaration is a row, not a release.

Deadlines are counted as the Civil Code counts time limits (Law 91/2015/QH13
Art. 147.1): the day of the event is not counted; the period starts the next day.
"N working days from D" therefore ends on the N-th working day after D.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources

from giamdinh.errors import ConfigError

DECLARED_DAYS = "declared_days.csv"
DAY_OFF = "day_off"
WORKING_DAY = "working_day"
#: The calendar is built for these years around any date asked about.
_YEARS_AROUND = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclaredDay:
    """A day the government moved: off on a weekday, or worked on a weekend."""

    day: date
    kind: str
    document: str
    note: str


def load_declared_days(text: str | None = None) -> tuple[DeclaredDay, ...]:
    """Read the declared days (the packaged file unless ``text`` is given).

    Raises:
        ConfigError: a row has a bad date or kind (the message names the row).
    """
    if text is None:
        text = (
            resources.files("giamdinh.review")
            .joinpath("data", DECLARED_DAYS)
            .read_text(encoding="utf-8")
        )
    days: list[DeclaredDay] = []
    reader = csv.DictReader(text.splitlines())
    for row in reader:
        number = reader.line_num  # the file's line: blank lines count too
        try:
            day = date.fromisoformat(row["date"])
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"{DECLARED_DAYS} row {number}: date {row.get('date')!r} is not ISO"
            raise ConfigError(msg) from exc
        kind = row.get("kind", "")
        if kind not in {DAY_OFF, WORKING_DAY}:
            msg = (
                f"{DECLARED_DAYS} row {number}: kind {kind!r} is not "
                f"{DAY_OFF} or {WORKING_DAY}"
            )
            raise ConfigError(msg)
        days.append(
            DeclaredDay(
                day=day,
                kind=kind,
                document=row.get("document", ""),
                note=row.get("note", ""),
            )
        )
    return tuple(days)


class WorkingCalendar:
    """Vietnamese working days: weekends, public holidays, Tết and declared days.

    Args:
        declared: days the government moved, beyond what the ``holidays`` package
            knows (the packaged list by default).
    """

    def __init__(self, declared: tuple[DeclaredDay, ...] | None = None) -> None:
        self.declared = load_declared_days() if declared is None else declared
        self._off = {d.day for d in self.declared if d.kind == DAY_OFF}
        self._worked = {d.day for d in self.declared if d.kind == WORKING_DAY}
        self._years: set[int] = set()
        self._holidays: dict[date, str] = {}
        self._weekend_workdays: set[date] = set()

    def _load(self, year: int) -> None:
        years = set(range(year - _YEARS_AROUND, year + _YEARS_AROUND + 1))
        missing = sorted(years - self._years)
        if not missing:
            return
        import holidays  # noqa: PLC0415 - only commands that count deadlines pay for it

        calendar = holidays.country_holidays("VN", years=missing, language="vi")
        self._holidays.update(calendar.items())
        self._weekend_workdays.update(calendar.weekend_workdays)
        self._years.update(missing)

    def holiday_name(self, day: date) -> str | None:
        """Return the public holiday or declared day off on ``day``, if any."""
        self._load(day.year)
        if day in self._worked:
            return None
        if day in self._off:
            return next(d.note or d.document for d in self.declared if d.day == day)
        return self._holidays.get(day)

    def is_working_day(self, day: date) -> bool:
        """Return whether public offices work on ``day``."""
        self._load(day.year)
        if day in self._worked:
            return True
        if day in self._off or day in self._holidays:
            return False
        if day.weekday() >= 5:  # noqa: PLR2004 - Saturday and Sunday
            return day in self._weekend_workdays
        return True

    def add_working_days(self, start: date, days: int) -> date:
        """Return the ``days``-th working day after ``start`` (``start`` not counted).

        ``add_working_days(D, 0)`` is ``D``.

        Raises:
            ValueError: ``days`` is negative.
        """
        if days < 0:
            msg = f"a deadline counts forward: {days} working days"
            raise ValueError(msg)
        day = start
        left = days
        while left:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Return the working days after ``start`` up to and including ``end``.

        Negative when ``end`` is before ``start`` (the days counted backwards).
        """
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            self.is_working_day(start + timedelta(days=i))
            for i in range(1, (end - start).days + 1)
        )


@cache
def default_calendar() -> WorkingCalendar:
    """Return the calendar built from the packaged declared days (shared)."""
    return WorkingCalendar()


__all__ = [
    "DAY_OFF",
    "WORKING_DAY",
    "DeclaredDay",
    "WorkingCalendar",
    "default_calendar",
    "load_declared_days",
]
