"""The states of a joint-verification case, who may move it, and where to.

A case runs: opened → sent to the facility → answered (evidence) → in joint
verification (a meeting with minutes) → decided (every line) → closed. The
facility may appeal once, within the period the law allows, which reopens the
case for a re-decision by another assessor; a supervisor may reassign a case
and reopen a decided or closed one. Everything else is refused with a message
that says why and what the case allows now.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from giamdinh.errors import TransitionError


class CaseState(StrEnum):
    """Where a case stands."""

    OPENED = "opened"
    SENT = "sent"
    ANSWERED = "answered"
    JOINT_VERIFICATION = "joint_verification"
    DECIDED = "decided"
    APPEALED = "appealed"
    CLOSED = "closed"

    @property
    def label_vi(self) -> str:
        """Return the Vietnamese label."""
        return _STATE_VI[self]

    @property
    def label_en(self) -> str:
        """Return the English label."""
        return _STATE_EN[self]


_STATE_VI = {
    CaseState.OPENED: "Mới mở",
    CaseState.SENT: "Đã gửi cơ sở",
    CaseState.ANSWERED: "Cơ sở đã giải trình",
    CaseState.JOINT_VERIFICATION: "Đang giám định chung",
    CaseState.DECIDED: "Đã quyết định",
    CaseState.APPEALED: "Cơ sở đề nghị xem xét lại",
    CaseState.CLOSED: "Đã đóng",
}
_STATE_EN = {
    CaseState.OPENED: "opened",
    CaseState.SENT: "sent to the facility",
    CaseState.ANSWERED: "answered by the facility",
    CaseState.JOINT_VERIFICATION: "in joint verification",
    CaseState.DECIDED: "decided",
    CaseState.APPEALED: "appealed",
    CaseState.CLOSED: "closed",
}


class Role(StrEnum):
    """Who a user is to the workflow."""

    FACILITY = "facility"
    ASSESSOR = "assessor"
    SUPERVISOR = "supervisor"
    MINISTRY = "ministry"
    ADMIN = "admin"

    @property
    def label_vi(self) -> str:
        """Return the Vietnamese label."""
        return {
            Role.FACILITY: "Cán bộ cơ sở KCB",
            Role.ASSESSOR: "Giám định viên",
            Role.SUPERVISOR: "Trưởng phòng giám định",
            Role.MINISTRY: "Bộ Y tế",
            Role.ADMIN: "Quản trị hệ thống",
        }[self]

    @property
    def sees_claims(self) -> bool:
        """Return whether the role works on claims and cases (its own or all)."""
        return self in {Role.FACILITY, Role.ASSESSOR, Role.SUPERVISOR}


class Action(StrEnum):
    """What a user does to a case."""

    OPEN = "open"
    SEND = "send"
    ANSWER = "answer"
    MEET = "meet"
    DECIDE = "decide"
    CLOSE = "close"
    APPEAL = "appeal"
    REASSIGN = "reassign"
    REOPEN = "reopen"

    @property
    def label_vi(self) -> str:
        """Return the Vietnamese verb."""
        return _ACTION_VI[self]


_ACTION_VI = {
    Action.OPEN: "mở hồ sơ",
    Action.SEND: "gửi kết quả cho cơ sở",
    Action.ANSWER: "giải trình",
    Action.MEET: "ghi biên bản giám định chung",
    Action.DECIDE: "quyết định",
    Action.CLOSE: "đóng hồ sơ",
    Action.APPEAL: "đề nghị xem xét lại",
    Action.REASSIGN: "giao lại",
    Action.REOPEN: "mở lại",
}

_S = CaseState
_INSURER = frozenset({Role.ASSESSOR, Role.SUPERVISOR})

#: Per action: the roles that may take it and the states it may start from.
RULES: dict[Action, tuple[frozenset[Role], frozenset[CaseState]]] = {
    Action.SEND: (_INSURER, frozenset({_S.OPENED})),
    Action.ANSWER: (
        frozenset({Role.FACILITY}),
        frozenset({_S.SENT, _S.ANSWERED, _S.JOINT_VERIFICATION, _S.APPEALED}),
    ),
    Action.MEET: (
        _INSURER,
        frozenset({_S.SENT, _S.ANSWERED, _S.JOINT_VERIFICATION, _S.APPEALED}),
    ),
    Action.DECIDE: (
        _INSURER,
        frozenset({_S.SENT, _S.ANSWERED, _S.JOINT_VERIFICATION, _S.APPEALED}),
    ),
    Action.CLOSE: (_INSURER, frozenset({_S.DECIDED})),
    Action.APPEAL: (frozenset({Role.FACILITY}), frozenset({_S.DECIDED, _S.CLOSED})),
    Action.REASSIGN: (
        frozenset({Role.SUPERVISOR}),
        frozenset(set(CaseState) - {_S.CLOSED}),
    ),
    Action.REOPEN: (frozenset({Role.SUPERVISOR}), frozenset({_S.DECIDED, _S.CLOSED})),
}

#: Where an action leaves the case (``None``: the state does not change, or it is
#: decided by the action itself, as for ``decide``).
TARGET: dict[Action, CaseState | None] = {
    Action.SEND: _S.SENT,
    Action.ANSWER: None,
    Action.MEET: _S.JOINT_VERIFICATION,
    Action.DECIDE: None,
    Action.CLOSE: _S.CLOSED,
    Action.APPEAL: _S.APPEALED,
    Action.REASSIGN: None,
    Action.REOPEN: _S.JOINT_VERIFICATION,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """A user acting on a case: name, role and, for facility staff, the facility."""

    username: str
    role: Role
    ma_cskcb: str | None = None

    def may_see(self, ma_cskcb: str | None) -> bool:
        """Return whether the user may see claims and cases of facility ``ma_cskcb``.

        Facility staff see their own facility; the insurer's assessors and
        supervisors see every facility; the Ministry and administrators see no
        claim or case (their work is the norms programme and the accounts).
        """
        if self.role is Role.FACILITY:
            return ma_cskcb is not None and self.ma_cskcb == ma_cskcb
        return self.role.sees_claims


def allowed_actions(state: CaseState, role: Role) -> list[Action]:
    """Return the actions ``role`` may take on a case in ``state``."""
    return [
        a for a, (roles, states) in RULES.items() if role in roles and state in states
    ]


def check(action: Action, state: CaseState, actor: Actor, ma_cskcb: str) -> None:
    """Refuse ``action`` unless ``actor`` may take it on a case in ``state``.

    Raises:
        TransitionError: the role or the state does not allow it; the message
            (Vietnamese / English) says what the case allows now.
    """
    if action not in RULES:
        msg = f"{action.value} is not an action on an open case"
        raise TransitionError(msg)
    roles, states = RULES[action]
    if actor.role is Role.FACILITY and not actor.may_see(ma_cskcb):
        msg = (
            f"{actor.username} không thuộc cơ sở {ma_cskcb} / "
            f"{actor.username} is not staff of facility {ma_cskcb}"
        )
        raise TransitionError(msg)
    if actor.role not in roles:
        who = ", ".join(sorted(r.value for r in roles))
        msg = (
            f"{actor.role.label_vi} không được {action.label_vi}; chỉ {who} / "
            f"a {actor.role.value} may not {action.value}; only {who} may"
        )
        raise TransitionError(msg)
    if state not in states:
        allowed = ", ".join(a.value for a in allowed_actions(state, actor.role)) or "—"
        msg = (
            f"hồ sơ đang ở trạng thái «{state.label_vi}», không thể {action.label_vi}"
            f" / cannot {action.value} a case that is {state.label_en}"
            f" (allowed now: {allowed})"
        )
        raise TransitionError(msg)


__all__ = [
    "RULES",
    "TARGET",
    "Action",
    "Actor",
    "CaseState",
    "Role",
    "allowed_actions",
    "check",
]
