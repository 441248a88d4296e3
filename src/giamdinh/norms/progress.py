"""Progress of the programme in the seed's terms: assigned / qualified / drafts sent.

Counts are queries over the append-only events, so a report *as of* any past day is
exact: an assignment counts as *qualified* once it has reached ``qualified`` and as a
*draft sent* once it has reached ``submitted`` (later review, revision or withdrawal
does not un-send it). The programme totals count **focal** assignments (one focal
hospital per technique, so the totals are numbers of techniques); drafts from
participating hospitals are shown in their own column.

*Overdue*: the deadline is before the report day and the assignment has not sent a
draft, is not closed as not qualified, and is not withdrawn.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from giamdinh.db.models.norms import (
    NormAssignment,
    NormEvent,
    NormHospital,
    NormTechnique,
)
from giamdinh.norms.workflow import DraftState

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(slots=True, kw_only=True)
class ProgressRow:
    """Counts for one hospital or one chapter."""

    key: str
    name: str
    assigned: int = 0
    qualified: int = 0
    drafts_sent: int = 0
    not_qualified: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    participating_drafts: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class OverdueItem:
    """An assignment past its deadline without a draft sent."""

    technique_code: str
    technique_name: str
    hospital_code: str
    state: DraftState
    deadline: date
    days_overdue: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ProgressReport:
    """The programme as of a day, by hospital and by chapter."""

    as_of: date
    total: ProgressRow
    by_hospital: tuple[ProgressRow, ...]
    by_chapter: tuple[ProgressRow, ...]
    overdue: tuple[OverdueItem, ...]

    def headline(self) -> str:
        """Return the seed's sentence: 'assigned 9,033 / qualified 5,386 / ...'."""
        return (
            f"assigned {self.total.assigned:,} / qualified {self.total.qualified:,}"
            f" / drafts sent {self.total.drafts_sent:,}"
        )


def progress_report(session: Session, *, as_of: date | None = None) -> ProgressReport:
    """Build the progress report from the events recorded up to the end of ``as_of``."""
    day = as_of or datetime.now(tz=UTC).date()
    cutoff = datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
    reached: dict[int, set[str]] = defaultdict(set)
    last_state: dict[int, str] = {}
    for assignment_id, to_state, _at, _id in session.execute(
        select(NormEvent.assignment_id, NormEvent.to_state, NormEvent.at, NormEvent.id)
        .where(NormEvent.at < cutoff)
        .order_by(NormEvent.at, NormEvent.id)
    ):
        reached[assignment_id].add(to_state)
        last_state[assignment_id] = to_state
    hospitals = dict(
        session.execute(select(NormHospital.code, NormHospital.name)).all()
    )
    rows = session.execute(
        select(
            NormAssignment.id,
            NormAssignment.technique_code,
            NormAssignment.hospital_code,
            NormAssignment.is_focal,
            NormAssignment.deadline,
            NormAssignment.not_qualified_reason,
            NormTechnique.chapter,
            NormTechnique.chapter_name,
            NormTechnique.name,
        ).join(NormTechnique, NormTechnique.code == NormAssignment.technique_code)
    ).all()
    total = ProgressRow(key="*", name="Tổng cộng / Total")
    by_hospital: dict[str, ProgressRow] = {
        code: ProgressRow(key=code, name=name) for code, name in hospitals.items()
    }
    by_chapter: dict[str, ProgressRow] = {}
    overdue: list[OverdueItem] = []
    for row in rows:
        states = reached.get(row.id)
        if not states:
            continue  # assigned after the report day
        chapter = by_chapter.setdefault(
            row.chapter,
            ProgressRow(
                key=row.chapter, name=row.chapter_name or f"Chương {row.chapter}"
            ),
        )
        hospital = by_hospital[row.hospital_code]
        sent = DraftState.SUBMITTED.value in states
        if not row.is_focal:
            if sent:
                for target in (hospital, chapter, total):
                    target.participating_drafts += 1
            continue
        state = DraftState(last_state[row.id])
        for target in (hospital, chapter, total):
            target.assigned += 1
            if DraftState.QUALIFIED.value in states:
                target.qualified += 1
            if sent:
                target.drafts_sent += 1
            if state is DraftState.NOT_QUALIFIED:
                reason = row.not_qualified_reason or "unknown"
                target.not_qualified[reason] = target.not_qualified.get(reason, 0) + 1
        closed = state in (DraftState.NOT_QUALIFIED, DraftState.WITHDRAWN)
        if row.deadline is not None and row.deadline < day and not sent and not closed:
            for target in (hospital, chapter, total):
                target.overdue += 1
            overdue.append(
                OverdueItem(
                    technique_code=row.technique_code,
                    technique_name=row.name,
                    hospital_code=row.hospital_code,
                    state=state,
                    deadline=row.deadline,
                    days_overdue=(day - row.deadline).days,
                )
            )
    overdue.sort(
        key=lambda item: (-item.days_overdue, item.hospital_code, item.technique_code)
    )
    return ProgressReport(
        as_of=day,
        total=total,
        by_hospital=tuple(
            sorted(
                (
                    r
                    for r in by_hospital.values()
                    if r.assigned or r.participating_drafts
                ),
                key=lambda r: (-r.assigned, r.key),
            )
        ),
        by_chapter=tuple(sorted(by_chapter.values(), key=lambda r: r.key)),
        overdue=tuple(overdue),
    )
