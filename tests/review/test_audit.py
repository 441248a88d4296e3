"""The hash-chained audit log: written by every action, and tampering is caught."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import IntegrityError
from tests.review.support import RECEIVED, add_people, line, spec

from giamdinh.db.models.review import ReviewAudit
from giamdinh.review import audit, cases

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker

#: Five users, then open, send, answer and meet.
ENTRIES = 9
ACTIONS = ["user"] * 5 + ["open", "send", "answer", "meet"]


@pytest.fixture
def logged(session: Session, tmp_path: Path) -> Session:
    """A log of nine entries written by real actions, committed."""
    people = add_people(session)
    case = cases.open_case(session, spec("k1", (line(1), line(2))), people.assessor)
    assert case is not None
    cases.send(session, case, people.assessor, on=RECEIVED)
    cases.answer(
        session,
        case,
        people.facility,
        on=date(2026, 3, 3),
        files=[],
        folder=tmp_path / "files",
        note="Bệnh nhân có chỉ định, xem bệnh án",
    )
    cases.meet(
        session,
        case,
        people.assessor,
        held_on=date(2026, 3, 5),
        participants="GĐV 1; BV",
        minutes="Thống nhất",
    )
    session.commit()
    return session


def _verify(factory: sessionmaker[Session]) -> audit.ChainReport:
    """Verify in a session of its own, from what the database holds."""
    with factory() as fresh:
        return audit.verify(fresh)


def test_an_empty_log_is_intact(session: Session) -> None:
    report = audit.verify(session)
    assert report.intact
    assert report.entries == 0


@pytest.mark.usefixtures("logged")
def test_every_action_is_chained(factory: sessionmaker[Session]) -> None:
    report = _verify(factory)
    assert report == audit.ChainReport(entries=ENTRIES)
    assert report.intact
    with factory() as fresh:
        entries = list(fresh.scalars(select(ReviewAudit).order_by(ReviewAudit.id)))
    assert [e.id for e in entries] == list(range(1, ENTRIES + 1))
    assert [e.action for e in entries] == ACTIONS
    assert entries[0].prev_hash == audit.GENESIS
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.hash
    for entry in entries:
        assert entry.hash == audit.entry_hash(entry.prev_hash, entry)
        assert entry.at.tzinfo is not None
    send = entries[6]
    assert (send.actor, send.role, send.case_code) == (
        "gdv1",
        "assessor",
        "GD2026-000001",
    )
    assert '"state":"opened"' in send.before
    assert '"state":"sent"' in send.after
    assert '"note":"Bệnh nhân có chỉ định, xem bệnh án"' in entries[7].after


@pytest.mark.usefixtures("logged")
def test_a_changed_row_is_named(engine: Engine, factory: sessionmaker[Session]) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE review_audit SET after = :after WHERE id = 3"),
            {"after": '{"role":"supervisor","username":"gdv2"}'},
        )
    report = _verify(factory)
    assert not report.intact
    assert report.broken_id == 3
    assert report.reason is not None
    assert "changed" in report.reason


@pytest.mark.usefixtures("logged")
@pytest.mark.parametrize(
    ("entry", "column", "value"),
    [
        (3, "before", '{"x":1}'),
        (5, "actor", "mallory"),
        (6, "role", "supervisor"),
        (7, "action", "close"),
        (8, "case_code", "GD2026-000002"),
        (2, "at", datetime(2020, 1, 1, tzinfo=UTC)),
        (ENTRIES, "after", "{}"),
    ],
)
def test_any_changed_column_is_caught(
    engine: Engine,
    factory: sessionmaker[Session],
    entry: int,
    column: str,
    value: Any,
) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(ReviewAudit).where(ReviewAudit.id == entry).values({column: value})
        )
    report = _verify(factory)
    assert report.broken_id == entry
    assert report.reason == "its content does not match its hash (it was changed)"


@pytest.mark.usefixtures("logged")
def test_a_change_with_its_hash_recomputed_breaks_the_next_entry(
    factory: sessionmaker[Session],
) -> None:
    with factory() as forger:
        entry = forger.get(ReviewAudit, 3)
        assert entry is not None
        entry.after = '{"role":"supervisor","username":"gdv2"}'
        entry.hash = audit.entry_hash(entry.prev_hash, entry)
        forger.commit()
    report = _verify(factory)
    assert report.broken_id == 4
    assert report.reason == "its previous-hash does not match the entry before it"


@pytest.mark.usefixtures("logged")
def test_a_deleted_middle_row_is_caught(
    engine: Engine, factory: sessionmaker[Session]
) -> None:
    with engine.begin() as connection:
        connection.execute(delete(ReviewAudit).where(ReviewAudit.id == 3))
    report = _verify(factory)
    assert report.broken_id == 4
    assert report.reason == "entry 3 is missing before entry 4"


@pytest.mark.usefixtures("logged")
def test_a_changed_prev_hash_is_caught(
    engine: Engine, factory: sessionmaker[Session]
) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE review_audit SET prev_hash = :h WHERE id = 3"), {"h": "f" * 64}
        )
    report = _verify(factory)
    assert report.broken_id == 3
    assert report.reason == "its previous-hash does not match the entry before it"


@pytest.mark.parametrize("gap", [1, 2], ids=["same-id", "next-free-id"])
@pytest.mark.usefixtures("logged")
def test_a_second_writer_cannot_fork_the_chain(
    factory: sessionmaker[Session], gap: int
) -> None:
    # A writer that read entry 8 as the last one, after entry 9 was chained to it,
    # cannot chain another entry to 8: whatever id it takes, prev_hash is unique.
    with factory() as late:
        stale = late.get(ReviewAudit, ENTRIES - 1)
        assert stale is not None
        fork = ReviewAudit(
            id=stale.id + gap,
            at=datetime.now(tz=UTC),
            actor="gdv2",
            role="assessor",
            action="close",
            case_code="GD2026-000001",
            before="{}",
            after="{}",
            prev_hash=stale.hash,
            hash="",
        )
        fork.hash = audit.entry_hash(fork.prev_hash, fork)
        late.add(fork)
        with pytest.raises(IntegrityError, match=r"(?i)prev_hash|unique|duplicate"):
            late.flush()
        late.rollback()
    assert _verify(factory) == audit.ChainReport(entries=ENTRIES)


@pytest.mark.usefixtures("logged")
@pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_concurrent_appends_stay_one_chain(
    backend: str, factory: sessionmaker[Session]
) -> None:
    # NOTE: PostgreSQL only: SQLite has one writer at a time (its file lock
    # serialises them), so two writers cannot race there.
    del backend  # the parametrisation picks the database the factory opens
    first = factory()
    audit.append(
        first, actor="a", role="admin", action="user", case_code=None, before=None,
        after={"n": 1},
    )  # fmt: skip
    errors: list[BaseException] = []

    def second_writer() -> None:
        try:
            with factory() as second:
                audit.append(
                    second, actor="b", role="admin", action="user", case_code=None,
                    before=None, after={"n": 2},
                )  # fmt: skip
                second.commit()
        except BaseException as exc:  # reported to the test
            errors.append(exc)

    thread = threading.Thread(target=second_writer)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive(), "the second writer did not wait for the first"
    first.commit()
    first.close()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert errors == []
    assert _verify(factory) == audit.ChainReport(entries=ENTRIES + 2)
    with factory() as fresh:
        actors = list(
            fresh.scalars(
                select(ReviewAudit.actor).where(ReviewAudit.id > ENTRIES)
                .order_by(ReviewAudit.id)
            )
        )  # fmt: skip
    assert actors == ["a", "b"]
