"""Stateful property test of cases (SQLite file copied from a migrated template).

Random actors (staff of the case's facility and of another, two assessors, a
supervisor) take random actions with random amounts and sometimes a stale
``expected_version`` on two or three cases whose lines may overlap. A model of
each case predicts whether every action succeeds and with which error it is
refused. After every step: the store matches the model; no action succeeded that
RULES forbids; a line is in one case only; every line's newest decision splits its
stake exactly, with no negative amount, and the line's effective amounts still
add up to what was claimed; each case's money adds up to its stake; the audit
chain is intact and has one entry per successful action.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from tests.review.support import FACILITY, OTHER_FACILITY, add_people, line, spec

from giamdinh.db import make_engine, make_session_factory, upgrade
from giamdinh.db.models.review import (
    ReviewAttachment,
    ReviewCase,
    ReviewDecision,
    ReviewLine,
    ReviewMeeting,
)
from giamdinh.errors import ConfigError, ConflictError, GiamdinhError, TransitionError
from giamdinh.review import audit, cases
from giamdinh.review.calendar import default_calendar
from giamdinh.review.workflow import RULES, Action, Actor, CaseState, Role

if TYPE_CHECKING:
    from collections.abc import Callable

_TEMPLATE_DIR = Path(tempfile.mkdtemp(prefix="giamdinh-review-"))
atexit.register(shutil.rmtree, _TEMPLATE_DIR, ignore_errors=True)
_TEMPLATE = _TEMPLATE_DIR / "template.db"
_engine = make_engine(f"sqlite:///{_TEMPLATE}")
upgrade(_engine)
with make_session_factory(_engine)() as _session:
    add_people(_session)  # five users: five audit entries
    _session.commit()
_engine.dispose()
USER_ENTRIES = 5

ACTORS = {
    "bv": Actor(username="bv", role=Role.FACILITY, ma_cskcb=FACILITY),
    "bv2": Actor(username="bv2", role=Role.FACILITY, ma_cskcb=OTHER_FACILITY),
    "gdv1": Actor(username="gdv1", role=Role.ASSESSOR),
    "gdv2": Actor(username="gdv2", role=Role.ASSESSOR),
    "sup": Actor(username="sup", role=Role.SUPERVISOR),
}
SUPERVISOR = ACTORS["sup"]
START = date(2026, 3, 2)
CENT = Decimal("0.01")
S = CaseState

# Weighted towards what can succeed, so that runs get deep into the procedure.
# "fit" is whoever would normally take the action on the case.
who_st = st.sampled_from(["fit"] * 6 + ["bv", "bv2", "gdv1", "gdv2", "sup"])
version_st = st.sampled_from(["none", "none", "current", "current", "current", "stale"])
rarely_st = st.sampled_from([False, False, False, False, True])
grounds_st = st.sampled_from([True, True, True, False])
share_st = st.one_of(st.sampled_from([0, 100]), st.integers(0, 100))  # % of a stake
# "next" is what the procedure would do next on the case; the rest at random.
action_st = st.sampled_from(
    ["next"] * 8 + [a.value for a in Action if a is not Action.OPEN]
)
# "fit" is the first case whose state allows the action, if any.
case_st: st.SearchStrategy[int | str] = st.sampled_from(["fit", "fit", "fit", 0, 1, 2])
cents_st = st.integers(0, 5_000_000).map(lambda n: Decimal(n).scaleb(-2))
line_st = st.tuples(
    st.sampled_from(["A", "B"]),  # the claim: lines of two cases may overlap
    st.integers(1, 3),  # STT
    st.tuples(cents_st, cents_st, cents_st, cents_st),  # payable, refused, adj., UR
)
spec_st = st.tuples(
    st.sampled_from([FACILITY, OTHER_FACILITY]),
    st.sampled_from(["under_review", "payable"]),
    st.lists(line_st, min_size=1, max_size=3, unique_by=lambda t: (t[0], t[1])),
    st.sampled_from(["sup", "gdv1"]),
)


@dataclass
class LineModel:
    key: str
    ma_lk: str
    stt: int
    stake: Decimal
    latest: tuple[Decimal, Decimal, Decimal] | None = None
    rounds: set[int] = field(default_factory=set)


@dataclass
class CaseModel:
    code: str
    facility: str
    lines: list[LineModel]
    state: CaseState = S.OPENED
    round: int = 1
    assignee: str | None = None
    version: int = 1
    sent_on: date | None = None
    answered_on: date | None = None
    decided_on: date | None = None
    appealed_on: date | None = None
    closed_on: date | None = None
    deciders: dict[int, set[str]] = field(default_factory=dict)


class CasesMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="giamdinh-review-run-"))
        path = self.directory / "db.sqlite"
        shutil.copy(_TEMPLATE, path)
        self.engine = make_engine(f"sqlite:///{path}")
        self.session = make_session_factory(self.engine)()
        self.folder = self.directory / "files"
        self.evidence = self.directory / "giaitrinh.txt"
        self.evidence.write_text("Giải trình kèm bệnh án", encoding="utf-8")
        self.today = START
        self.models: list[CaseModel] = []
        self.entries = USER_ENTRIES
        self.rows = {ReviewDecision: 0, ReviewMeeting: 0, ReviewAttachment: 0}

    # ------------------------------------------------------------ opening

    @initialize(specs=st.lists(spec_st, min_size=2, max_size=3))
    def open_cases(
        self,
        specs: list[tuple[str, str, list[tuple[str, int, tuple[Decimal, ...]]], str]],
    ) -> None:
        taken: set[str] = set()
        for number, (facility, kind, lines, by) in enumerate(specs):
            specs_of_lines = tuple(
                line(
                    stt, ma_lk=ma_lk, payable=str(p), refused=str(r), adjusted=str(a),
                    under_review=str(u),
                )
                for ma_lk, stt, (p, r, a, u) in lines
            )  # fmt: skip
            wanted = [s.key for s in specs_of_lines if s.key not in taken]
            opened = cases.open_case(
                self.session,
                spec(f"k{number}", specs_of_lines, ma_cskcb=facility, stake_kind=kind,
                     received_on=START),
                ACTORS[by],
            )  # fmt: skip
            if not wanted:
                assert opened is None
                continue
            assert opened is not None
            assert [ln.line_key for ln in opened.lines] == wanted
            taken.update(wanted)
            models: list[LineModel] = []
            for row in opened.lines:
                # The stake is the amount held under review, or for a lead the
                # amount found payable.
                expected = (
                    row.auto_under_review
                    if row.stake_kind == "under_review"
                    else row.auto_payable
                )
                assert row.stake == expected
                models.append(
                    LineModel(key=row.line_key, ma_lk=row.ma_lk, stt=row.stt,
                              stake=row.stake)
                )  # fmt: skip
            self.models.append(
                CaseModel(code=opened.code, facility=facility, lines=models)
            )
            self.entries += 1
        self.session.commit()

    # ------------------------------------------------------------ the engine

    def _model(self, index: int | str, action: Action) -> CaseModel:
        if index == "fit":
            allowed = [m for m in self.models if m.state in RULES[action][1]]
            return allowed[0] if allowed else self.models[0]
        assert isinstance(index, int)
        return self.models[index % len(self.models)]

    def _case(self, model: CaseModel) -> ReviewCase:
        return cases.get_case(self.session, model.code, SUPERVISOR)

    def _resolve(self, model: CaseModel, action: Action, who: str) -> str:
        """Turn "fit" into the user who would normally take ``action``."""
        if who != "fit":
            return who
        if action in {Action.ANSWER, Action.APPEAL}:
            return "bv" if model.facility == FACILITY else "bv2"
        if action in {Action.REASSIGN, Action.REOPEN}:
            return "sup"
        if action is Action.DECIDE and model.state is S.APPEALED:
            earlier = self._earlier_deciders(model)
            return next((n for n in ("gdv1", "gdv2") if n not in earlier), "sup")
        return model.assignee or "gdv1"

    @staticmethod
    def _earlier_deciders(model: CaseModel) -> set[str]:
        return set().union(
            *(users for number, users in model.deciders.items() if number < model.round)
        )

    def _stored(self) -> dict[str, ReviewCase]:
        """Every case as the database holds it now, with its lines."""
        rows = self.session.scalars(
            select(ReviewCase)
            .options(selectinload(ReviewCase.lines))
            .execution_options(populate_existing=True)
        )
        return {case.code: case for case in rows}

    @staticmethod
    def _sees(who: str, model: CaseModel) -> bool:
        """Insurer staff see every case; facility staff their facility's only."""
        actor = ACTORS[who]
        return actor.role is not Role.FACILITY or actor.ma_cskcb == model.facility

    def _expected_version(self, model: CaseModel, version: str) -> int | None:
        if version == "none":
            return None
        return model.version if version == "current" else model.version - 1

    def _gate(
        self, model: CaseModel, action: Action, who: str, version: str
    ) -> type[GiamdinhError] | None:
        """What ``_act`` refuses, in its order: facility, role, state, version,
        assignee."""
        actor = ACTORS[who]
        roles, states = RULES[action]
        if not self._sees(who, model):
            return TransitionError
        if actor.role not in roles or model.state not in states:
            return TransitionError
        if version == "stale":
            return ConflictError
        if actor.role is Role.ASSESSOR and model.assignee not in {None, who}:
            return TransitionError
        return None

    def _run(
        self,
        model: CaseModel,
        action: Action,
        who: str,
        expected: type[GiamdinhError] | None,
        call: Callable[[], object],
    ) -> bool:
        """Run ``call``, check the outcome against ``expected``, and commit.

        A refused action is committed too: whatever it changed before refusing
        would be kept, and the invariants would see it.
        """
        before = model.state
        error: GiamdinhError | None = None
        try:
            call()
        except GiamdinhError as exc:
            error = exc
        outcome = type(error).__name__ if error else "done"
        event(f"{action.value} ({model.state.value}): {outcome}")
        self.session.commit()
        if error is not None:
            assert type(error) is expected, (action, who, model, error)
            return False
        assert expected is None, (action, who, model, "succeeded")
        roles, states = RULES[action]
        assert ACTORS[who].role in roles
        assert before in states
        assert self._sees(who, model)
        model.version += 1
        self.entries += 1
        return True

    def _assessor_takes(self, model: CaseModel, who: str) -> None:
        if model.assignee is None and ACTORS[who].role is Role.ASSESSOR:
            model.assignee = who

    # ------------------------------------------------------------ rules

    @rule(days=st.sampled_from([1, 1, 2, 4, 30, 95]))
    def advance(self, days: int) -> None:
        self.today += timedelta(days=days)

    @rule(data=st.data())
    def act(self, data: st.DataObject) -> None:
        """One action on one case by one user, all drawn at random."""
        if not self.models:
            return
        choice = data.draw(action_st, label="action")
        index = data.draw(case_st, label="case")
        if choice == "next":
            position = index if isinstance(index, int) else 0
            model = self.models[position % len(self.models)]
            action = self._next(model, data)
        else:
            action = Action(choice)
            model = self._model(index, action)
        who = self._resolve(model, action, data.draw(who_st, label="who"))
        version = data.draw(version_st, label="version")
        handler = {
            Action.SEND: self._send,
            Action.ANSWER: self._answer,
            Action.MEET: self._meet,
            Action.DECIDE: self._decide,
            Action.CLOSE: self._close,
            Action.APPEAL: self._appeal,
            Action.REASSIGN: self._reassign,
            Action.REOPEN: self._reopen,
        }[action]
        handler(model, who, version, data)

    def _next(self, model: CaseModel, data: st.DataObject) -> Action:
        """The action the procedure would take next on the case."""
        if model.state is S.DECIDED:
            return data.draw(st.sampled_from([Action.APPEAL, Action.CLOSE]))
        if model.state is S.CLOSED:
            return data.draw(st.sampled_from([Action.APPEAL, Action.REOPEN]))
        if model.state is S.SENT:  # the facility answers, or the insurer goes on
            return data.draw(st.sampled_from([Action.ANSWER, Action.DECIDE]))
        return {
            S.OPENED: Action.SEND,
            S.ANSWERED: Action.MEET,
            S.JOINT_VERIFICATION: Action.DECIDE,
            S.APPEALED: Action.DECIDE,
        }[model.state]

    def _send(
        self, model: CaseModel, who: str, version: str, data: st.DataObject
    ) -> None:
        del data
        case = self._case(model)
        expected = self._gate(model, Action.SEND, who, version)
        ok = self._run(
            model, Action.SEND, who, expected,
            lambda: cases.send(
                self.session, case, ACTORS[who], on=self.today,
                expected_version=self._expected_version(model, version),
            ),
        )  # fmt: skip
        if ok:
            self._assessor_takes(model, who)
            model.state = S.SENT
            model.sent_on = self.today

    def _answer(
        self, model: CaseModel, who: str, version: str, data: st.DataObject
    ) -> None:
        content = data.draw(st.sampled_from(["note", "file", "file", "nothing"]))
        case = self._case(model)
        expected = self._gate(model, Action.ANSWER, who, version)
        if expected is None and content == "nothing":
            expected = ConfigError
        ok = self._run(
            model, Action.ANSWER, who, expected,
            lambda: cases.answer(
                self.session, case, ACTORS[who], on=self.today,
                files=[self.evidence] if content == "file" else [],
                folder=self.folder, note="Giải trình" if content == "note" else None,
                expected_version=self._expected_version(model, version),
            ),
        )  # fmt: skip
        if not ok:
            return
        self.rows[ReviewAttachment] += content == "file"
        if model.state is S.SENT:
            model.state = S.ANSWERED
        if model.answered_on is None:
            model.answered_on = self.today

    def _meet(
        self, model: CaseModel, who: str, version: str, data: st.DataObject
    ) -> None:
        del data
        case = self._case(model)
        expected = self._gate(model, Action.MEET, who, version)
        ok = self._run(
            model, Action.MEET, who, expected,
            lambda: cases.meet(
                self.session, case, ACTORS[who], held_on=self.today,
                participants="GĐV; BV", minutes="Biên bản",
                expected_version=self._expected_version(model, version),
            ),
        )  # fmt: skip
        if not ok:
            return
        self.rows[ReviewMeeting] += 1
        if model.state is not S.APPEALED:
            model.state = S.JOINT_VERIFICATION

    def _decide(
        self, model: CaseModel, who: str, version: str, data: st.DataObject
    ) -> None:
        open_now = [ln for ln in model.lines if model.round not in ln.rounds]
        if bool(open_now) and data.draw(st.booleans(), label="an open line"):
            target = open_now[0]
        else:
            target = data.draw(st.sampled_from(model.lines), label="line")
        pay_share = data.draw(share_st, label="payable %")
        refuse_share = data.draw(share_st, label="refused %")
        if not data.draw(rarely_st, label="over the stake"):
            refuse_share = min(refuse_share, 100 - pay_share)
        payable, refused = (
            (target.stake * share / 100).quantize(CENT, rounding=ROUND_DOWN)
            for share in (pay_share, refuse_share)
        )
        if data.draw(rarely_st, label="a tenth of a cent"):
            payable += Decimal("0.001")
        basis = data.draw(st.sampled_from([True, True, True, False]), label="basis")
        adjusted = target.stake - payable - refused
        expected = self._gate(model, Action.DECIDE, who, version)
        if expected is None:
            expected = self._decide_refusal(model, target, who, payable, refused, basis)
        case = self._case(model)
        ok = self._run(
            model, Action.DECIDE, who, expected,
            lambda: cases.decide(
                self.session, case, ACTORS[who], stt=target.stt, ma_lk=target.ma_lk,
                tbl="XML3", payable=payable, refused=refused, reason="Lý do",
                basis="TT 12/2026, Điều 10" if basis else None, on=self.today,
                expected_version=self._expected_version(model, version),
            ),
        )  # fmt: skip
        if not ok:
            return
        self.rows[ReviewDecision] += 1
        target.latest = (payable, refused, adjusted)
        target.rounds.add(model.round)
        model.deciders.setdefault(model.round, set()).add(who)
        self._assessor_takes(model, who)
        if all(model.round in ln.rounds for ln in model.lines):
            model.state = S.DECIDED
            model.decided_on = self.today

    def _decide_refusal(  # noqa: PLR0917 - what the refusal depends on
        self,
        model: CaseModel,
        target: LineModel,
        who: str,
        payable: Decimal,
        refused: Decimal,
        basis: bool,
    ) -> type[GiamdinhError] | None:
        """Why ``decide`` refuses once the workflow allows it, in its order."""
        if payable != payable.quantize(CENT):
            return ConfigError  # more than 2 decimals
        if payable + refused > target.stake:
            return ConfigError
        if (refused > 0 or target.stake - payable - refused > 0) and not basis:
            return ConfigError
        if model.state is S.SENT:
            assert model.sent_on is not None
            # Three working days for the facility's answer (Circular 12/2026).
            if self.today <= default_calendar().add_working_days(model.sent_on, 3):
                return TransitionError
        if model.state is S.APPEALED and who in self._earlier_deciders(model):
            return TransitionError  # re-decided by another assessor
        return None

    def _close(
        self, model: CaseModel, who: str, version: str, data: st.DataObject
    ) -> None:
        del data
        case = self._case(model)
        expected = self._gate(model, Action.CLOSE, who, version)
        ok = self._run(
            model, Action.CLOSE, who, expected,
            lambda: cases.close(
                self.session, case, ACTORS[who], on=self.today,
                expected_version=self._expected_version(model, version),
            ),
        )  # fmt: skip
        if ok:
            model.state = S.CLOSED
            model.closed_on = self.today

    def _appeal(
        self, model: CaseModel, who: str, version: str, data: st.DataObject
    ) -> None:
        grounds = data.draw(grounds_st, label="grounds")
        late = data.draw(st.sampled_from([None, 90, 91, 91]), label="late")
        if late is not None and model.decided_on is not None:
            # The facility appeals on the last day of the period, or the day after.
            self.today = max(self.today, model.decided_on + timedelta(days=late))
        case = self._case(model)
        expected = self._gate(model, Action.APPEAL, who, version)
        if expected is None:
            assert model.decided_on is not None
            if not grounds:
                expected = ConfigError
            elif model.appealed_on is not None:
                expected = TransitionError  # one appeal only
            elif self.today > model.decided_on + timedelta(days=90):
                expected = TransitionError  # the period is over
        ok = self._run(
            model, Action.APPEAL, who, expected,
            lambda: cases.appeal(
                self.session, case, ACTORS[who], on=self.today,
                reason="Có chỉ định" if grounds else " ",
                expected_version=self._expected_version(model, version),
            ),
        )  # fmt: skip
        if ok:
            model.state = S.APPEALED
            model.appealed_on = self.today
            model.round += 1
            model.assignee = None
            model.closed_on = None

    def _reassign(
        self, model: CaseModel, who: str, version: str, data: st.DataObject
    ) -> None:
        to = data.draw(st.sampled_from(["gdv1", "gdv2", "sup", "bv", "nobody"]))
        case = self._case(model)
        expected = self._gate(model, Action.REASSIGN, who, version)
        if expected is None and to in {"bv", "nobody"}:
            expected = ConfigError
        ok = self._run(
            model, Action.REASSIGN, who, expected,
            lambda: cases.reassign(
                self.session, case, ACTORS[who], to=to,
                expected_version=self._expected_version(model, version),
            ),
        )  # fmt: skip
        if ok:
            model.assignee = to

    def _reopen(
        self, model: CaseModel, who: str, version: str, data: st.DataObject
    ) -> None:
        grounds = data.draw(grounds_st, label="grounds")
        case = self._case(model)
        expected = self._gate(model, Action.REOPEN, who, version)
        if expected is None and not grounds:
            expected = ConfigError
        ok = self._run(
            model, Action.REOPEN, who, expected,
            lambda: cases.reopen(
                self.session, case, ACTORS[who], reason="Sai sót" if grounds else "",
                expected_version=self._expected_version(model, version),
            ),
        )  # fmt: skip
        if ok:
            model.state = S.JOINT_VERIFICATION
            model.round += 1
            model.closed_on = None

    # ------------------------------------------------------------ invariants

    @invariant()
    def only_successful_actions_left_rows(self) -> None:
        for table, count in self.rows.items():
            stored = self.session.scalar(select(func.count()).select_from(table))
            assert stored == count, table.__tablename__

    @invariant()
    def a_line_is_in_one_case(self) -> None:
        rows = self.session.execute(
            select(ReviewLine.line_key, ReviewCase.code).join(ReviewCase)
        ).all()
        keys = [key for key, _ in rows]
        assert len(keys) == len(set(keys))
        assert dict(rows) == {
            ln.key: model.code for model in self.models for ln in model.lines
        }

    def _the_store_matches_the_model(self, stored: dict[str, ReviewCase]) -> None:
        assert set(stored) == {model.code for model in self.models}
        for model in self.models:
            case = stored[model.code]
            assert (case.state, case.round, case.assignee, case.version) == (
                model.state.value,
                model.round,
                model.assignee,
                model.version,
            )
            assert (
                case.sent_on,
                case.answered_on,
                case.decided_on,
                case.appealed_on,
                case.closed_on,
            ) == (
                model.sent_on,
                model.answered_on,
                model.decided_on,
                model.appealed_on,
                model.closed_on,
            )

    @invariant()
    def the_cases_and_their_money_match_the_model(self) -> None:
        stored = self._stored()
        self._the_store_matches_the_model(stored)
        decided = 0
        for model in self.models:
            case = stored[model.code]
            latest = cases.latest_decisions(self.session, case)
            by_key = {ln.key: ln for ln in model.lines}
            for row in case.lines:
                found = latest.get(row.id)
                expected = by_key[row.line_key].latest
                if found is None:
                    assert expected is None
                    continue
                decided += 1
                split = (found.payable, found.refused, found.adjusted)
                assert split == expected
                assert sum(split, Decimal(0)) == row.stake
                assert min(split) >= 0
                payable, refused, adjusted, under_review = (
                    row.auto_payable, row.auto_refused, row.auto_adjusted,
                    row.auto_under_review,
                )  # fmt: skip
                if row.stake_kind == "under_review":
                    payable += found.payable
                    under_review = Decimal(0)
                else:
                    payable += found.payable - row.stake
                refused += found.refused
                adjusted += found.adjusted
                effective = (payable, refused, adjusted, under_review)
                assert min(effective) >= 0
                assert sum(effective, Decimal(0)) == row.claimed
            money = cases.case_money(self.session, case)
            assert money.payable + money.refused + money.adjusted + money.open == (
                money.stake
            )
            assert money.stake == sum((ln.stake for ln in model.lines), Decimal(0))
            assert money.open == sum(
                (ln.stake for ln in model.lines if ln.latest is None), Decimal(0)
            )
            assert money.decided_lines == sum(
                ln.latest is not None for ln in model.lines
            )
        assert len(cases.decided_lines(self.session)) == decided

    @invariant()
    def the_audit_chain_is_intact(self) -> None:
        assert audit.verify(self.session) == audit.ChainReport(entries=self.entries)

    def teardown(self) -> None:
        self.session.close()
        self.engine.dispose()
        shutil.rmtree(self.directory, ignore_errors=True)


CasesMachine.TestCase.settings = settings(
    max_examples=25, stateful_step_count=50, deadline=None
)
TestCases = CasesMachine.TestCase
