"""Cases on SQLite and PostgreSQL: the procedure, money, access and optimistic locking.

The case of most tests is received on Mon 2/3/2026 with two lines (stakes 40 and
25.50). Its clock, counted by hand on the 2026 calendar (no holiday in March):
- send the result: 7 working days from Mon 2/3: Tue 3 .. Fri 6 (4), Mon 9 (5),
  Tue 10 (6), Wed 11/3 (7);
- the facility's answer, sent on Wed 4/3: Thu 5 (1), Fri 6 (2), Mon 9/3 (3);
- signing the record, decided on Thu 12/3: Fri 13 (1), Mon 16/3 (2);
- appeal, 90 calendar days from Thu 12/3: 19 days to 31/3, 30 in April (49),
  31 in May (80), 10 in June: Wed 10/6/2026.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select
from tests.review.support import (
    BASIS,
    FACILITY,
    People,
    add_people,
    line,
    spec,
)

from giamdinh.db.models.review import (
    ReviewAudit,
    ReviewCase,
    ReviewDecision,
    ReviewLine,
    ReviewMeeting,
)
from giamdinh.errors import ConfigError, ConflictError, TransitionError
from giamdinh.review import audit, cases
from giamdinh.review.deadlines import Step
from giamdinh.review.workflow import Actor, CaseState, Role

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.orm import Session, sessionmaker

D = date
SENT = D(2026, 3, 4)
ANSWER_DUE = D(2026, 3, 9)
DECIDED = D(2026, 3, 12)
APPEAL_DUE = D(2026, 6, 10)
LINES = (
    line(1),  # claimed 100: payable 60, under review 40
    line(2, payable="74.50", under_review="25.50"),  # claimed 100
)


@pytest.fixture
def people(session: Session) -> People:
    return add_people(session)


@pytest.fixture
def case(session: Session, people: People) -> ReviewCase:
    opened = cases.open_case(
        session, spec("R001|01001|2026-02", LINES), people.assessor
    )
    assert opened is not None
    return opened


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "benh-an.pdf"
    path.write_bytes(b"%PDF-1.7\nbenh an\n%%EOF\n")
    return path


def _answer(session: Session, case: ReviewCase, people: People, folder: Path) -> None:
    cases.answer(
        session, case, people.facility, on=D(2026, 3, 6), files=[], folder=folder,
        note="Có chỉ định trong bệnh án",
    )  # fmt: skip


def _meet(session: Session, case: ReviewCase, people: People) -> None:
    cases.meet(
        session, case, people.assessor, held_on=D(2026, 3, 10),
        participants="GĐV 1; đại diện BV", minutes="Thống nhất",
    )  # fmt: skip


def _decide_all(session: Session, case: ReviewCase, by: Actor, on: date) -> None:
    """Pay line 1 in part (refuse 10 with its basis) and line 2 in full."""
    cases.decide(
        session, case, by, stt=1, payable=Decimal(30), refused=Decimal(10),
        reason="Vượt định mức", basis=BASIS, on=on,
    )  # fmt: skip
    cases.decide(
        session, case, by, stt=2, payable=Decimal("25.50"), reason="Đúng", on=on
    )


def _decided(
    session: Session, case: ReviewCase, people: People, folder: Path
) -> ReviewCase:
    cases.send(session, case, people.assessor, on=SENT)
    _answer(session, case, people, folder)
    _meet(session, case, people)
    _decide_all(session, case, people.assessor, DECIDED)
    assert case.state == CaseState.DECIDED
    return case


def _count(session: Session, model: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _case_actions(session: Session, code: str) -> list[str]:
    return list(
        session.scalars(
            select(ReviewAudit.action)
            .where(ReviewAudit.case_code == code)
            .order_by(ReviewAudit.id)
        )
    )


# ------------------------------------------------------------------ the procedure


def test_the_whole_path(
    session: Session,
    factory: sessionmaker[Session],
    people: People,
    case: ReviewCase,
    pdf: Path,
) -> None:
    assert case.code == "GD2026-000001"
    assert (case.state, case.round, case.version, case.assignee) == (
        "opened",
        1,
        1,
        None,
    )
    assert [ln.stake for ln in case.lines] == [Decimal(40), Decimal("25.50")]
    assert cases.line_findings(case.lines[0]) == [{"rule": "R001", "amount": "40"}]
    running = cases.next_deadline(case)
    assert running is not None
    assert (running.step, running.due) == (Step.SEND_RESULT, D(2026, 3, 11))
    assert not cases.is_overdue(case, D(2026, 3, 11))
    assert cases.is_overdue(case, D(2026, 3, 12))

    cases.send(session, case, people.assessor, on=SENT)
    assert (case.state, case.sent_on, case.assignee) == ("sent", SENT, "gdv1")
    running = cases.next_deadline(case)
    assert running is not None
    assert (running.step, running.party, running.due) == (
        Step.FACILITY_ANSWER,
        "facility",
        ANSWER_DUE,
    )
    assert cases.is_overdue(case, D(2026, 3, 10))

    files = pdf.parent / "files"
    stored = cases.answer(
        session, case, people.facility, on=D(2026, 3, 6), files=[pdf], folder=files,
        note="Bệnh án kèm theo",
    )  # fmt: skip
    assert (case.state, case.answered_on) == ("answered", D(2026, 3, 6))
    assert [(a.filename, a.media_type) for a in cases.attachments(session, case)] == [
        ("benh-an.pdf", "application/pdf")
    ]
    assert (files / stored[0].sha256[:2] / stored[0].sha256).is_file()
    assert cases.next_deadline(case) is None
    assert not cases.is_overdue(case, D(2027, 1, 1))

    _meet(session, case, people)
    assert case.state == "joint_verification"
    assert [m.minutes for m in cases.meetings(session, case)] == ["Thống nhất"]

    cases.decide(
        session, case, people.assessor, stt=1, payable=Decimal(30),
        refused=Decimal(10), reason="Vượt định mức", basis=BASIS, on=DECIDED,
    )  # fmt: skip
    assert case.state == "joint_verification"  # one line is still open
    cases.decide(
        session, case, people.assessor, stt=2, payable=Decimal("25.50"),
        reason="Đúng", on=DECIDED,
    )  # fmt: skip
    assert (case.state, case.decided_on) == ("decided", DECIDED)
    running = cases.next_deadline(case)
    assert running is not None
    assert (running.step, running.due) == (Step.SIGN_RECORD, D(2026, 3, 16))
    until = cases.appeal_deadline(case)
    assert until is not None
    assert until.due == APPEAL_DUE

    cases.close(session, case, people.assessor, on=D(2026, 3, 16))
    assert (case.state, case.closed_on) == ("closed", D(2026, 3, 16))
    assert cases.next_deadline(case) is None
    assert case.version == 7
    session.commit()

    with factory() as fresh:
        again = cases.get_case(fresh, case.code, people.supervisor)
        assert (again.state, again.version, again.assignee) == ("closed", 7, "gdv1")
        assert _case_actions(fresh, case.code) == [
            "open", "send", "answer", "meet", "decide", "decide", "close",
        ]  # fmt: skip
        assert audit.verify(fresh).intact
        money = cases.case_money(fresh, again)
        assert (money.payable, money.refused, money.adjusted, money.open) == (
            Decimal("55.50"),
            Decimal(10),
            Decimal(0),
            Decimal(0),
        )


def test_facility_staff_do_not_open_cases(session: Session, people: People) -> None:
    with pytest.raises(TransitionError, match="only assessors open cases"):
        cases.open_case(session, spec("k", LINES), people.facility)
    assert _count(session, ReviewCase) == 0


def test_opening_the_same_key_twice_opens_nothing(
    session: Session, people: People, case: ReviewCase
) -> None:
    other_lines = (line(5, ma_lk="LK9"),)
    assert (
        cases.open_case(session, spec(case.key, other_lines), people.supervisor) is None
    )
    assert _count(session, ReviewCase) == 1
    assert _count(session, ReviewLine) == 2
    assert _case_actions(session, case.code) == ["open"]


@pytest.mark.usefixtures("case")
def test_a_line_already_in_a_case_is_left_out(session: Session, people: People) -> None:
    second = cases.open_case(
        session,
        spec("k2", (line(2), line(1, ma_lk="LK2"))),
        people.assessor,
    )
    assert second is not None
    assert second.code == "GD2026-000002"
    assert [ln.line_key for ln in second.lines] == ["LK2|XML3|1"]
    assert cases.open_case(session, spec("k3", (line(1),)), people.assessor) is None
    assert cases.taken_lines(
        session, ["LK1|XML3|1", "LK1|XML3|2", "LK2|XML3|1", "LK3|XML3|1"]
    ) == {"LK1|XML3|1", "LK1|XML3|2", "LK2|XML3|1"}
    # Keys known to be taken may be passed in; the new ones are added to the set.
    taken = {"LK4|XML3|1"}
    third = cases.open_case(
        session,
        spec("k4", (line(1, ma_lk="LK4"), line(2, ma_lk="LK4"))),
        people.assessor,
        taken=taken,
    )
    assert third is not None
    assert [ln.line_key for ln in third.lines] == ["LK4|XML3|2"]
    assert taken == {"LK4|XML3|1", "LK4|XML3|2"}


def test_case_codes_are_numbered_per_year(session: Session, people: People) -> None:
    first = cases.open_case(
        session, spec("a", (line(1),), received_on=D(2026, 12, 31)), people.assessor
    )
    second = cases.open_case(
        session,
        spec("b", (line(2),), received_on=D(2027, 1, 4)),
        people.assessor,
    )
    third = cases.open_case(
        session, spec("c", (line(3),), received_on=D(2027, 1, 5)), people.assessor
    )
    assert first is not None
    assert second is not None
    assert third is not None
    assert [first.code, second.code, third.code] == [
        "GD2026-000001",
        "GD2027-000001",
        "GD2027-000002",
    ]


# ------------------------------------------------------------------ deciding


def test_decide_waits_for_the_facility_answer_deadline(
    session: Session, people: People, case: ReviewCase
) -> None:
    cases.send(session, case, people.assessor, on=SENT)
    with pytest.raises(TransitionError, match="may answer until 09/03/2026"):
        cases.decide(
            session, case, people.assessor, stt=2, payable=Decimal("25.50"),
            reason="Đúng", on=ANSWER_DUE,
        )  # fmt: skip
    assert _count(session, ReviewDecision) == 0
    assert case.state == "sent"
    cases.decide(
        session, case, people.assessor, stt=2, payable=Decimal("25.50"),
        reason="Đúng", on=D(2026, 3, 10),
    )  # fmt: skip
    assert _count(session, ReviewDecision) == 1


def test_payable_and_refused_cannot_exceed_the_stake(
    session: Session, people: People, case: ReviewCase
) -> None:
    cases.send(session, case, people.assessor, on=SENT)
    _meet(session, case, people)
    with pytest.raises(ConfigError, match="exceed the line's stake of 40"):
        cases.decide(
            session, case, people.assessor, stt=1, payable=Decimal(30),
            refused=Decimal("10.01"), reason="x", basis=BASIS, on=DECIDED,
        )  # fmt: skip
    assert _count(session, ReviewDecision) == 0
    decision = cases.decide(
        session, case, people.assessor, stt=1, payable=Decimal(30),
        refused=Decimal(10), reason="x", basis=BASIS, on=DECIDED,
    )  # fmt: skip
    assert (decision.payable, decision.refused, decision.adjusted) == (
        Decimal(30),
        Decimal(10),
        Decimal(0),
    )


@pytest.mark.parametrize(
    "decision",
    [
        (Decimal(30), Decimal(10), None),  # refusing
        (Decimal(30), Decimal(0), None),  # adjusting (10 left)
        (Decimal(0), Decimal(40), "   "),  # a blank basis is none
    ],
)
def test_refusing_or_adjusting_needs_a_basis(
    session: Session,
    people: People,
    case: ReviewCase,
    decision: tuple[Decimal, Decimal, str | None],
) -> None:
    payable, refused, basis = decision
    cases.send(session, case, people.assessor, on=SENT)
    _meet(session, case, people)
    with pytest.raises(ConfigError, match=r"Điều 51 khoản 2 / .*needs its basis"):
        cases.decide(
            session, case, people.assessor, stt=1, payable=payable, refused=refused,
            reason="x", basis=basis, on=DECIDED,
        )  # fmt: skip
    assert _count(session, ReviewDecision) == 0
    # Paying the whole stake needs no basis.
    cases.decide(
        session, case, people.assessor, stt=1, payable=Decimal(40), reason="ok",
        on=DECIDED,
    )  # fmt: skip


def test_a_decision_needs_a_reason(
    session: Session, people: People, case: ReviewCase
) -> None:
    cases.send(session, case, people.assessor, on=SENT)
    _meet(session, case, people)
    with pytest.raises(ConfigError, match="needs its reason"):
        cases.decide(
            session, case, people.assessor, stt=1, payable=Decimal(40), reason=" ",
            on=DECIDED,
        )  # fmt: skip


NOT_MONEY = [
    (Decimal("10.005"), "at most 2 decimals"),
    (Decimal("0.001"), "at most 2 decimals"),
    (Decimal(-1), "non-negative amount"),
    (Decimal("-0.01"), "non-negative amount"),
    (Decimal("NaN"), "non-negative amount"),
    (Decimal("Infinity"), "non-negative amount"),
    # Too many digits to round to cents in the default context (28 digits).
    (Decimal("1E+30"), "too large an amount"),
]


def test_amounts_must_be_money(
    session: Session, people: People, case: ReviewCase
) -> None:
    # One case for every bad amount (each is refused before anything is written).
    cases.send(session, case, people.assessor, on=SENT)
    _meet(session, case, people)
    for field in ("payable", "refused"):
        for value, message in NOT_MONEY:
            amounts = {"payable": Decimal(0), "refused": Decimal(0), field: value}
            with pytest.raises(ConfigError, match=f"{field}.*{message}"):
                cases.decide(
                    session, case, people.assessor, stt=1, reason="x", basis=BASIS,
                    on=DECIDED, payable=amounts["payable"],
                    refused=amounts["refused"],
                )  # fmt: skip
    assert _count(session, ReviewDecision) == 0
    assert case.version == 3


def test_amounts_with_trailing_zeros_are_money(
    session: Session, people: People, case: ReviewCase
) -> None:
    cases.send(session, case, people.assessor, on=SENT)
    _meet(session, case, people)
    decision = cases.decide(
        session, case, people.assessor, stt=1, payable=Decimal("12.50"),
        refused=Decimal("7.500"), reason="x", basis=BASIS, on=DECIDED,
    )  # fmt: skip
    assert decision.adjusted == Decimal(20)


def test_lines_are_named_by_number_claim_and_table(
    session: Session, people: People
) -> None:
    both = cases.open_case(
        session,
        spec("k", (line(1), line(1, ma_lk="LK2"), line(1, ma_lk="LK2", tbl="XML2"))),
        people.assessor,
    )
    assert both is not None
    cases.send(session, both, people.assessor, on=SENT)
    _meet(session, both, people)
    with pytest.raises(ConfigError, match="has no line 9"):
        cases.decide(
            session, both, people.assessor, stt=9, payable=Decimal(40), reason="x",
            on=DECIDED,
        )  # fmt: skip
    with pytest.raises(ConfigError, match=r"line 1 is ambiguous \(LK1\|XML3\|1, "):
        cases.decide(
            session, both, people.assessor, stt=1, payable=Decimal(40), reason="x",
            on=DECIDED,
        )  # fmt: skip
    decision = cases.decide(
        session, both, people.assessor, stt=1, ma_lk="LK2", tbl="XML2",
        payable=Decimal(40), reason="x", on=DECIDED,
    )  # fmt: skip
    assert decision.line_id == both.lines[2].id


# ------------------------------------------------------------------ appeals


def test_one_appeal_and_a_re_decision_by_another_assessor(
    session: Session, people: People, case: ReviewCase, tmp_path: Path
) -> None:
    _decided(session, case, people, tmp_path)
    with pytest.raises(ConfigError, match="an appeal needs its grounds"):
        cases.appeal(session, case, people.facility, on=D(2026, 3, 20), reason="")
    with pytest.raises(TransitionError, match="a assessor may not appeal"):
        cases.appeal(session, case, people.assessor, on=D(2026, 3, 20), reason="x")
    cases.appeal(session, case, people.facility, on=D(2026, 3, 20), reason="Có CĐ")
    assert (case.state, case.round, case.assignee) == ("appealed", 2, None)
    assert case.appealed_on == D(2026, 3, 20)
    assert cases.appeal_deadline(case) is None
    assert cases.next_deadline(case) is None

    with pytest.raises(TransitionError, match="re-decided by another assessor"):
        cases.decide(
            session, case, people.assessor, stt=2, payable=Decimal("25.50"),
            reason="Đúng", on=D(2026, 3, 25),
        )  # fmt: skip
    cases.decide(
        session, case, people.assessor2, stt=1, payable=Decimal(40), reason="Chấp nhận",
        on=D(2026, 3, 25),
    )  # fmt: skip
    assert (case.state, case.assignee) == ("appealed", "gdv2")
    cases.decide(
        session, case, people.assessor2, stt=2, payable=Decimal("25.50"),
        reason="Đúng", on=D(2026, 3, 26),
    )  # fmt: skip
    assert (case.state, case.decided_on) == ("decided", D(2026, 3, 26))
    assert {d.round for d in cases.latest_decisions(session, case).values()} == {2}
    with pytest.raises(TransitionError, match="one appeal only"):
        cases.appeal(session, case, people.facility, on=D(2026, 3, 27), reason="Lại")
    assert case.round == 2


def test_an_appeal_after_90_days_is_refused(
    session: Session, people: People, case: ReviewCase, tmp_path: Path
) -> None:
    _decided(session, case, people, tmp_path)
    cases.close(session, case, people.assessor, on=D(2026, 3, 16))
    with pytest.raises(
        TransitionError, match="the period to appeal ended on 10/06/2026"
    ):
        cases.appeal(session, case, people.facility, on=D(2026, 6, 11), reason="x")
    assert case.state == "closed"
    assert case.appealed_on is None
    # The 90th day is still in time, and a closed case may be appealed.
    cases.appeal(session, case, people.facility, on=APPEAL_DUE, reason="x")
    assert case.state == "appealed"


# ------------------------------------------------------------------ who may act


def test_facility_staff_cannot_see_another_facility_case(
    session: Session, people: People, case: ReviewCase, tmp_path: Path
) -> None:
    cases.send(session, case, people.assessor, on=SENT)
    with pytest.raises(ConfigError, match=f"no case {case.code}$"):
        cases.get_case(session, case.code, people.other)
    with pytest.raises(ConfigError, match="no case GD2026-999999"):
        cases.get_case(session, "GD2026-999999", people.supervisor)
    assert cases.get_case(session, case.code, people.facility) is case
    assert cases.visible_cases(session, people.other) == []
    assert cases.visible_cases(session, people.facility) == [case]
    assert cases.visible_cases(session, people.assessor, states=[CaseState.SENT]) == [
        case
    ]
    assert (
        cases.visible_cases(session, people.assessor, states=[CaseState.OPENED]) == []
    )
    version = case.version
    with pytest.raises(TransitionError, match="bv2 is not staff of facility 01001"):
        cases.answer(
            session, case, people.other, on=D(2026, 3, 5), files=[],
            folder=tmp_path, note="x",
        )  # fmt: skip
    assert (case.state, case.version) == ("sent", version)


def test_an_assessor_cannot_act_on_another_assessors_case(
    session: Session, people: People, case: ReviewCase
) -> None:
    cases.send(session, case, people.assessor, on=SENT)
    with pytest.raises(TransitionError, match="case GD2026-000001 is assigned to gdv1"):
        cases.meet(
            session, case, people.assessor2, held_on=SENT, participants="a",
            minutes="b",
        )  # fmt: skip
    with pytest.raises(TransitionError, match="is assigned to gdv1"):
        cases.decide(
            session, case, people.assessor2, stt=2, payable=Decimal("25.50"),
            reason="x", on=D(2026, 3, 10),
        )  # fmt: skip
    assert _count(session, ReviewMeeting) == 0
    # A supervisor may act on any case.
    cases.meet(
        session, case, people.supervisor, held_on=SENT, participants="a", minutes="b"
    )
    assert case.assignee == "gdv1"


def test_a_supervisor_reassigns(
    session: Session, people: People, case: ReviewCase
) -> None:
    cases.send(session, case, people.supervisor, on=SENT)
    # A supervisor sending does not take the case.
    assert (case.state, case.assignee) == ("sent", None)
    with pytest.raises(TransitionError, match="only supervisor may"):
        cases.reassign(session, case, people.assessor, to="gdv1")
    with pytest.raises(ConfigError, match="bv is facility staff"):
        cases.reassign(session, case, people.supervisor, to="bv")
    with pytest.raises(ConfigError, match="no active user 'nobody'"):
        cases.reassign(session, case, people.supervisor, to="nobody")
    cases.reassign(session, case, people.supervisor, to="gdv2")
    assert case.assignee == "gdv2"
    with pytest.raises(TransitionError, match="is assigned to gdv2"):
        _meet(session, case, people)  # by gdv1
    cases.meet(
        session, case, people.assessor2, held_on=D(2026, 3, 10), participants="a",
        minutes="b",
    )  # fmt: skip
    assert _case_actions(session, case.code) == ["open", "send", "reassign", "meet"]


def test_a_closed_case_is_not_reassigned(
    session: Session, people: People, case: ReviewCase, tmp_path: Path
) -> None:
    _decided(session, case, people, tmp_path)
    cases.close(session, case, people.assessor, on=D(2026, 3, 16))
    with pytest.raises(TransitionError, match="cannot reassign a case that is closed"):
        cases.reassign(session, case, people.supervisor, to="gdv2")


def test_a_supervisor_reopens(
    session: Session, people: People, case: ReviewCase, tmp_path: Path
) -> None:
    _decided(session, case, people, tmp_path)
    cases.close(session, case, people.assessor, on=D(2026, 3, 16))
    with pytest.raises(TransitionError, match="only supervisor may"):
        cases.reopen(session, case, people.assessor, reason="x")
    with pytest.raises(ConfigError, match="reopening needs its reason"):
        cases.reopen(session, case, people.supervisor, reason=" ")
    cases.reopen(session, case, people.supervisor, reason="Sai sót")
    assert (case.state, case.round, case.closed_on) == ("joint_verification", 2, None)
    # Not an appeal: the same assessor decides the new round.
    cases.decide(
        session, case, people.assessor, stt=1, payable=Decimal(40), reason="Lại",
        on=D(2026, 3, 20),
    )  # fmt: skip
    assert case.state == "joint_verification"
    money = cases.case_money(session, case)
    # Line 1's newest decision is round 2's; line 2 keeps round 1's.
    assert (money.payable, money.refused, money.open, money.decided_lines) == (
        Decimal("65.50"),
        Decimal(0),
        Decimal(0),
        2,
    )
    cases.decide(
        session, case, people.assessor, stt=2, payable=Decimal(20), reason="Lại",
        basis=BASIS, on=D(2026, 3, 20),
    )  # fmt: skip
    assert (case.state, case.decided_on) == ("decided", D(2026, 3, 20))
    assert len(cases.decisions(session, case)) == 4


# ------------------------------------------------------------------ money


def test_case_money_and_decided_lines(
    session: Session, people: People, case: ReviewCase
) -> None:
    money = cases.case_money(session, case)
    assert money == cases.CaseMoney(
        stake=Decimal("65.50"), payable=Decimal(0), refused=Decimal(0),
        adjusted=Decimal(0), open=Decimal("65.50"), lines=2, decided_lines=0,
    )  # fmt: skip
    assert cases.decided_lines(session) == []
    cases.send(session, case, people.assessor, on=SENT)
    _meet(session, case, people)
    cases.decide(
        session, case, people.assessor, stt=1, payable=Decimal(30),
        refused=Decimal("5.25"), reason="x", basis=BASIS, on=DECIDED,
    )  # fmt: skip
    assert cases.case_money(session, case) == cases.CaseMoney(
        stake=Decimal("65.50"), payable=Decimal(30), refused=Decimal("5.25"),
        adjusted=Decimal("4.75"), open=Decimal("25.50"), lines=2, decided_lines=1,
    )  # fmt: skip
    # A newer decision of the same line replaces the older one in the sums.
    cases.decide(
        session, case, people.assessor, stt=1, payable=Decimal("39.99"),
        refused=Decimal("0.01"), reason="y", basis=BASIS, on=DECIDED,
    )  # fmt: skip
    money = cases.case_money(session, case)
    assert (money.payable, money.refused, money.adjusted, money.open) == (
        Decimal("39.99"),
        Decimal("0.01"),
        Decimal(0),
        Decimal("25.50"),
    )
    rows = cases.decided_lines(session)
    assert len(rows) == 1
    row = rows[0]
    assert {k: row[k] for k in ("line_key", "case", "ma_cskcb", "round")} == {
        "line_key": "LK1|XML3|1",
        "case": "GD2026-000001",
        "ma_cskcb": FACILITY,
        "round": 1,
    }
    assert (row["stake_kind"], row["stake"]) == ("under_review", Decimal(40))
    assert (row["payable"], row["refused"], row["adjusted"]) == (
        Decimal("39.99"),
        Decimal("0.01"),
        Decimal(0),
    )
    assert (row["reason"], row["decided_by"], row["decided_on"]) == (
        "y",
        "gdv1",
        DECIDED,
    )
    cases.decide(
        session, case, people.assessor, stt=2, payable=Decimal(0),
        refused=Decimal("25.50"), reason="z", basis=BASIS, on=DECIDED,
    )  # fmt: skip
    assert [(r["line_key"], r["refused"]) for r in cases.decided_lines(session)] == [
        ("LK1|XML3|1", Decimal("0.01")),
        ("LK1|XML3|2", Decimal("25.50")),
    ]
    money = cases.case_money(session, case)
    assert money.payable + money.refused + money.adjusted + money.open == money.stake
    assert money.open == 0


def test_a_lead_puts_the_payable_amount_at_stake(
    session: Session, people: People
) -> None:
    lead = cases.open_case(
        session,
        spec(
            "lead|7", (line(1, payable="60", under_review="0"),), stake_kind="payable"
        ),
        people.supervisor,
    )
    assert lead is not None
    assert [(ln.stake_kind, ln.stake) for ln in lead.lines] == [
        ("payable", Decimal(60))
    ]
    assert cases.case_money(session, lead).stake == Decimal(60)


# ------------------------------------------------------------------ the clock


def test_no_clock_before_the_circular(session: Session, people: People) -> None:
    early = cases.open_case(
        session, spec("old", (line(7),), received_on=D(2026, 2, 9)), people.assessor
    )
    assert early is not None
    assert cases.next_deadline(early) is None
    assert not cases.is_overdue(early, D(2027, 1, 1))
    # Without a period the facility's answer is not waited for.
    cases.send(session, early, people.assessor, on=D(2026, 2, 9))
    assert cases.next_deadline(early) is None
    cases.decide(
        session, early, people.assessor, stt=7, payable=Decimal(40), reason="x",
        on=D(2026, 2, 9),
    )  # fmt: skip
    assert early.state == "decided"


def test_an_overdue_answer(session: Session, people: People, case: ReviewCase) -> None:
    cases.send(session, case, people.assessor, on=SENT)
    assert not cases.is_overdue(case, ANSWER_DUE)
    assert cases.is_overdue(case, D(2026, 3, 10))


# ------------------------------------------------------------------ locking


def test_a_stale_expected_version_changes_nothing(
    session: Session, people: People, case: ReviewCase
) -> None:
    cases.send(session, case, people.assessor, on=SENT, expected_version=1)
    assert case.version == 2
    entries = _count(session, ReviewAudit)
    with pytest.raises(ConflictError, match=r"version 2, yours 1\): reload"):
        _meet_stale(session, case, people, expected_version=1)
    with pytest.raises(ConflictError, match="changed since you read it"):
        cases.decide(
            session, case, people.assessor, stt=2, payable=Decimal("25.50"),
            reason="x", on=D(2026, 3, 10), expected_version=3,
        )  # fmt: skip
    assert (case.state, case.version) == ("sent", 2)
    assert _count(session, ReviewMeeting) == 0
    assert _count(session, ReviewDecision) == 0
    assert _count(session, ReviewAudit) == entries
    _meet_stale(session, case, people, expected_version=2)
    assert (case.state, case.version) == ("joint_verification", 3)


def _meet_stale(
    session: Session, case: ReviewCase, people: People, *, expected_version: int
) -> None:
    cases.meet(
        session, case, people.assessor, held_on=SENT, participants="a", minutes="b",
        expected_version=expected_version,
    )  # fmt: skip


def _first(
    action: str, session: Session, case: ReviewCase, people: People, folder: Path
) -> None:
    """What the session that wins does (and commits)."""
    if action == "send":
        cases.send(session, case, people.assessor, on=SENT)
    elif action == "reassign":
        cases.reassign(session, case, people.supervisor, to="gdv1")
    elif action == "answer":
        cases.answer(
            session, case, people.facility, on=D(2026, 3, 5), files=[],
            folder=folder, note="first",
        )  # fmt: skip
    else:  # pragma: no cover - a typo in the parameters
        raise AssertionError(action)


def _second(action: str, session: Session, case: ReviewCase, people: People) -> None:
    """What the session that read the same version does after the first commits."""
    if action == "send":
        cases.send(session, case, people.supervisor, on=D(2026, 3, 5))
    elif action == "reassign":
        cases.reassign(session, case, people.supervisor, to="gdv2")
    elif action == "decide":
        cases.decide(
            session, case, people.assessor2, stt=2, payable=Decimal("25.50"),
            reason="Đúng", on=D(2026, 3, 10),
        )  # fmt: skip
    elif action == "meet":
        cases.meet(
            session, case, people.supervisor, held_on=SENT, participants="a",
            minutes="b",
        )  # fmt: skip
    else:  # pragma: no cover - a typo in the parameters
        raise AssertionError(action)


@pytest.mark.parametrize(
    ("setup", "first", "second"),
    [
        ("opened", "send", "send"),
        ("opened", "send", "reassign"),
        ("sent", "answer", "meet"),
        # Sent by a supervisor: nobody holds the case, so the second assessor's
        # decision takes it (the assignee changes before the case is flushed).
        ("sent", "reassign", "decide"),
        ("sent", "answer", "decide"),
    ],
)
def test_two_sessions_on_one_case(
    factory: sessionmaker[Session],
    tmp_path: Path,
    setup: str,
    first: str,
    second: str,
) -> None:
    with factory() as prepare:
        people = add_people(prepare)
        opened = cases.open_case(prepare, spec("k", LINES), people.supervisor)
        assert opened is not None
        if setup == "sent":
            cases.send(prepare, opened, people.supervisor, on=D(2026, 2, 9))
        prepare.commit()
        code, version = opened.code, opened.version
    with factory() as a, factory() as b:
        case_a = cases.get_case(a, code, people.supervisor)
        case_b = cases.get_case(b, code, people.supervisor)
        decisions_before = _count(b, ReviewDecision)
        _first(first, a, case_a, people, tmp_path)
        a.commit()
        with pytest.raises(ConflictError, match="changed by someone else meanwhile"):
            _second(second, b, case_b, people)
        b.rollback()
        # Session B reloads: the first change is kept, the second left no trace.
        case_b = cases.get_case(b, code, people.supervisor)
        assert case_b.version == version + 1
        assert _case_actions(b, code).count(first) == 1
        assert _case_actions(b, code)[-1] == first
        assert _count(b, ReviewDecision) == decisions_before
        assert audit.verify(b).intact
        if first == "send":
            assert (case_b.state, case_b.sent_on, case_b.assignee) == (
                "sent",
                SENT,
                "gdv1",
            )
        if first == "reassign":
            assert case_b.assignee == "gdv1"
        # With the current version the second session's action goes through.
        cases.reassign(
            b, case_b, people.supervisor, to="gdv2", expected_version=version + 1
        )
        b.commit()
        assert case_b.version == version + 2


# ------------------------------------------------------------------ users


def test_users_belong_where_their_role_says(session: Session) -> None:
    with pytest.raises(ConfigError, match="need their facility's code"):
        cases.add_user(session, username="bv", name="BV", role=Role.FACILITY)
    with pytest.raises(ConfigError, match="only facility staff belong to a facility"):
        cases.add_user(
            session, username="gdv", name="G", role=Role.ASSESSOR, ma_cskcb=FACILITY
        )
    with pytest.raises(ConfigError, match="the username is empty"):
        cases.add_user(session, username=" ", name="G", role=Role.ASSESSOR)
    with pytest.raises(ConfigError, match="no active user 'ghost'"):
        cases.actor(session, "ghost")
    cases.add_user(session, username="gdv", name="G", role=Role.ASSESSOR)
    cases.add_user(session, username="gdv", name="G2", role=Role.SUPERVISOR)
    assert [(u.username, u.name, u.role) for u in cases.users(session)] == [
        ("gdv", "G2", "supervisor")
    ]
    entries = list(session.scalars(select(ReviewAudit).order_by(ReviewAudit.id)))
    assert [e.before for e in entries] == [
        "{}",
        '{"active":true,"ma_cskcb":null,"name":"G","role":"assessor","username":"gdv"}',
    ]
