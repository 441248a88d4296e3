"""Who may move a case, from where: every action, state and role against RULES."""

from __future__ import annotations

import itertools

import pytest

from giamdinh.errors import TransitionError
from giamdinh.review.workflow import (
    RULES,
    TARGET,
    Action,
    Actor,
    CaseState,
    Role,
    allowed_actions,
    check,
)

S = CaseState
FACILITY = "01001"
ACTORS = {
    Role.FACILITY: Actor(username="bv", role=Role.FACILITY, ma_cskcb=FACILITY),
    Role.ASSESSOR: Actor(username="gdv1", role=Role.ASSESSOR),
    Role.SUPERVISOR: Actor(username="sup", role=Role.SUPERVISOR),
    Role.MINISTRY: Actor(username="byt", role=Role.MINISTRY),
    Role.ADMIN: Actor(username="qt", role=Role.ADMIN),
}
COMBINATIONS = list(itertools.product(RULES, CaseState, Role))


@pytest.mark.parametrize(
    ("action", "state", "role"),
    COMBINATIONS,
    ids=[f"{a.value}-{s.value}-{r.value}" for a, s, r in COMBINATIONS],
)
def test_check_passes_exactly_when_the_rules_allow(
    action: Action, state: CaseState, role: Role
) -> None:
    roles, states = RULES[action]
    if role in roles and state in states:
        check(action, state, ACTORS[role], FACILITY)
        assert action in allowed_actions(state, role)
        return
    with pytest.raises(TransitionError, match=" / ") as refused:
        check(action, state, ACTORS[role], FACILITY)
    assert action not in allowed_actions(state, role)
    message = str(refused.value)
    if role not in roles:
        assert f"a {role.value} may not {action.value}" in message
    else:
        assert f"cannot {action.value} a case that is {state.label_en}" in message
        allowed = ", ".join(a.value for a in allowed_actions(state, role)) or "—"
        assert f"(allowed now: {allowed})" in message


# The table, written out by hand from the procedure (not read from RULES).
EXPECTED: dict[Action, tuple[set[Role], set[CaseState]]] = {
    Action.SEND: ({Role.ASSESSOR, Role.SUPERVISOR}, {S.OPENED}),
    Action.ANSWER: (
        {Role.FACILITY},
        {S.SENT, S.ANSWERED, S.JOINT_VERIFICATION, S.APPEALED},
    ),
    Action.MEET: (
        {Role.ASSESSOR, Role.SUPERVISOR},
        {S.SENT, S.ANSWERED, S.JOINT_VERIFICATION, S.APPEALED},
    ),
    Action.DECIDE: (
        {Role.ASSESSOR, Role.SUPERVISOR},
        {S.SENT, S.ANSWERED, S.JOINT_VERIFICATION, S.APPEALED},
    ),
    Action.CLOSE: ({Role.ASSESSOR, Role.SUPERVISOR}, {S.DECIDED}),
    Action.APPEAL: ({Role.FACILITY}, {S.DECIDED, S.CLOSED}),
    Action.REASSIGN: (
        {Role.SUPERVISOR},
        {S.OPENED, S.SENT, S.ANSWERED, S.JOINT_VERIFICATION, S.DECIDED, S.APPEALED},
    ),
    Action.REOPEN: ({Role.SUPERVISOR}, {S.DECIDED, S.CLOSED}),
}  # fmt: skip


def test_the_rules_are_the_procedure() -> None:
    # Opening is not a transition of an existing case: ``open_case`` checks it.
    assert set(RULES) == set(Action) - {Action.OPEN}
    assert {a: (set(r), set(s)) for a, (r, s) in RULES.items()} == EXPECTED


def test_targets() -> None:
    assert TARGET == {
        Action.SEND: S.SENT,
        Action.ANSWER: None,
        Action.MEET: S.JOINT_VERIFICATION,
        Action.DECIDE: None,
        Action.CLOSE: S.CLOSED,
        Action.APPEAL: S.APPEALED,
        Action.REASSIGN: None,
        Action.REOPEN: S.JOINT_VERIFICATION,
    }


@pytest.mark.parametrize("action", list(RULES))
@pytest.mark.parametrize("state", list(CaseState))
def test_staff_of_another_facility_are_refused(
    action: Action, state: CaseState
) -> None:
    stranger = Actor(username="bv2", role=Role.FACILITY, ma_cskcb="79002")
    with pytest.raises(
        TransitionError,
        match="bv2 không thuộc cơ sở 01001 / bv2 is not staff of facility 01001",
    ):
        check(action, state, stranger, FACILITY)


def test_facility_staff_without_a_facility_see_nothing() -> None:
    nobody = Actor(username="x", role=Role.FACILITY)
    assert not nobody.may_see(FACILITY)
    with pytest.raises(TransitionError, match="is not staff of facility"):
        check(Action.ANSWER, S.SENT, nobody, FACILITY)


def test_insurer_staff_see_every_facility() -> None:
    for role in (Role.ASSESSOR, Role.SUPERVISOR):
        assert Actor(username="u", role=role).may_see("79002")
    assert ACTORS[Role.FACILITY].may_see(FACILITY)
    assert not ACTORS[Role.FACILITY].may_see("79002")


def test_messages_say_what_the_case_allows_now() -> None:
    with pytest.raises(TransitionError, match=r"allowed now: reopen\)$"):
        check(Action.SEND, S.CLOSED, ACTORS[Role.SUPERVISOR], FACILITY)
    with pytest.raises(TransitionError, match=r"allowed now: —\)$"):
        check(Action.CLOSE, S.CLOSED, ACTORS[Role.ASSESSOR], FACILITY)
    with pytest.raises(
        TransitionError,
        match=r"^Cán bộ cơ sở KCB không được gửi kết quả cho cơ sở; chỉ assessor, "
        r"supervisor / a facility may not send; only assessor, supervisor may$",
    ):
        check(Action.SEND, S.OPENED, ACTORS[Role.FACILITY], FACILITY)
    with pytest.raises(TransitionError, match="«Đã đóng»") as refused:
        check(Action.MEET, S.CLOSED, ACTORS[Role.ASSESSOR], FACILITY)
    assert "cannot meet a case that is closed" in str(refused.value)


def test_allowed_actions_by_hand() -> None:
    assert allowed_actions(S.OPENED, Role.ASSESSOR) == [Action.SEND]
    assert allowed_actions(S.OPENED, Role.FACILITY) == []
    assert allowed_actions(S.CLOSED, Role.FACILITY) == [Action.APPEAL]
    assert set(allowed_actions(S.DECIDED, Role.SUPERVISOR)) == {
        Action.CLOSE,
        Action.REASSIGN,
        Action.REOPEN,
    }
    assert set(allowed_actions(S.APPEALED, Role.FACILITY)) == {Action.ANSWER}


def test_every_state_and_action_has_labels() -> None:
    for state in CaseState:
        assert state.label_vi
        assert state.label_en
    for action in Action:
        assert action.label_vi
    for role in Role:
        assert role.label_vi
