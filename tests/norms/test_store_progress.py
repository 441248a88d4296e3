"""Progress counts from events (as of a day), overdue items, publication tables."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import pyarrow as pa

from giamdinh.norms import store
from giamdinh.norms.consolidate import consolidate
from giamdinh.norms.model import DraftSpec, LineCategory, NormLineSpec
from giamdinh.norms.progress import progress_report
from giamdinh.norms.publish import norm_staff_minutes, norm_supply_quantities
from giamdinh.norms.workflow import DraftState as S
from giamdinh.norms.workflow import NotQualifiedReason

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


D = Decimal


def at(month: int, day: int) -> datetime:
    return datetime(2025, month, day, 9, tzinfo=UTC)


def draft(hospital: str, minutes: str) -> DraftSpec:
    return DraftSpec(
        technique_code="18.0020", hospital_code=hospital,
        lines=(
            NormLineSpec(line_no=1, category=LineCategory.LABOUR, resource_code="KTV",
                         persons=D(2), minutes=D(minutes)),
            NormLineSpec(line_no=2, category=LineCategory.SUPPLY,
                         resource_code="VT.PHIM", quantity=D(1), unit="tấm"),
        ),
    )  # fmt: skip


def build(session: Session) -> None:
    for code, name, chapter in (
        ("18.0020", "CT sọ não", "18"),
        ("18.0021", "CT có cản quang", "18"),
        ("14.0001", "Phaco", "14"),
    ):
        store.ensure_technique(session, code, name, chapter_name=f"Chương {chapter}")
    for code in ("H1", "H2", "H3"):
        store.ensure_hospital(session, code, f"Bệnh viện {code}")
    session.flush()
    deadline = date(2025, 10, 31)
    a1 = store.assign(
        session,
        technique_code="18.0020",
        hospital_code="H1",
        actor="cuc",
        at=at(3, 1),
        deadline=deadline,
    )
    a2 = store.assign(
        session,
        technique_code="18.0021",
        hospital_code="H1",
        actor="cuc",
        at=at(3, 1),
        deadline=deadline,
    )
    a3 = store.assign(
        session,
        technique_code="14.0001",
        hospital_code="H2",
        actor="cuc",
        at=at(3, 1),
        deadline=deadline,
    )
    p1 = store.assign(
        session,
        technique_code="18.0020",
        hospital_code="H3",
        actor="cuc",
        at=at(3, 1),
        is_focal=False,
    )
    store.transition(session, a1, S.QUALIFIED, actor="h1", at=at(4, 1))
    store.transition(session, a1, S.DRAFTING, actor="h1", at=at(5, 1))
    store.save_draft(session, draft("H1", "15"), actor="h1", at=at(5, 2))
    store.transition(session, a1, S.SUBMITTED, actor="h1", at=at(9, 1))
    store.transition(session, a1, S.REVIEWED, actor="cuc", at=at(11, 5))
    store.transition(session, a2, S.QUALIFIED, actor="h1", at=at(4, 2))
    store.transition(
        session,
        a3,
        S.NOT_QUALIFIED,
        actor="h2",
        at=at(4, 3),
        not_qualified_reason=NotQualifiedReason.NO_EVIDENCE,
    )
    store.transition(session, p1, S.QUALIFIED, actor="h3", at=at(4, 1))
    store.transition(session, p1, S.DRAFTING, actor="h3", at=at(4, 2))
    store.save_draft(session, draft("H3", "20"), actor="h3", at=at(4, 3))
    store.transition(session, p1, S.SUBMITTED, actor="h3", at=at(10, 1))
    session.flush()


def test_progress_by_hospital_and_chapter(session: Session) -> None:
    build(session)
    report = progress_report(session, as_of=date(2025, 11, 11))
    assert (
        report.total.assigned,
        report.total.qualified,
        report.total.drafts_sent,
    ) == (3, 2, 1)
    assert report.headline() == "assigned 3 / qualified 2 / drafts sent 1"
    h1 = next(r for r in report.by_hospital if r.key == "H1")
    assert (h1.assigned, h1.qualified, h1.drafts_sent, h1.overdue) == (2, 2, 1, 1)
    h2 = next(r for r in report.by_hospital if r.key == "H2")
    assert h2.not_qualified == {"no_evidence": 1}
    h3 = next(r for r in report.by_hospital if r.key == "H3")
    assert (h3.assigned, h3.participating_drafts) == (0, 1)
    chapters = {
        r.key: (r.assigned, r.qualified, r.drafts_sent) for r in report.by_chapter
    }
    assert chapters == {"14": (1, 0, 0), "18": (2, 2, 1)}
    assert [(o.technique_code, o.days_overdue) for o in report.overdue] == [
        ("18.0021", 11)
    ]


def test_progress_as_of_an_earlier_day(session: Session) -> None:
    build(session)
    report = progress_report(session, as_of=date(2025, 4, 1))
    # on 1 April only a1 had been qualified; nothing was sent or overdue yet
    assert (
        report.total.assigned,
        report.total.qualified,
        report.total.drafts_sent,
    ) == (3, 1, 0)
    assert report.overdue == ()
    before = progress_report(session, as_of=date(2025, 2, 1))
    assert before.total.assigned == 0


def test_publication_tables(session: Session) -> None:
    build(session)
    national = consolidate(store.latest_drafts(session, "18.0020"))
    # 20:00 UTC on 10/11 is already 11/11 in Vietnam: the norm applies from 11/11.
    store.save_national(
        session, national, actor="cuc", at=datetime(2025, 11, 10, 20, tzinfo=UTC)
    )
    session.flush()
    staff = norm_staff_minutes(session)
    assert staff.schema.field("minutes").type == pa.decimal128(18, 3)
    assert staff.to_pylist() == [
        {"technique_code": "18.0020", "title": "KTV", "minutes": D("17.500"),
         "persons": D("2.000"), "staff_minutes": D("35.000"), "norm_version": 1,
         "status": "consolidated", "valid_from": date(2025, 11, 11),
         "valid_to": None}
    ]  # fmt: skip
    supplies = norm_supply_quantities(session).to_pylist()
    assert [(r["resource_code"], r["quantity"], r["valid_from"]) for r in supplies] == [
        ("VT.PHIM", D("1.000"), date(2025, 11, 11))
    ]
    effective = norm_supply_quantities(session, effective_from=date(2026, 7, 1))
    assert effective.column("valid_from").to_pylist() == [date(2026, 7, 1)]
