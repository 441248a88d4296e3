"""The workflow: allowed and refused transitions, guards, append-only history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from giamdinh.errors import TransitionError
from giamdinh.norms import store
from giamdinh.norms.model import DraftSpec, LineCategory, NormLineSpec
from giamdinh.norms.workflow import (
    TRANSITIONS,
    DraftState,
    NotQualifiedReason,
    TransitionRequest,
    check_transition,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

S = DraftState


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.ASSIGNED, S.QUALIFIED),
        (S.QUALIFIED, S.DRAFTING),
        (S.DRAFTING, S.SUBMITTED),
        (S.SUBMITTED, S.REVIEWED),
        (S.REVIEWED, S.REVISED),
        (S.REVISED, S.SUBMITTED),
        (S.REVIEWED, S.CONSOLIDATED),
        (S.CONSOLIDATED, S.APPROVED),
    ],
)
def test_allowed(current: DraftState, target: DraftState) -> None:
    check_transition(
        TransitionRequest(
            current=current, target=target, actor="a", has_draft_lines=True
        )
    )


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.ASSIGNED, S.DRAFTING),
        (S.ASSIGNED, S.SUBMITTED),
        (S.NOT_QUALIFIED, S.DRAFTING),
        (S.QUALIFIED, S.SUBMITTED),
        (S.SUBMITTED, S.CONSOLIDATED),
        (S.REVISED, S.CONSOLIDATED),
        (S.APPROVED, S.WITHDRAWN),
        (S.WITHDRAWN, S.ASSIGNED),
        (S.CONSOLIDATED, S.DRAFTING),
    ],
)
def test_refused(current: DraftState, target: DraftState) -> None:
    # Vietnamese first, English after the slash, the allowed states named.
    vi = f"không thể chuyển từ {current.label_vi} sang {target.label_vi} / "
    with pytest.raises(TransitionError, match=f"^{vi}cannot go from"):
        check_transition(
            TransitionRequest(
                current=current, target=target, actor="a", has_draft_lines=True,
                reason="r",
            )
        )  # fmt: skip


def test_guards() -> None:
    with pytest.raises(TransitionError, match="three criteria"):
        check_transition(
            TransitionRequest(current=S.ASSIGNED, target=S.NOT_QUALIFIED, actor="a")
        )
    check_transition(
        TransitionRequest(
            current=S.ASSIGNED, target=S.NOT_QUALIFIED, actor="a",
            not_qualified_reason=NotQualifiedReason.NO_EVIDENCE,
        )
    )  # fmt: skip
    with pytest.raises(TransitionError, match="actor"):
        check_transition(
            TransitionRequest(current=S.ASSIGNED, target=S.QUALIFIED, actor=" ")
        )
    with pytest.raises(TransitionError, match="no draft"):
        check_transition(
            TransitionRequest(current=S.DRAFTING, target=S.SUBMITTED, actor="a")
        )
    with pytest.raises(TransitionError, match="still open"):
        check_transition(
            TransitionRequest(
                current=S.REVIEWED, target=S.CONSOLIDATED, actor="a", open_comments=2
            )
        )
    with pytest.raises(TransitionError, match="written reason"):
        check_transition(
            TransitionRequest(current=S.DRAFTING, target=S.WITHDRAWN, actor="a")
        )
    with pytest.raises(TransitionError, match="written reason"):
        check_transition(
            TransitionRequest(current=S.NOT_QUALIFIED, target=S.QUALIFIED, actor="a")
        )


def test_every_state_has_rules_and_finals_are_final() -> None:
    assert set(TRANSITIONS) == set(DraftState)
    assert TRANSITIONS[S.APPROVED] == frozenset()
    assert TRANSITIONS[S.WITHDRAWN] == frozenset()


def _seed(session: Session) -> None:
    store.ensure_technique(session, "18.0020", "Chụp CT sọ não")
    store.ensure_hospital(session, "H1", "Bệnh viện 1")
    session.flush()


def _draft() -> DraftSpec:
    return DraftSpec(
        technique_code="18.0020", hospital_code="H1",
        lines=(NormLineSpec(line_no=1, category=LineCategory.LABOUR,
                            resource_code="KTV", persons=Decimal(1),
                            minutes=Decimal(15)),),
    )  # fmt: skip


def test_full_path_in_the_store_with_history(session: Session) -> None:
    _seed(session)
    t0 = datetime(2025, 3, 3, 8, tzinfo=UTC)
    assignment = store.assign(
        session, technique_code="18.0020", hospital_code="H1", actor="cuc", at=t0
    )
    step = timedelta(days=1)
    store.transition(session, assignment, S.QUALIFIED, actor="h1", at=t0 + step)
    store.transition(session, assignment, S.DRAFTING, actor="h1", at=t0 + 2 * step)
    with pytest.raises(TransitionError, match="no draft"):
        store.transition(session, assignment, S.SUBMITTED, actor="h1")
    draft = store.save_draft(session, _draft(), actor="h1", at=t0 + 3 * step)
    store.transition(session, assignment, S.SUBMITTED, actor="h1", at=t0 + 4 * step)
    store.transition(session, assignment, S.REVIEWED, actor="cuc", at=t0 + 5 * step)
    comment = store.add_comment(
        session, draft_id=draft.id, author="cuc", text="Giải trình 15 phút", line_no=1
    )
    with pytest.raises(TransitionError, match="still open"):
        store.transition(session, assignment, S.CONSOLIDATED, actor="cuc")
    store.transition(session, assignment, S.REVISED, actor="h1", at=t0 + 6 * step)
    second = store.save_draft(session, _draft(), actor="h1", at=t0 + 7 * step)
    assert second.version == 2
    store.resolve_comment(session, comment.id)
    store.transition(session, assignment, S.SUBMITTED, actor="h1", at=t0 + 8 * step)
    store.transition(session, assignment, S.REVIEWED, actor="cuc", at=t0 + 9 * step)
    store.transition(
        session, assignment, S.CONSOLIDATED, actor="cuc", at=t0 + 10 * step
    )
    store.transition(
        session, assignment, S.APPROVED, actor="bo-truong", at=t0 + 11 * step
    )
    with pytest.raises(TransitionError, match="final state"):
        store.transition(session, assignment, S.WITHDRAWN, actor="x", reason="r")
    events = store.history(session, assignment.id)
    assert [e.to_state for e in events] == [
        "assigned", "qualified", "drafting", "submitted", "reviewed", "revised",
        "submitted", "reviewed", "consolidated", "approved",
    ]  # fmt: skip
    assert all(e.at.tzinfo is not None for e in events)
    assert [e.from_state for e in events[1:]] == [e.to_state for e in events[:-1]]
    assert assignment.state == "approved"


def test_not_qualified_records_the_criterion(session: Session) -> None:
    _seed(session)
    assignment = store.assign(
        session, technique_code="18.0020", hospital_code="H1", actor="cuc"
    )
    event = store.transition(
        session, assignment, S.NOT_QUALIFIED, actor="h1",
        not_qualified_reason=NotQualifiedReason.NOT_PERFORMED,
    )  # fmt: skip
    assert assignment.not_qualified_reason == "not_performed"
    assert event.reason is not None
    assert event.reason.startswith("not_performed")
    with pytest.raises(TransitionError, match="already assigned"):
        store.assign(session, technique_code="18.0020", hospital_code="H1", actor="cuc")
