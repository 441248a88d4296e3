"""The state machine of one assignment (technique × hospital).

::

    assigned ─► qualified ─► drafting ─► submitted ─► reviewed ─► consolidated
        │           ▲                        ▲           │              │
        └─► not_qualified(reason)            └─ revised ◄┘              ▼
                                        (comments per line)         approved
    any state before approved ─► withdrawn (reason)

* ``not_qualified`` needs one of the three criteria of the programme (seed 000): the
  technique is not approved by the competent authority, not assigned/performed at the
  hospital, or there is no evidence of the resources it consumes. A not-qualified
  assignment may become qualified later (new evidence), with a reason.
* ``submitted`` needs a draft with at least one line.
* ``consolidated`` needs no open review comment on the latest draft.
* Every transition needs an actor; ``withdrawn`` and re-qualification need a reason.

Refused transitions raise :class:`giamdinh.errors.TransitionError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from giamdinh.errors import TransitionError


class DraftState(StrEnum):
    """Where an assignment stands."""

    ASSIGNED = "assigned"
    QUALIFIED = "qualified"
    NOT_QUALIFIED = "not_qualified"
    DRAFTING = "drafting"
    SUBMITTED = "submitted"
    REVIEWED = "reviewed"
    REVISED = "revised"
    CONSOLIDATED = "consolidated"
    APPROVED = "approved"
    WITHDRAWN = "withdrawn"

    @property
    def label_vi(self) -> str:
        """Return the Vietnamese name of the state."""
        return _STATE_VI[self]


_STATE_VI = {
    DraftState.ASSIGNED: "Đã giao",
    DraftState.QUALIFIED: "Đủ điều kiện",
    DraftState.NOT_QUALIFIED: "Không đủ điều kiện",
    DraftState.DRAFTING: "Đang xây dựng",
    DraftState.SUBMITTED: "Đã gửi dự thảo",
    DraftState.REVIEWED: "Đã thẩm định",
    DraftState.REVISED: "Đã chỉnh sửa",
    DraftState.CONSOLIDATED: "Đã tổng hợp",
    DraftState.APPROVED: "Đã phê duyệt",
    DraftState.WITHDRAWN: "Rút khỏi danh sách",
}


class NotQualifiedReason(StrEnum):
    """The three criteria of the programme; failing one means not qualified."""

    NOT_APPROVED = "not_approved"
    NOT_PERFORMED = "not_performed"
    NO_EVIDENCE = "no_evidence"

    @property
    def label_vi(self) -> str:
        """Return the criterion in Vietnamese."""
        return {
            NotQualifiedReason.NOT_APPROVED: (
                "Kỹ thuật chưa được cấp có thẩm quyền phê duyệt"
            ),
            NotQualifiedReason.NOT_PERFORMED: (
                "Kỹ thuật chưa được giao, chưa thực hiện tại bệnh viện"
            ),
            NotQualifiedReason.NO_EVIDENCE: "Không có bằng chứng về nguồn lực tiêu hao",
        }[self]


TRANSITIONS: dict[DraftState, frozenset[DraftState]] = {
    DraftState.ASSIGNED: frozenset(
        {DraftState.QUALIFIED, DraftState.NOT_QUALIFIED, DraftState.WITHDRAWN}
    ),
    DraftState.NOT_QUALIFIED: frozenset({DraftState.QUALIFIED, DraftState.WITHDRAWN}),
    DraftState.QUALIFIED: frozenset({DraftState.DRAFTING, DraftState.WITHDRAWN}),
    DraftState.DRAFTING: frozenset({DraftState.SUBMITTED, DraftState.WITHDRAWN}),
    DraftState.SUBMITTED: frozenset({DraftState.REVIEWED, DraftState.WITHDRAWN}),
    DraftState.REVIEWED: frozenset(
        {DraftState.REVISED, DraftState.CONSOLIDATED, DraftState.WITHDRAWN}
    ),
    DraftState.REVISED: frozenset({DraftState.SUBMITTED, DraftState.WITHDRAWN}),
    DraftState.CONSOLIDATED: frozenset({DraftState.APPROVED, DraftState.WITHDRAWN}),
    DraftState.APPROVED: frozenset(),
    DraftState.WITHDRAWN: frozenset(),
}

# States at or past which a technique counts as qualified / as a draft sent.
QUALIFIED_OR_LATER = frozenset(
    {
        DraftState.QUALIFIED,
        DraftState.DRAFTING,
        DraftState.SUBMITTED,
        DraftState.REVIEWED,
        DraftState.REVISED,
        DraftState.CONSOLIDATED,
        DraftState.APPROVED,
    }
)
SENT_OR_LATER = frozenset(
    {
        DraftState.SUBMITTED,
        DraftState.REVIEWED,
        DraftState.REVISED,
        DraftState.CONSOLIDATED,
        DraftState.APPROVED,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class TransitionRequest:
    """What the caller asks for and the facts the guards look at."""

    current: DraftState
    target: DraftState
    actor: str
    reason: str | None = None
    not_qualified_reason: NotQualifiedReason | None = None
    has_draft_lines: bool = False
    open_comments: int = 0


def allowed_targets(state: DraftState) -> frozenset[DraftState]:
    """Return the states reachable from ``state`` in one step."""
    return TRANSITIONS[state]


def check_transition(request: TransitionRequest) -> None:
    """Raise :class:`TransitionError` unless the transition is allowed.

    Args:
        request: Current and target state, actor, reason and guard facts.
    """
    current, target = request.current, request.target
    if not request.actor.strip():
        msg = (
            "mỗi lần chuyển trạng thái phải ghi người thực hiện / "
            "every transition needs an actor (who makes it)"
        )
        raise TransitionError(msg)
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (final state)"
        msg = (
            f"không thể chuyển từ {current.label_vi} sang {target.label_vi} / "
            f"cannot go from {current} to {target}; allowed from {current}: {allowed}"
        )
        raise TransitionError(msg)
    if target is DraftState.NOT_QUALIFIED and request.not_qualified_reason is None:
        reasons = ", ".join(NotQualifiedReason)
        msg = (
            "không đủ điều kiện phải nêu một trong ba tiêu chí / "
            f"not_qualified needs a reason among the three criteria: {reasons}"
        )
        raise TransitionError(msg)
    if target is not DraftState.NOT_QUALIFIED and request.not_qualified_reason:
        msg = (
            "chỉ nêu tiêu chí khi chuyển sang không đủ điều kiện / "
            "a not-qualified reason is only given when moving to not_qualified"
        )
        raise TransitionError(msg)
    needs_reason = target is DraftState.WITHDRAWN or (
        current is DraftState.NOT_QUALIFIED and target is DraftState.QUALIFIED
    )
    if needs_reason and not (request.reason or "").strip():
        msg = (
            f"chuyển từ {current.label_vi} sang {target.label_vi} phải ghi lý do / "
            f"moving from {current} to {target} needs a written reason"
        )
        raise TransitionError(msg)
    if target is DraftState.SUBMITTED and not request.has_draft_lines:
        msg = (
            "không thể gửi: chưa có dự thảo nào có ít nhất một dòng / "
            "cannot submit: the assignment has no draft with at least one line"
        )
        raise TransitionError(msg)
    if target is DraftState.CONSOLIDATED and request.open_comments > 0:
        msg = (
            f"không thể tổng hợp: còn {request.open_comments} ý kiến thẩm định chưa "
            "xử lý / cannot consolidate: "
            f"{request.open_comments} review comment(s) still open;"
            " resolve them or return the draft for revision"
        )
        raise TransitionError(msg)
