"""Vietnamese working days: hand-checked deadlines across Tết, 30/4–1/5, 2/9 and swaps.

Every expected date below was worked out on a printed calendar; the comment of each
case counts the days one by one (the start day is never counted).
"""

from __future__ import annotations

from datetime import date

import pytest

from giamdinh.errors import ConfigError
from giamdinh.review.calendar import (
    DAY_OFF,
    WORKING_DAY,
    DeclaredDay,
    WorkingCalendar,
    default_calendar,
    load_declared_days,
)

D = date


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return default_calendar()


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Tết 2026, off Mon 16 – Fri 20 Feb. From Thu 12/2: Fri 13 (1); Sat 14, Sun 15
        # weekend; 16–20 Tết; Sat 21, Sun 22 weekend; Mon 23 (2), Tue 24 (3),
        # Wed 25 (4), Thu 26 (5), Fri 27 (6); weekend; Mon 2/3 (7).
        pytest.param(D(2026, 2, 12), 7, D(2026, 3, 2), id="tet-2026-7"),
        # From Fri 13/2/2026: the next working day is Mon 23/2 (1), after 9 days off.
        pytest.param(D(2026, 2, 13), 1, D(2026, 2, 23), id="tet-2026-1"),
        # Tết 2027, off Thu 4 – Wed 10 Feb. From Wed 3/2: 4–10 off; Thu 11 (1),
        # Fri 12 (2); Sat 13, Sun 14 weekend; Mon 15 (3).
        pytest.param(D(2027, 2, 3), 3, D(2027, 2, 15), id="tet-2027-3"),
        # 30/4–1/5/2025: Wed 30/4, Thu 1/5 and Fri 2/5 off, Sat 26/4 worked instead.
        # From Fri 25/4: Sat 26 (1, worked); Sun 27 no; Mon 28 (2); Tue 29 (3).
        pytest.param(D(2025, 4, 25), 3, D(2025, 4, 29), id="2025-04-26-worked"),
        # From Tue 29/4/2025: 30/4, 1/5, 2/5 off; Sat 3, Sun 4 weekend; Mon 5 (1),
        # Tue 6 (2).
        pytest.param(D(2025, 4, 29), 2, D(2025, 5, 6), id="2025-30-4-1-5"),
        # 2026: Hung Kings' day is Sun 26/4, so Mon 27/4 is off; Thu 30/4, Fri 1/5 off.
        # From Fri 24/4: Sat 25, Sun 26 weekend; Mon 27 off; Tue 28 (1), Wed 29 (2);
        # 30/4, 1/5 off; Sat 2, Sun 3 weekend; Mon 4/5 (3).
        pytest.param(D(2026, 4, 24), 3, D(2026, 5, 4), id="2026-hung-kings-30-4"),
        # 2/9/2025: Mon 1/9 and Tue 2/9 off. From Fri 29/8: Sat 30, Sun 31 weekend;
        # 1/9, 2/9 off; Wed 3 (1), Thu 4 (2).
        pytest.param(D(2025, 8, 29), 2, D(2025, 9, 4), id="2025-2-9"),
        # 2/9/2026: Mon 31/8 (swapped with Sat 22/8), Tue 1/9, Wed 2/9 off. From
        # Fri 28/8: Sat 29, Sun 30 weekend; 31/8, 1/9, 2/9 off; Thu 3 (1), Fri 4 (2).
        pytest.param(D(2026, 8, 28), 2, D(2026, 9, 4), id="2026-2-9"),
        # Sat 22/8/2026 is worked in exchange for 31/8: from Fri 21/8 it is day 1.
        pytest.param(D(2026, 8, 21), 1, D(2026, 8, 22), id="2026-08-22-worked"),
        # Declared in the project's data: Fri 2/1/2026 off, Sat 10/1/2026 worked.
        # From Wed 31/12/2025: Thu 1/1 New Year; Fri 2/1 off (declared); Sat 3, Sun 4;
        # Mon 5 (1), Tue 6 (2).
        pytest.param(D(2025, 12, 31), 2, D(2026, 1, 6), id="declared-2026-01-02"),
        # From Fri 9/1/2026: Sat 10/1 is worked (declared), so it is day 1.
        pytest.param(D(2026, 1, 9), 1, D(2026, 1, 10), id="declared-2026-01-10"),
        # From Fri 9/1/2026, 2 days: Sat 10 (1); Sun 11 no; Mon 12 (2).
        pytest.param(D(2026, 1, 9), 2, D(2026, 1, 12), id="declared-then-sunday"),
        # Ngày Văn hóa Việt Nam, Tue 24/11/2026, off from 2026. From Mon 23/11:
        # Tue 24 off; Wed 25 (1).
        pytest.param(D(2026, 11, 23), 1, D(2026, 11, 25), id="culture-day-2026"),
        # An ordinary week: from Mon 2/3/2026, 5 days: Tue 3 .. Fri 6 (4), Mon 9 (5).
        pytest.param(D(2026, 3, 2), 5, D(2026, 3, 9), id="ordinary-week"),
        # Zero days: the start itself, even on a holiday.
        pytest.param(D(2026, 2, 17), 0, D(2026, 2, 17), id="zero"),
    ],
)
def test_add_working_days(
    calendar: WorkingCalendar, start: date, days: int, due: date
) -> None:
    assert calendar.add_working_days(start, days) == due


def test_the_declared_days_come_from_the_project_data() -> None:
    # Without the declared rows Fri 2/1/2026 is a working day (the package does not
    # know the swap): from Wed 31/12/2025, Thu 1/1 off, Fri 2/1 (1), Mon 5/1 (2);
    # and Sat 10/1 is a weekend: from Fri 9/1, Mon 12/1 is day 1.
    bare = WorkingCalendar(declared=())
    assert bare.add_working_days(D(2025, 12, 31), 2) == D(2026, 1, 5)
    assert bare.add_working_days(D(2026, 1, 9), 1) == D(2026, 1, 12)
    packaged = {d.day: d.kind for d in load_declared_days()}
    assert packaged[D(2026, 1, 2)] == DAY_OFF
    assert packaged[D(2026, 1, 10)] == WORKING_DAY


def test_negative_days_are_refused(calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="counts forward"):
        calendar.add_working_days(D(2026, 3, 2), -1)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 3, 2), True),  # Monday
        (D(2026, 3, 6), True),  # Friday
        (D(2026, 3, 7), False),  # Saturday
        (D(2026, 3, 8), False),  # Sunday
        (D(2026, 1, 1), False),  # New Year
        (D(2026, 2, 17), False),  # Tết (Tuesday)
        (D(2026, 2, 23), True),  # Monday after Tết 2026
        (D(2025, 4, 26), True),  # Saturday worked for 2/5/2025
        (D(2025, 5, 2), False),  # Friday off for 26/4/2025
        (D(2026, 4, 27), False),  # Monday after Hung Kings' day on a Sunday
        (D(2026, 8, 22), True),  # Saturday worked for 31/8/2026
        (D(2026, 8, 31), False),  # Monday off for 22/8/2026
        (D(2026, 9, 2), False),  # National Day
        (D(2026, 1, 2), False),  # declared day off
        (D(2026, 1, 10), True),  # declared Saturday worked
        (D(2026, 1, 17), False),  # the next Saturday is a weekend again
        (D(2026, 11, 24), False),  # Vietnam Culture Day
        (D(2027, 2, 8), False),  # Tết 2027 (Monday)
    ],
)
def test_is_working_day(calendar: WorkingCalendar, day: date, working: bool) -> None:
    assert calendar.is_working_day(day) is working


def test_holiday_names(calendar: WorkingCalendar) -> None:
    assert calendar.holiday_name(D(2026, 3, 2)) is None
    assert calendar.holiday_name(D(2026, 1, 10)) is None  # worked
    assert "Tết" in (calendar.holiday_name(D(2026, 2, 17)) or "")
    declared = calendar.holiday_name(D(2026, 1, 2)) or ""
    assert "10/01/2026" in declared  # the note of the declared row
    assert calendar.holiday_name(D(2026, 11, 24)) is not None


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        # Fri 13/2/2026 to Mon 23/2/2026: only Mon 23 is a working day.
        (D(2026, 2, 13), D(2026, 2, 23), 1),
        # Thu 12/2 to Mon 2/3/2026: Fri 13, Mon 23 – Fri 27, Mon 2/3.
        (D(2026, 2, 12), D(2026, 3, 2), 7),
        # Backwards: the same days, negative.
        (D(2026, 3, 2), D(2026, 2, 12), -7),
        (D(2026, 3, 2), D(2026, 3, 2), 0),
        # Fri 24/4 to Mon 4/5/2026: Tue 28, Wed 29, Mon 4/5.
        (D(2026, 4, 24), D(2026, 5, 4), 3),
        # Sat 14/2 to Sun 22/2/2026: weekend, Tết, weekend: none.
        (D(2026, 2, 14), D(2026, 2, 22), 0),
        # Across the year: Wed 31/12/2025 to Sat 10/1/2026: Mon 5 – Fri 9 and the
        # worked Saturday 10.
        (D(2025, 12, 31), D(2026, 1, 10), 6),
    ],
)
def test_working_days_between(
    calendar: WorkingCalendar, start: date, end: date, count: int
) -> None:
    assert calendar.working_days_between(start, end) == count


def test_working_days_between_agrees_with_add(calendar: WorkingCalendar) -> None:
    start = D(2026, 2, 12)
    for days in range(15):
        due = calendar.add_working_days(start, days)
        assert calendar.working_days_between(start, due) == days


def _declared(day: date, kind: str) -> DeclaredDay:
    return DeclaredDay(day=day, kind=kind, document="CV 1/VPCP", note="test")


def test_a_declared_day_in_code_overrides_the_package() -> None:
    calendar = WorkingCalendar(
        declared=(
            # The package has Mon 31/8/2026 off and Sat 22/8/2026 worked; swap back.
            _declared(D(2026, 8, 31), WORKING_DAY),
            _declared(D(2026, 8, 22), DAY_OFF),
            # An ordinary Tuesday off.
            _declared(D(2026, 3, 3), DAY_OFF),
        )
    )
    assert calendar.is_working_day(D(2026, 8, 31))
    assert not calendar.is_working_day(D(2026, 8, 22))
    assert not calendar.is_working_day(D(2026, 3, 3))
    assert calendar.holiday_name(D(2026, 3, 3)) == "test"
    assert calendar.holiday_name(D(2026, 8, 31)) is None
    # From Fri 21/8/2026: Sat 22 off now; Mon 24 (1).
    assert calendar.add_working_days(D(2026, 8, 21), 1) == D(2026, 8, 24)
    # From Fri 28/8/2026: Mon 31 worked now (1); 1/9, 2/9 still off; Thu 3 (2).
    assert calendar.add_working_days(D(2026, 8, 28), 2) == D(2026, 9, 3)
    # The code's list replaces the packaged one: Fri 2/1/2026 is a working day here.
    assert calendar.is_working_day(D(2026, 1, 2))


def test_load_declared_days_reads_rows() -> None:
    days = load_declared_days(
        "date,kind,document,note\n2026-03-03,day_off,CV 9,nghỉ\n"
        "2026-03-14,working_day,CV 9,làm bù\n"
    )
    assert days == (
        DeclaredDay(day=D(2026, 3, 3), kind=DAY_OFF, document="CV 9", note="nghỉ"),
        DeclaredDay(
            day=D(2026, 3, 14), kind=WORKING_DAY, document="CV 9", note="làm bù"
        ),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "date,kind,document,note\n2026-03-03,day_off,a,b\n03/03/2026,day_off,a,b\n",
            r"declared_days\.csv row 3: date '03/03/2026' is not ISO",
            id="bad-date",
        ),
        pytest.param(
            "date,kind,document,note\n2026-02-30,day_off,a,b\n",
            r"row 2: date '2026-02-30'",
            id="impossible-date",
        ),
        pytest.param(
            "date,kind,document,note\n2026-03-03,holiday,a,b\n",
            r"declared_days\.csv row 2: kind 'holiday' is not day_off or working_day",
            id="bad-kind",
        ),
        pytest.param(
            "day,kind,document,note\n2026-03-03,day_off,a,b\n",
            r"row 2: date None",
            id="no-date-column",
        ),
        pytest.param(
            "date,kind,document,note\n2026-03-03\n",
            r"row 2: kind None",
            id="short-row",
        ),
        pytest.param(
            # A blank line is still a line of the file: the bad row is row 4.
            "date,kind,document,note\n2026-03-03,day_off,a,b\n\n2026-03-04,off,a,b\n",
            r"row 4: kind 'off'",
            id="after-a-blank-line",
        ),
    ],
)
def test_bad_declared_rows_name_the_row(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_declared_days(text)
