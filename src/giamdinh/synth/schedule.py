"""Timelines: when a person or a machine is busy, so clean claims never overlap.

Minutes are counted from the first minute of the generated month. Each timeline keeps
its busy intervals sorted and non-overlapping (half-open ``[start, end)``), forgets
intervals more than a day behind the generation clock, and tracks the counted minutes
per day (reference minutes × the performer share used by the signals) so that nobody's
day gets anywhere near 24 hours.
"""

from __future__ import annotations

from bisect import bisect_right

DAY = 1440


class Timeline:
    """Busy intervals of one person or machine."""

    __slots__ = ("_ends", "_load", "_starts")

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._load: dict[int, float] = {}

    def earliest(self, start: int, duration: int) -> int:
        """Return the first free start at or after ``start`` lasting ``duration``."""
        ends = self._ends
        starts = self._starts
        i = bisect_right(ends, start)
        n = len(starts)
        while i < n and starts[i] < start + duration:
            start = max(start, ends[i])
            i += 1
        return start

    def book(self, start: int, duration: int, *, counted: float = 0.0) -> None:
        """Mark ``[start, start + duration)`` busy (the caller found it free)."""
        i = bisect_right(self._starts, start)
        self._starts.insert(i, start)
        self._ends.insert(i, start + max(duration, 1))
        if counted:
            day = start // DAY
            self._load[day] = self._load.get(day, 0.0) + counted

    def load(self, day: int) -> float:
        """Return the counted minutes booked on ``day``."""
        return self._load.get(day, 0.0)

    def prune(self, clock: int) -> None:
        """Forget intervals that ended more than a day before ``clock``."""
        cut = bisect_right(self._ends, clock - DAY)
        if cut > 64:  # noqa: PLR2004 - prune in batches, not on every booking
            del self._starts[:cut]
            del self._ends[:cut]
            old = clock // DAY - 2
            for day in [d for d in self._load if d < old]:
                del self._load[day]


def earliest_common(timelines: list[Timeline], start: int, duration: int) -> int:
    """Return the first start at or after ``start`` free on every timeline."""
    while True:
        moved = start
        for timeline in timelines:
            moved = timeline.earliest(moved, duration)
        if moved == start:
            return start
        start = moved
