"""Joint-verification cases in the operational store: open, act, decide, list.

Every function takes an open SQLAlchemy session and an ``Actor``, checks the
workflow (``giamdinh.review.workflow``), changes the case, appends one audit entry
in the same transaction and flushes; the caller commits. A case carries a version:
an action given ``expected_version`` on a copy that is no longer current, or two
sessions changing the same case at once, raise ``ConflictError`` and change
nothing.

Money: each line has a *stake*: the amount the automated assessment held under
review, or for a lead the amount it found payable. A line's decision splits its
stake into payable, refused and adjusted (the three add up to the stake); the
newest decision of a line counts, older ones stay as history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from giamdinh.db.models.review import (
    ReviewAttachment,
    ReviewCase,
    ReviewDecision,
    ReviewLine,
    ReviewMeeting,
    ReviewUser,
)
from giamdinh.errors import ConfigError, ConflictError, TransitionError
from giamdinh.review import audit
from giamdinh.review.attachments import MAX_BYTES, store_file
from giamdinh.review.deadlines import RUNS_IN, Deadline, Step, deadline
from giamdinh.review.workflow import TARGET, Action, Actor, CaseState, Role, check

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

    from sqlalchemy.orm import Session

    from giamdinh.review.calendar import WorkingCalendar

ZERO = Decimal(0)
LINE_TABLES = ("XML2", "XML3")


def now() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(tz=UTC)


def line_key(ma_lk: str, tbl: str, stt: int) -> str:
    """Return the key that names one claim line across cases."""
    return f"{ma_lk}|{tbl}|{stt}"


# ------------------------------------------------------------------ users


def add_user(
    session: Session,
    *,
    username: str,
    name: str,
    role: Role,
    ma_cskcb: str | None = None,
    by: str = "system",
) -> ReviewUser:
    """Create a user, or update the name, role and facility of an existing one.

    Raises:
        ConfigError: facility staff without a facility, or insurer staff with one.
    """
    if not username.strip():
        raise ConfigError("tên đăng nhập trống / the username is empty")
    if role is Role.FACILITY and not ma_cskcb:
        msg = (
            f"{username}: cán bộ cơ sở cần mã cơ sở (--facility) / "
            "facility staff need their facility's code (--facility)"
        )
        raise ConfigError(msg)
    if role is not Role.FACILITY and ma_cskcb:
        msg = (
            f"{username}: chỉ cán bộ cơ sở gắn với một cơ sở / only facility staff "
            "belong to a facility"
        )
        raise ConfigError(msg)
    user = session.get(ReviewUser, username)
    before = _user_dict(user) if user is not None else None
    if user is None:
        user = ReviewUser(username=username, created_at=now(), name=name, role="")
        session.add(user)
    user.name = name
    user.role = role.value
    user.ma_cskcb = ma_cskcb
    user.active = True
    session.flush()
    audit.append(
        session,
        actor=by,
        role="admin",
        action="user",
        case_code=None,
        before=before,
        after=_user_dict(user),
    )
    return user


def _user_dict(user: ReviewUser) -> dict[str, Any]:
    return {
        "username": user.username,
        "name": user.name,
        "role": user.role,
        "ma_cskcb": user.ma_cskcb,
        "active": user.active,
    }


def actor(session: Session, username: str) -> Actor:
    """Return the ``Actor`` of a known, active user.

    Raises:
        ConfigError: no such user, or the user is not active.
    """
    user = session.get(ReviewUser, username)
    if user is None or not user.active:
        msg = (
            f"không có người dùng {username!r} (`giamdinh users add`) / "
            f"no active user {username!r}"
        )
        raise ConfigError(msg)
    return Actor(username=user.username, role=Role(user.role), ma_cskcb=user.ma_cskcb)


def users(session: Session) -> list[ReviewUser]:
    """Return every user, by username."""
    return list(session.scalars(select(ReviewUser).order_by(ReviewUser.username)))


# ------------------------------------------------------------------ opening


@dataclass(frozen=True, slots=True, kw_only=True)
class LineSpec:
    """A claim line to put in a case, with its automated decision and findings.

    Its stake is the amount held under review when there is one, else (a lead's
    line the automated assessment let through) the amount found payable.
    """

    ma_lk: str
    tbl: str
    stt: int
    code: str | None
    service_date: date | None
    claimed: Decimal
    payable: Decimal
    refused: Decimal
    adjusted: Decimal
    under_review: Decimal
    findings: tuple[dict[str, Any], ...] = ()

    @property
    def key(self) -> str:
        """Return the line's key."""
        return line_key(self.ma_lk, self.tbl, self.stt)


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseSpec:
    """What a new case is about.

    Attributes:
        key: the grouping it comes from; opening the same key twice opens nothing.
        origin: ``findings`` or ``lead``.
        source: the rule, lead code or run it comes from.
        evidence: what stands behind it (a lead's arithmetic and numbers; device
            and execution times stay evidence, never a ground).
    """

    key: str
    origin: str
    source: str
    title: str
    title_en: str
    ma_cskcb: str
    period_start: date
    period_end: date
    received_on: date
    lines: tuple[LineSpec, ...]
    evidence: dict[str, Any] = field(default_factory=dict)


def _next_code(session: Session, year: int) -> str:
    prefix = f"GD{year}-"
    last = session.scalar(
        select(func.max(ReviewCase.code)).where(ReviewCase.code.like(f"{prefix}%"))
    )
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:06d}"


def taken_lines(session: Session, keys: Iterable[str]) -> set[str]:
    """Return which of ``keys`` are already in a case."""
    wanted = list(keys)
    taken: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        taken.update(
            session.scalars(
                select(ReviewLine.line_key).where(ReviewLine.line_key.in_(chunk))
            )
        )
    return taken


def open_case(
    session: Session, spec: CaseSpec, by: Actor, *, taken: set[str] | None = None
) -> ReviewCase | None:
    """Open a case; ``None`` when its key exists or all its lines are in cases.

    Lines already in another case are left out (a line's money is decided in one
    case only). ``taken`` may pass the keys known to be taken, to save a query.

    Raises:
        TransitionError: the actor may not open cases.
    """
    if by.role not in {Role.ASSESSOR, Role.SUPERVISOR}:
        raise TransitionError(
            "chỉ giám định viên mở hồ sơ giám định / only assessors open cases"
        )
    if session.scalar(select(ReviewCase.id).where(ReviewCase.key == spec.key)):
        return None
    if taken is None:
        taken = taken_lines(session, (line.key for line in spec.lines))
    lines: list[LineSpec] = []
    for line in spec.lines:
        if line.key not in taken and all(line.key != kept.key for kept in lines):
            lines.append(line)
    if not lines:
        return None
    stamp = now()
    case = ReviewCase(
        code=_next_code(session, spec.received_on.year),
        key=spec.key,
        origin=spec.origin,
        source=spec.source,
        title=spec.title,
        title_en=spec.title_en,
        ma_cskcb=spec.ma_cskcb,
        period_start=spec.period_start,
        period_end=spec.period_end,
        state=CaseState.OPENED.value,
        round=1,
        received_on=spec.received_on,
        evidence=audit.canonical(spec.evidence),
        created_at=stamp,
        created_by=by.username,
        updated_at=stamp,
        updated_by=by.username,
    )
    for line in lines:
        kind = "under_review" if line.under_review > 0 else "payable"
        stake = line.under_review if kind == "under_review" else line.payable
        case.lines.append(
            ReviewLine(
                line_key=line.key,
                ma_lk=line.ma_lk,
                tbl=line.tbl,
                stt=line.stt,
                code=line.code,
                service_date=line.service_date,
                claimed=line.claimed,
                stake_kind=kind,
                stake=stake,
                auto_payable=line.payable,
                auto_refused=line.refused,
                auto_adjusted=line.adjusted,
                auto_under_review=line.under_review,
                findings=audit.canonical(list(line.findings)),
            )
        )
        taken.add(line.key)
    session.add(case)
    session.flush()
    audit.append(
        session,
        actor=by.username,
        role=by.role.value,
        action=Action.OPEN.value,
        case_code=case.code,
        before=None,
        after={**_case_dict(case), "lines": [ln.line_key for ln in case.lines]},
    )
    return case


def _case_dict(case: ReviewCase) -> dict[str, Any]:
    return {
        "code": case.code,
        "state": case.state,
        "round": case.round,
        "assignee": case.assignee,
        "ma_cskcb": case.ma_cskcb,
        "sent_on": case.sent_on,
        "answered_on": case.answered_on,
        "decided_on": case.decided_on,
        "appealed_on": case.appealed_on,
        "closed_on": case.closed_on,
        "version": case.version,
    }


# ------------------------------------------------------------------ reading


def get_case(session: Session, code: str, by: Actor) -> ReviewCase:
    """Return the case ``code`` if ``by`` may see it.

    Raises:
        ConfigError: no such case, or a case of another facility (facility staff
            are told it does not exist).
    """
    case = session.scalars(
        select(ReviewCase)
        .where(ReviewCase.code == code)
        .options(selectinload(ReviewCase.lines))
    ).first()
    if case is None or not by.may_see(case.ma_cskcb):
        msg = f"không có hồ sơ {code} / no case {code}"
        raise ConfigError(msg)
    return case


def visible_cases(
    session: Session, by: Actor, *, states: Sequence[CaseState] = ()
) -> list[ReviewCase]:
    """Return the cases ``by`` may see, oldest first, optionally in ``states``."""
    if not by.role.sees_claims:
        return []
    query = select(ReviewCase).order_by(ReviewCase.id)
    if by.role is Role.FACILITY:
        query = query.where(ReviewCase.ma_cskcb == by.ma_cskcb)
    if states:
        query = query.where(ReviewCase.state.in_([s.value for s in states]))
    return list(session.scalars(query))


def decisions(session: Session, case: ReviewCase) -> list[ReviewDecision]:
    """Return every decision of a case, oldest first."""
    return list(
        session.scalars(
            select(ReviewDecision)
            .where(ReviewDecision.case_id == case.id)
            .order_by(ReviewDecision.id)
        )
    )


def latest_decisions(session: Session, case: ReviewCase) -> dict[int, ReviewDecision]:
    """Return the newest decision of each decided line, by line id."""
    return {d.line_id: d for d in decisions(session, case)}


def attachments(session: Session, case: ReviewCase) -> list[ReviewAttachment]:
    """Return the files attached to a case, oldest first."""
    return list(
        session.scalars(
            select(ReviewAttachment)
            .where(ReviewAttachment.case_id == case.id)
            .order_by(ReviewAttachment.id)
        )
    )


def meetings(session: Session, case: ReviewCase) -> list[ReviewMeeting]:
    """Return the joint-verification meetings of a case, oldest first."""
    return list(
        session.scalars(
            select(ReviewMeeting)
            .where(ReviewMeeting.case_id == case.id)
            .order_by(ReviewMeeting.id)
        )
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseMoney:
    """A case's money: at stake in all, decided (split three ways), still open."""

    stake: Decimal
    payable: Decimal
    refused: Decimal
    adjusted: Decimal
    open: Decimal
    lines: int
    decided_lines: int


def case_money(session: Session, case: ReviewCase) -> CaseMoney:
    """Return what is at stake in a case and how much of it is decided."""
    latest = latest_decisions(session, case)
    payable = refused = adjusted = still = ZERO
    for line in case.lines:
        d = latest.get(line.id)
        if d is None:
            still += line.stake
        else:
            payable += d.payable
            refused += d.refused
            adjusted += d.adjusted
    return CaseMoney(
        stake=sum((ln.stake for ln in case.lines), ZERO),
        payable=payable,
        refused=refused,
        adjusted=adjusted,
        open=still,
        lines=len(case.lines),
        decided_lines=len(latest),
    )


def next_deadline(
    case: ReviewCase, *, calendar: WorkingCalendar | None = None
) -> Deadline | None:
    """Return the deadline running for the case in its state, if the law sets one."""
    state = CaseState(case.state)
    starts: dict[Step, date | None] = {
        Step.SEND_RESULT: case.received_on,
        Step.FACILITY_ANSWER: case.sent_on,
        Step.SIGN_RECORD: case.decided_on,
    }
    for step, start in starts.items():
        if state in RUNS_IN[step] and start is not None:
            return deadline(step, start, calendar=calendar)
    return None


def appeal_deadline(
    case: ReviewCase, *, calendar: WorkingCalendar | None = None
) -> Deadline | None:
    """Return until when the facility may appeal (``None``: not decided yet)."""
    if case.decided_on is None or case.appealed_on is not None:
        return None
    return deadline(Step.APPEAL, case.decided_on, calendar=calendar)


def is_overdue(
    case: ReviewCase, today: date, *, calendar: WorkingCalendar | None = None
) -> bool:
    """Return whether the deadline running for the case has passed."""
    running = next_deadline(case, calendar=calendar)
    return running is not None and running.overdue(today)


# ------------------------------------------------------------------ actions


def _act(
    case: ReviewCase,
    by: Actor,
    action: Action,
    *,
    expected_version: int | None,
) -> dict[str, Any]:
    check(action, CaseState(case.state), by, case.ma_cskcb)
    if expected_version is not None and case.version != expected_version:
        msg = (
            f"hồ sơ {case.code} đã được người khác cập nhật (phiên bản {case.version},"
            f" bạn đang xem {expected_version}); tải lại rồi làm lại / case "
            f"{case.code} changed since you read it (version {case.version}, yours "
            f"{expected_version}): reload and try again"
        )
        raise ConflictError(msg)
    if (
        by.role is Role.ASSESSOR
        and case.assignee is not None
        and case.assignee != by.username
    ):
        msg = (
            f"hồ sơ {case.code} được giao cho {case.assignee} / case {case.code} is "
            f"assigned to {case.assignee}"
        )
        raise TransitionError(msg)
    return _case_dict(case)


def _done(
    session: Session,
    case: ReviewCase,
    by: Actor,
    action: Action,
    before: dict[str, Any],
    *,
    extra: dict[str, Any] | None = None,
) -> ReviewCase:
    # NOTE: read before the flush: a failed flush expires the case, and reading
    # it then raises PendingRollbackError instead of the conflict.
    code = case.code
    case.updated_at = now()
    case.updated_by = by.username
    try:
        session.flush()
    except StaleDataError as exc:
        msg = (
            f"hồ sơ {code} vừa được người khác cập nhật; tải lại rồi làm lại / "
            f"case {code} was changed by someone else meanwhile: reload and "
            "try again"
        )
        raise ConflictError(msg) from exc
    audit.append(
        session,
        actor=by.username,
        role=by.role.value,
        action=action.value,
        case_code=case.code,
        before=before,
        after={**_case_dict(case), **(extra or {})},
    )
    return case


def send(
    session: Session,
    case: ReviewCase,
    by: Actor,
    *,
    on: date,
    expected_version: int | None = None,
) -> ReviewCase:
    """Send the automated result to the facility: its answer clock starts."""
    before = _act(case, by, Action.SEND, expected_version=expected_version)
    if case.assignee is None and by.role is Role.ASSESSOR:
        case.assignee = by.username
    case.state = CaseState.SENT.value
    case.sent_on = on
    return _done(session, case, by, Action.SEND, before)


def answer(
    session: Session,
    case: ReviewCase,
    by: Actor,
    *,
    on: date,
    files: Sequence[Path],
    folder: Path,
    note: str | None = None,
    kind: str = "answer",
    max_bytes: int = MAX_BYTES,
    expected_version: int | None = None,
) -> list[ReviewAttachment]:
    """Record the facility's answer: its files (checked, stored by hash) and note.

    ``max_bytes`` bounds each file (the ``max_attachment_bytes`` setting).

    Raises:
        ConfigError: no file and no note, or a file is refused (size, kind).
    """
    before = _act(case, by, Action.ANSWER, expected_version=expected_version)
    if not files and not (note and note.strip()):
        raise ConfigError(
            "giải trình cần tệp bằng chứng hoặc nội dung / an answer needs a file or "
            "a note"
        )
    stored = [store_file(path, folder, max_bytes=max_bytes) for path in files]
    rows = [
        ReviewAttachment(
            case_id=case.id,
            sha256=s.sha256,
            filename=s.filename,
            media_type=s.media_type,
            size=s.size,
            kind=kind,
            note=note,
            uploaded_by=by.username,
            uploaded_at=now(),
        )
        for s in stored
    ]
    session.add_all(rows)
    if case.state == CaseState.SENT.value:
        case.state = CaseState.ANSWERED.value
    if case.answered_on is None:
        case.answered_on = on
    _done(
        session,
        case,
        by,
        Action.ANSWER,
        before,
        extra={
            "files": [f"{s.filename} sha256:{s.sha256}" for s in stored],
            "note": note,
        },
    )
    return rows


def meet(
    session: Session,
    case: ReviewCase,
    by: Actor,
    *,
    held_on: date,
    participants: str,
    minutes: str,
    expected_version: int | None = None,
) -> ReviewMeeting:
    """Record a joint-verification meeting and its minutes.

    Raises:
        ConfigError: no participants or no minutes.
    """
    before = _act(case, by, Action.MEET, expected_version=expected_version)
    if not participants.strip() or not minutes.strip():
        raise ConfigError(
            "biên bản cần thành phần tham dự và nội dung / a meeting needs its "
            "participants and minutes"
        )
    meeting = ReviewMeeting(
        case_id=case.id,
        held_on=held_on,
        participants=participants,
        minutes=minutes,
        recorded_by=by.username,
        recorded_at=now(),
    )
    session.add(meeting)
    if case.state != CaseState.APPEALED.value:
        case.state = CaseState.JOINT_VERIFICATION.value
    _done(
        session,
        case,
        by,
        Action.MEET,
        before,
        extra={"held_on": held_on, "participants": participants, "minutes": minutes},
    )
    return meeting


def _line(case: ReviewCase, stt: int, tbl: str | None, ma_lk: str | None) -> ReviewLine:
    matches = [
        ln
        for ln in case.lines
        if ln.stt == stt
        and (tbl is None or ln.tbl == tbl)
        and (ma_lk is None or ln.ma_lk == ma_lk)
    ]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        msg = (
            f"hồ sơ {case.code} không có dòng STT {stt} / case {case.code} has no "
            f"line {stt}"
        )
    else:
        keys = ", ".join(ln.line_key for ln in matches)
        msg = (
            f"STT {stt} có ở nhiều dòng ({keys}): chỉ rõ --claim/--table / line {stt} "
            f"is ambiguous ({keys}): name the claim (--claim) or table (--table)"
        )
    raise ConfigError(msg)


def _money(value: Decimal, name: str) -> Decimal:
    if not value.is_finite() or value < 0:
        msg = f"{name} phải là số tiền không âm / {name} must be a non-negative amount"
        raise ConfigError(msg)
    try:
        cents = value.quantize(Decimal("0.01"))
    except InvalidOperation as exc:  # more digits than the decimal context holds
        msg = f"{name}: số tiền quá lớn / {name}: {value} is too large an amount"
        raise ConfigError(msg) from exc
    if value != cents:
        msg = f"{name}: tối đa 2 chữ số thập phân / {name}: at most 2 decimals"
        raise ConfigError(msg)
    return value


def decide(
    session: Session,
    case: ReviewCase,
    by: Actor,
    *,
    stt: int,
    payable: Decimal,
    refused: Decimal = ZERO,
    reason: str,
    basis: str | None = None,
    on: date,
    tbl: str | None = None,
    ma_lk: str | None = None,
    expected_version: int | None = None,
) -> ReviewDecision:
    """Decide one line: ``payable`` and ``refused`` of its stake, the rest adjusted.

    Refusing or adjusting money needs its basis (document, article, date: Decree
    188/2025/NĐ-CP Art. 51.2). When every line has a decision in the current round
    the case is decided. After an appeal the new decision is another assessor's.

    Raises:
        ConfigError: the amounts do not fit the stake, or reason/basis is missing.
        TransitionError: the workflow does not allow it (the facility still has
            time to answer; the assessor decided the appealed round).
    """
    before = _act(case, by, Action.DECIDE, expected_version=expected_version)
    line = _line(case, stt, tbl, ma_lk)
    payable = _money(payable, "payable")
    refused = _money(refused, "refused")
    if payable + refused > line.stake:
        msg = (
            f"dòng {line.line_key}: chấp nhận {payable} + từ chối {refused} vượt số "
            f"tiền đang xem xét {line.stake} / payable + refused exceed the line's "
            f"stake of {line.stake}"
        )
        raise ConfigError(msg)
    adjusted = line.stake - payable - refused
    if not reason.strip():
        raise ConfigError("cần nêu lý do / a decision needs its reason")
    if (refused > 0 or adjusted > 0) and not (basis and basis.strip()):
        msg = (
            "từ chối hoặc điều chỉnh phải nêu căn cứ (văn bản, điều, ngày) — "
            "Nghị định 188/2025/NĐ-CP Điều 51 khoản 2 / refusing or adjusting money "
            "needs its basis (document, article, date)"
        )
        raise ConfigError(msg)
    if case.state == CaseState.SENT.value:
        running = next_deadline(case)
        if running is not None and not running.overdue(on):
            msg = (
                f"cơ sở còn hạn giải trình đến {running.due:%d/%m/%Y} / the facility "
                f"may answer until {running.due:%d/%m/%Y}"
            )
            raise TransitionError(msg)
    if case.state == CaseState.APPEALED.value:
        first = {d.decided_by for d in decisions(session, case) if d.round < case.round}
        if by.username in first:
            msg = (
                "hồ sơ bị đề nghị xem xét lại phải do giám định viên khác quyết định / "
                "an appealed case is re-decided by another assessor"
            )
            raise TransitionError(msg)
    decision = ReviewDecision(
        case_id=case.id,
        line_id=line.id,
        round=case.round,
        payable=payable,
        refused=refused,
        adjusted=adjusted,
        reason=reason,
        basis=basis,
        decided_by=by.username,
        decided_on=on,
        decided_at=now(),
    )
    session.add(decision)
    session.flush()
    # NOTE: query before changing the case: the query's autoflush would write the
    # case outside ``_done`` and a conflict would escape as StaleDataError.
    decided_now = {d.line_id for d in decisions(session, case) if d.round == case.round}
    if case.assignee is None and by.role is Role.ASSESSOR:
        case.assignee = by.username
    if decided_now >= {ln.id for ln in case.lines}:
        case.state = CaseState.DECIDED.value
        case.decided_on = on
    _done(
        session,
        case,
        by,
        Action.DECIDE,
        before,
        extra={
            "line": line.line_key,
            "stake": line.stake,
            "payable": payable,
            "refused": refused,
            "adjusted": adjusted,
            "reason": reason,
            "basis": basis,
        },
    )
    return decision


def close(
    session: Session,
    case: ReviewCase,
    by: Actor,
    *,
    on: date,
    expected_version: int | None = None,
) -> ReviewCase:
    """Close a decided case."""
    before = _act(case, by, Action.CLOSE, expected_version=expected_version)
    case.state = CaseState.CLOSED.value
    case.closed_on = on
    return _done(session, case, by, Action.CLOSE, before)


def appeal(
    session: Session,
    case: ReviewCase,
    by: Actor,
    *,
    on: date,
    reason: str,
    expected_version: int | None = None,
) -> ReviewCase:
    """The facility appeals the decision, once, within the period the law allows.

    Raises:
        ConfigError: no reason given.
        TransitionError: already appealed, or the period is over.
    """
    before = _act(case, by, Action.APPEAL, expected_version=expected_version)
    if not reason.strip():
        raise ConfigError("cần nêu lý do đề nghị / an appeal needs its grounds")
    if case.appealed_on is not None:
        msg = (
            f"hồ sơ {case.code} đã được đề nghị xem xét lại ngày "
            f"{case.appealed_on:%d/%m/%Y}; chỉ một lần / the case was appealed on "
            f"{case.appealed_on:%d/%m/%Y}: one appeal only"
        )
        raise TransitionError(msg)
    until = appeal_deadline(case)
    if until is not None and until.overdue(on):
        msg = (
            f"hết thời hiệu đề nghị ngày {until.due:%d/%m/%Y} ({until.rule.basis}) / "
            f"the period to appeal ended on {until.due:%d/%m/%Y}"
        )
        raise TransitionError(msg)
    case.state = CaseState.APPEALED.value
    case.appealed_on = on
    case.closed_on = None
    case.round += 1
    case.assignee = None
    return _done(session, case, by, Action.APPEAL, before, extra={"reason": reason})


def reassign(
    session: Session,
    case: ReviewCase,
    by: Actor,
    *,
    to: str,
    expected_version: int | None = None,
) -> ReviewCase:
    """Give the case to another assessor (a supervisor's act).

    Raises:
        ConfigError: ``to`` is not an active assessor or supervisor.
    """
    before = _act(case, by, Action.REASSIGN, expected_version=expected_version)
    target = actor(session, to)
    if target.role is Role.FACILITY:
        msg = f"{to} là cán bộ cơ sở, không nhận hồ sơ / {to} is facility staff"
        raise ConfigError(msg)
    case.assignee = target.username
    return _done(session, case, by, Action.REASSIGN, before)


def reopen(
    session: Session,
    case: ReviewCase,
    by: Actor,
    *,
    reason: str,
    expected_version: int | None = None,
) -> ReviewCase:
    """Reopen a decided or closed case for a new round of decisions (supervisor)."""
    before = _act(case, by, Action.REOPEN, expected_version=expected_version)
    if not reason.strip():
        raise ConfigError("cần nêu lý do mở lại / reopening needs its reason")
    target = TARGET[Action.REOPEN]
    assert target is not None  # noqa: S101 - reopen always has a target
    case.state = target.value
    case.round += 1
    case.closed_on = None
    return _done(session, case, by, Action.REOPEN, before, extra={"reason": reason})


def decided_lines(session: Session) -> list[dict[str, Any]]:
    """Return the newest decision of every decided line, with its case and stake.

    Rows: ``line_key``, ``ma_lk``, ``tbl``, ``stt``, ``ma_cskcb``, ``case``,
    ``round``, ``stake_kind``, ``stake``, ``payable``, ``refused``, ``adjusted``,
    ``decided_on``, ``reason``, ``basis``, ``decided_by``.
    """
    newest = (
        select(func.max(ReviewDecision.id).label("id"))
        .group_by(ReviewDecision.line_id)
        .subquery()
    )
    rows = session.execute(
        select(ReviewDecision, ReviewLine, ReviewCase)
        .join(newest, newest.c.id == ReviewDecision.id)
        .join(ReviewLine, ReviewLine.id == ReviewDecision.line_id)
        .join(ReviewCase, ReviewCase.id == ReviewDecision.case_id)
        .order_by(ReviewDecision.id)
    ).all()
    return [
        {
            "line_key": line.line_key,
            "ma_lk": line.ma_lk,
            "tbl": line.tbl,
            "stt": line.stt,
            "ma_cskcb": case.ma_cskcb,
            "case": case.code,
            "round": d.round,
            "stake_kind": line.stake_kind,
            "stake": line.stake,
            "payable": d.payable,
            "refused": d.refused,
            "adjusted": d.adjusted,
            "decided_on": d.decided_on,
            "reason": d.reason,
            "basis": d.basis,
            "decided_by": d.decided_by,
        }
        for d, line, case in rows
    ]


def line_findings(line: ReviewLine) -> list[dict[str, Any]]:
    """Return the findings stored with a line."""
    value = json.loads(line.findings or "[]")
    return value if isinstance(value, list) else []


__all__ = [
    "CaseMoney",
    "CaseSpec",
    "LineSpec",
    "actor",
    "add_user",
    "answer",
    "appeal",
    "appeal_deadline",
    "attachments",
    "case_money",
    "close",
    "decide",
    "decided_lines",
    "decisions",
    "get_case",
    "is_overdue",
    "latest_decisions",
    "line_findings",
    "line_key",
    "meet",
    "meetings",
    "next_deadline",
    "open_case",
    "reassign",
    "reopen",
    "send",
    "taken_lines",
    "users",
    "visible_cases",
]
