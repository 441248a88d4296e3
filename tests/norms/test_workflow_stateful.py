"""Stateful property test of the workflow in the store (SQLite, migrated template).

Invariants: the state is always the last event's target; the history only grows and
never changes; every event has an actor and an aware time; not_qualified events name a
criterion; an assignment never reaches consolidated with open comments; final states
accept nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import select

from giamdinh.db import make_engine, make_session_factory, upgrade
from giamdinh.db.models.norms import NormComment
from giamdinh.errors import TransitionError
from giamdinh.norms import store
from giamdinh.norms.model import DraftSpec, LineCategory, NormLineSpec
from giamdinh.norms.workflow import TRANSITIONS, DraftState, NotQualifiedReason

_TEMPLATE_DIR = Path(tempfile.mkdtemp(prefix="giamdinh-wf-"))
_TEMPLATE = _TEMPLATE_DIR / "template.db"
_engine = make_engine(f"sqlite:///{_TEMPLATE}")
upgrade(_engine)
_engine.dispose()

DRAFT = DraftSpec(
    technique_code="12.0304",
    hospital_code="H",
    lines=(
        NormLineSpec(
            line_no=1, category=LineCategory.LABOUR, resource_code="KTV",
            persons=Decimal(2), minutes=Decimal(15),
        ),
    ),
)  # fmt: skip


class WorkflowMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="giamdinh-wf-run-"))
        path = self.directory / "db.sqlite"
        shutil.copy(_TEMPLATE, path)
        self.engine = make_engine(f"sqlite:///{path}")
        self.session = make_session_factory(self.engine)()
        store.ensure_technique(self.session, "12.0304", "Xạ trị 3D-CRT")
        store.ensure_hospital(self.session, "H", "Bệnh viện H")
        self.session.flush()
        self.assignment = store.assign(
            self.session, technique_code="12.0304", hospital_code="H", actor="cuc"
        )
        self.seen: list[tuple[str | None, str, str]] = [(None, "assigned", "cuc")]
        self.open_comments = 0

    @rule(
        state=st.sampled_from(list(DraftState)),
        actor=st.sampled_from(["cuc", "h", ""]),
        reason=st.sampled_from([None, "", "bằng chứng mới"]),
        criterion=st.one_of(st.none(), st.sampled_from(list(NotQualifiedReason))),
    )
    def move(
        self,
        state: DraftState,
        actor: str,
        reason: str | None,
        criterion: NotQualifiedReason | None,
    ) -> None:
        target = state
        before = DraftState(self.assignment.state)
        try:
            store.transition(
                self.session, self.assignment, target, actor=actor, reason=reason,
                not_qualified_reason=criterion,
            )  # fmt: skip
        except TransitionError:
            assert self.assignment.state == before.value
            return
        assert target in TRANSITIONS[before]
        assert actor.strip()
        if target is DraftState.CONSOLIDATED:
            assert self.open_comments == 0
        if target is DraftState.NOT_QUALIFIED:
            assert criterion is not None
        self.seen.append((before.value, target.value, actor))

    @rule()
    def save_draft(self) -> None:
        state = DraftState(self.assignment.state)
        if state in (DraftState.DRAFTING, DraftState.REVISED):
            store.save_draft(self.session, DRAFT, actor="h")

    @rule(resolve=st.booleans())
    def comment(self, resolve: bool) -> None:
        row = store.latest_draft_row(self.session, self.assignment.id)
        if row is None:
            return
        if resolve:
            for item in self._open(row.id):
                store.resolve_comment(self.session, item)
            self.open_comments = 0
        else:
            store.add_comment(
                self.session, draft_id=row.id, author="cuc", text="?", line_no=1
            )
            self.open_comments += 1

    def _open(self, draft_id: int) -> list[int]:
        return list(
            self.session.scalars(
                select(NormComment.id).where(
                    NormComment.draft_id == draft_id, NormComment.resolved.is_(False)
                )
            )
        )

    @invariant()
    def history_is_the_record(self) -> None:
        events = store.history(self.session, self.assignment.id)
        assert [(e.from_state, e.to_state, e.actor) for e in events] == self.seen
        assert events[-1].to_state == self.assignment.state
        assert all(e.at.tzinfo is not None for e in events)
        for event in events:
            if event.to_state == "not_qualified":
                assert event.reason
                assert event.reason.split(":")[0] in set(NotQualifiedReason)

    def teardown(self) -> None:
        self.session.close()
        self.engine.dispose()
        shutil.rmtree(self.directory, ignore_errors=True)


WorkflowMachine.TestCase.settings = settings(
    max_examples=25, stateful_step_count=25, deadline=None
)
TestWorkflow = WorkflowMachine.TestCase
