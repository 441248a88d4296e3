"""Joint-verification cases: the queue, one case, its actions, its files, the money.

The same rules as the pages: facility tokens see their facility's cases only
(another facility's case answers 404, with nothing of it in the body), the
Ministry's and administrators' tokens are refused (403), every action takes the
case's ``version`` and answers 409 when the case changed since. Amounts are
decimal strings in đồng (``"70000.00"``); an amount sent is read like a typed one
(``"70000"``, ``"70.000"``, ``"70.000,50"``, or a whole number).
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException

from giamdinh.api.common import Context, Page, PageQuery, TokenActor
from giamdinh.domain.money import parse_dong
from giamdinh.errors import ConfigError
from giamdinh.review.workflow import CaseState
from giamdinh.services.review import (
    CaseNotFoundError,
    answer_case,
    appeal_case,
    attachment_file,
    close_case,
    decide_line,
    export_feedback,
    list_cases,
    meet_case,
    position_for,
    reassign_case,
    reopen_case,
    send_case,
    show_case,
)
from giamdinh.services.uploads import save_form_files

if TYPE_CHECKING:
    from collections.abc import Callable

    from giamdinh.review.deadlines import Deadline
    from giamdinh.services.review import CaseRow, CaseView, LineView, ReviewPosition

router = APIRouter(tags=["cases"])
T = TypeVar("T")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: What an attached file may be (the content is checked when it is stored).
ATTACHMENT_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/tiff",
    "application/dicom",
    XLSX,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/xml",
    "text/plain",
)
_BINARY = {"schema": {"type": "string", "format": "binary"}}


# ------------------------------------------------------------------ models


class DeadlineOut(BaseModel):
    """A deadline of the legal clock: the step, who must act, until when, why."""

    step: str = Field(description="send_result, facility_answer, sign_record, appeal")
    party: str = Field(description="Who must act: insurer or facility.")
    start: date = Field(description="The day the count starts from (not counted).")
    due: date = Field(description="The last day.")
    overdue: bool
    days: int
    unit: str = Field(description="working or calendar days")
    label_vi: str
    label_en: str
    basis: str = Field(description="The text that sets the period.")


class CaseSummary(BaseModel):
    """A case in a list: where it stands, its money and its running deadline."""

    code: str
    state: CaseState
    state_vi: str
    ma_cskcb: str
    origin: str = Field(description="findings or lead")
    source: str
    title: str
    title_en: str
    assignee: str | None
    round: int
    line_count: int = Field(description="Claim lines in the case.")
    stake: Decimal = Field(description="Money at stake, đồng.")
    open: Decimal = Field(description="Money not yet decided, đồng.")
    deadline: DeadlineOut | None = Field(description="The deadline running now.")
    overdue: bool
    version: int = Field(description="Send it back with an action.")
    received_on: date | None
    appeal_until: DeadlineOut | None


class CaseMoneyOut(BaseModel):
    """A case's money: at stake, decided (three ways), still open."""

    stake: Decimal
    payable: Decimal
    refused: Decimal
    adjusted: Decimal
    open: Decimal
    lines: int
    decided_lines: int


class FindingOut(BaseModel):
    """A finding of the automated assessment on a line or its claim."""

    rule_id: str
    rule_version: int | None
    severity: str
    title: str
    title_en: str
    basis: list[str]
    amount: Decimal | None
    evidence_only: bool = Field(
        description="Execution or device time: evidence, never a refusal ground."
    )
    evidence: dict[str, Any] = Field(description="The values the rule read.")


class DecisionOut(BaseModel):
    """A decision on a line (the newest of a line counts)."""

    id: int
    round: int
    payable: Decimal
    refused: Decimal
    adjusted: Decimal
    reason: str
    basis: str | None
    decided_by: str
    decided_on: date
    decided_at: datetime


class LineOut(BaseModel):
    """A claim line of a case, with its findings and decisions."""

    line_key: str
    ma_lk: str
    tbl: str
    stt: int
    code: str | None
    service_date: date | None
    claimed: Decimal
    stake_kind: str = Field(description="under_review or payable")
    stake: Decimal
    decided: bool = Field(description="Decided in the current round.")
    findings: list[FindingOut]
    decisions: list[DecisionOut]


class AttachmentOut(BaseModel):
    """A file attached to a case."""

    id: int
    filename: str
    media_type: str
    size: int
    sha256: str
    kind: str = Field(description="answer or appeal")
    note: str | None
    uploaded_by: str
    uploaded_at: datetime
    href: str = Field(description="Where to download it (relative to the API).")


class MeetingOut(BaseModel):
    """A joint-verification meeting and its minutes."""

    id: int
    held_on: date
    participants: str
    minutes: str
    recorded_by: str
    recorded_at: datetime


class HistoryOut(BaseModel):
    """An entry of the case's audit log."""

    id: int
    at: datetime
    actor: str
    role: str
    action: str
    after: dict[str, Any]


class CaseDetail(CaseSummary):
    """Everything about one case."""

    period_start: date
    period_end: date
    sent_on: date | None
    answered_on: date | None
    decided_on: date | None
    appealed_on: date | None
    closed_on: date | None
    money: CaseMoneyOut
    evidence: dict[str, Any] = Field(
        description="What stands behind the case (a lead's message, arithmetic and "
        "numbers): evidence only, never a refusal ground."
    )
    lines: list[LineOut]
    attachments: list[AttachmentOut]
    meetings: list[MeetingOut]
    history: list[HistoryOut]
    allowed: list[str] = Field(description="Actions the token's account may take now.")


class MoneyTotals(BaseModel):
    """Money of a run, đồng: claimed = payable + refused + adjusted + under review."""

    claimed: Decimal
    payable: Decimal
    refused: Decimal
    adjusted: Decimal
    under_review: Decimal


class MovedMoney(BaseModel):
    """Money the case decisions moved out of review."""

    payable: Decimal
    refused: Decimal
    adjusted: Decimal


class PositionOut(BaseModel):
    """The newest run's money with the case decisions laid over it."""

    run: str
    automated: MoneyTotals
    current: MoneyTotals
    decided_lines: int
    moved: MovedMoney
    stale_decisions: int = Field(
        description="Decisions taken on another automated result: shown, not applied."
    )
    cases: int
    open: int
    due_this_week: int
    overdue: int
    overdue_money: Decimal
    in_cases: Decimal


class Versioned(BaseModel):
    """An action on the version of the case one read."""

    version: int = Field(ge=1, description="The case's version you read.")


class MeetBody(Versioned):
    """A joint-verification meeting."""

    participants: str
    minutes: str
    held_on: date | None = Field(default=None, description="Default: today.")


#: An amount as ``parse_dong`` reads it: plain with up to 2 decimals after ".", or
#: thousands grouped with "." and up to 2 decimals after ",".
AMOUNT_PATTERN = r"^(\d+(\.\d{1,2})?|\d{1,3}(\.\d{3})+(,\d{1,2})?)$"
Amount = Annotated[
    Annotated[int, Field(ge=0)] | Annotated[str, Field(pattern=AMOUNT_PATTERN)],
    Field(description='đồng: 70000, "70000", "70000.50", "70.000" or "70.000,50"'),
]


class DecideBody(Versioned):
    """A decision on one line: payable and refused of its stake, the rest adjusted."""

    stt: int = Field(description="The line's STT.")
    payable: Amount
    refused: Amount = "0"
    reason: str
    basis: str | None = Field(
        default=None,
        description="Needed to refuse or adjust: a text, or a citation key "
        "(tt12_2026/10.1.c).",
    )
    claim: str | None = Field(default=None, description="MA_LK, if STT repeats.")
    table: str | None = Field(default=None, description="XML2 or XML3.")


class ReassignBody(Versioned):
    """Who the case goes to."""

    to: str


class ReopenBody(Versioned):
    """Why the case is reopened."""

    reason: str


# ------------------------------------------------------------------ mapping


def _deadline(d: Deadline | None, today: date) -> DeadlineOut | None:
    if d is None:
        return None
    return DeadlineOut(
        step=d.step.value,
        party=d.party,
        start=d.start,
        due=d.due,
        overdue=d.overdue(today),
        days=d.rule.days,
        unit=d.rule.unit,
        label_vi=d.rule.label_vi,
        label_en=d.rule.label_en,
        basis=d.rule.basis,
    )


def _summary_fields(row: CaseRow, today: date) -> dict[str, Any]:
    return {
        "code": row.code,
        "state": row.state,
        "state_vi": row.state.label_vi,
        "ma_cskcb": row.ma_cskcb,
        "origin": row.origin,
        "source": row.source,
        "title": row.title,
        "title_en": row.title_en,
        "assignee": row.assignee,
        "round": row.round,
        "line_count": row.lines,
        "stake": row.stake,
        "open": row.open,
        "deadline": _deadline(row.deadline, today),
        "overdue": row.overdue,
        "version": row.version,
        "received_on": row.received_on,
        "appeal_until": _deadline(row.appeal_until, today),
    }


def _summary(row: CaseRow, today: date) -> CaseSummary:
    return CaseSummary(**_summary_fields(row, today))


def _finding(f: dict[str, Any]) -> FindingOut:
    amount = f.get("amount")
    version = f.get("rule_version")
    evidence = f.get("evidence")
    return FindingOut(
        rule_id=str(f.get("rule_id", "")),
        rule_version=int(version) if version is not None else None,
        severity=str(f.get("severity", "")),
        title=str(f.get("title", "")),
        title_en=str(f.get("title_en") or f.get("title", "")),
        basis=[str(b) for b in f.get("basis") or []],
        amount=Decimal(str(amount)) if amount is not None else None,
        evidence_only=bool(f.get("time_evidence")),
        evidence=evidence if isinstance(evidence, dict) else {},
    )


def _line(ln: LineView, current_round: int) -> LineOut:
    return LineOut(
        line_key=ln.line_key,
        ma_lk=ln.ma_lk,
        tbl=ln.tbl,
        stt=ln.stt,
        code=ln.code,
        service_date=ln.service_date,
        claimed=ln.claimed,
        stake_kind=ln.stake_kind,
        stake=ln.stake,
        decided=bool(ln.decisions) and ln.decisions[-1].round == current_round,
        findings=[_finding(f) for f in ln.findings],
        decisions=[
            DecisionOut(
                id=d.id,
                round=d.round,
                payable=d.payable,
                refused=d.refused,
                adjusted=d.adjusted,
                reason=d.reason,
                basis=d.basis,
                decided_by=d.decided_by,
                decided_on=d.decided_on,
                decided_at=d.decided_at,
            )
            for d in ln.decisions
        ],
    )


def _detail(view: CaseView, today: date) -> CaseDetail:
    case, money = view.case, view.money
    return CaseDetail(
        **_summary_fields(view.row, today),
        period_start=case.period_start,
        period_end=case.period_end,
        sent_on=case.sent_on,
        answered_on=case.answered_on,
        decided_on=case.decided_on,
        appealed_on=case.appealed_on,
        closed_on=case.closed_on,
        money=CaseMoneyOut(
            stake=money.stake,
            payable=money.payable,
            refused=money.refused,
            adjusted=money.adjusted,
            open=money.open,
            lines=money.lines,
            decided_lines=money.decided_lines,
        ),
        evidence=view.evidence,
        lines=[_line(ln, case.round) for ln in view.lines],
        attachments=[
            AttachmentOut(
                id=a.id,
                filename=a.filename,
                media_type=a.media_type,
                size=a.size,
                sha256=a.sha256,
                kind=a.kind,
                note=a.note,
                uploaded_by=a.uploaded_by,
                uploaded_at=a.uploaded_at,
                href=f"cases/{case.code}/attachments/{a.id}",
            )
            for a in view.attachments
        ],
        meetings=[
            MeetingOut(
                id=m.id,
                held_on=m.held_on,
                participants=m.participants,
                minutes=m.minutes,
                recorded_by=m.recorded_by,
                recorded_at=m.recorded_at,
            )
            for m in view.meetings
        ],
        history=[HistoryOut(**e) for e in view.history],
        allowed=view.allowed,
    )


def _found(call: Callable[[], T]) -> T:
    """Run ``call``; a case one may not see answers 404."""
    try:
        return call()
    except CaseNotFoundError as exc:
        raise HTTPException(404, detail=str(exc)) from exc


def _amount(value: int | str, name: str) -> Decimal:
    return parse_dong(str(value), name)


# ------------------------------------------------------------------ reading


@router.get("/cases")
def cases_list(
    *,
    actor: TokenActor,
    ctx: Context,
    paging: PageQuery,
    overdue: Annotated[
        bool, Query(description="Only cases past their running deadline.")
    ] = False,
    due_within: Annotated[
        int | None,
        Query(ge=0, le=366, description="Only cases due within this many days."),
    ] = None,
    state: Annotated[CaseState | None, Query(description="Only this state.")] = None,
    facility: Annotated[
        str | None, Query(max_length=16, description="Only this MA_CSKCB.")
    ] = None,
) -> Page[CaseSummary]:
    """List the cases the token's account may see, oldest first."""
    today = ctx.today()
    rows = list_cases(
        user=actor.username,
        database_url=ctx.database_url,
        overdue=overdue,
        states=[state] if state else [],
        facility=facility,
        today=today,
        due_within=due_within,
    )
    return paging.page([_summary(r, today) for r in rows])


@router.get("/cases/{code}")
def case_detail(code: str, actor: TokenActor, ctx: Context) -> CaseDetail:
    """Return one case: lines, findings, decisions, deadlines, money, actions."""
    today = ctx.today()
    view = _found(
        lambda: show_case(
            code, user=actor.username, database_url=ctx.database_url, today=today
        )
    )
    return _detail(view, today)


@router.get(
    "/cases/{code}/attachments/{attachment_id}",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The file, as stored (Content-Disposition: attachment).",
            "content": dict.fromkeys(ATTACHMENT_TYPES, _BINARY),
        },
    },
)
def case_attachment(
    code: str, attachment_id: int, actor: TokenActor, ctx: Context
) -> FileResponse:
    """Download a file attached to a case."""
    found = _found(
        lambda: attachment_file(
            code, attachment_id, user=actor.username, database_url=ctx.database_url
        )
    )
    return FileResponse(
        found.path,
        media_type=found.media_type,
        filename=found.filename,
        content_disposition_type="attachment",
    )


def _position(p: ReviewPosition) -> PositionOut:
    return PositionOut(
        run=p.run,
        automated=MoneyTotals(**p.automated),
        current=MoneyTotals(**p.current),
        decided_lines=p.decided_lines,
        moved=MovedMoney(**p.moved),
        stale_decisions=p.stale_decisions,
        cases=p.cases,
        open=p.open,
        due_this_week=p.due_this_week,
        overdue=p.overdue,
        overdue_money=p.overdue_money,
        in_cases=p.in_cases,
    )


@router.get("/review/position")
def review_position(actor: TokenActor, ctx: Context) -> PositionOut:
    """Return the newest run's money with the case decisions laid over it."""
    try:
        position = position_for(
            ctx.store_dir,
            user=actor.username,
            database_url=ctx.database_url,
            today=ctx.today(),
        )
    except ConfigError as exc:
        raise HTTPException(404, detail=str(exc)) from exc
    if position is None:
        raise HTTPException(404, detail="chưa có hồ sơ nào / no case yet")
    return _position(position)


def _remove(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_dir():
            path.rmdir()
        else:
            path.unlink(missing_ok=True)
    folder.rmdir()


@router.get(
    "/review/feedback.xlsx",
    response_class=FileResponse,
    responses={
        200: {
            "description": "Mẫu 09/BH: the decided lines, and a sheet of the cases.",
            "content": {XLSX: _BINARY},
        }
    },
)
def review_feedback(
    actor: TokenActor,
    ctx: Context,
    code: Annotated[
        list[str] | None, Query(description="Only these cases (default: all).")
    ] = None,
    names: Annotated[
        bool, Query(description="Include the patients' names (HO_TEN).")
    ] = True,
) -> FileResponse:
    """Download the decided lines of the account's cases as Mẫu 09/BH (XLSX)."""
    folder = Path(tempfile.mkdtemp(prefix="giamdinh-09bh-"))
    out = folder / "mau-09-bh.xlsx"
    try:
        export_feedback(
            out,
            user=actor.username,
            store_dir=ctx.store_dir,
            database_url=ctx.database_url,
            codes=code or (),
            with_names=names,
        )
    except BaseException:
        _remove(folder)
        raise
    return FileResponse(
        out,
        media_type=XLSX,
        filename=f"mau-09-bh-{ctx.today():%Y%m%d}.xlsx",
        content_disposition_type="attachment",
        background=BackgroundTask(_remove, folder),
    )


# ------------------------------------------------------------------ actions


@router.post("/cases/{code}/send")
def case_send(
    code: str, body: Versioned, actor: TokenActor, ctx: Context
) -> CaseSummary:
    """Send the automated result to the facility (assessor, supervisor)."""
    today = ctx.today()
    row = _found(
        lambda: send_case(
            code,
            user=actor.username,
            on=today,
            version=body.version,
            database_url=ctx.database_url,
        )
    )
    return _summary(row, today)


@router.post("/cases/{code}/answer")
def case_answer(
    code: str,
    *,
    actor: TokenActor,
    ctx: Context,
    version: Annotated[int, Form(ge=1, description="The case's version you read.")],
    note: Annotated[str, Form(description="The answer's text.")] = "",
    files: Annotated[
        list[UploadFile | str],
        File(description="Evidence files (PDF, images, …); an empty part is skipped."),
    ] = [],  # noqa: B006 - FastAPI copies the default
) -> CaseSummary:
    """The facility answers with evidence files and a note (multipart)."""
    today = ctx.today()
    with tempfile.TemporaryDirectory(prefix="giamdinh-answer-") as tmp:
        paths = save_form_files(files, Path(tmp), ctx.max_upload_bytes)
        row = _found(
            lambda: answer_case(
                code,
                user=actor.username,
                files=paths,
                note=note.strip() or None,
                on=today,
                version=version,
                database_url=ctx.database_url,
            )
        )
    return _summary(row, today)


@router.post("/cases/{code}/meet")
def case_meet(
    code: str, body: MeetBody, actor: TokenActor, ctx: Context
) -> CaseSummary:
    """Record a joint-verification meeting (assessor, supervisor)."""
    today = ctx.today()
    row = _found(
        lambda: meet_case(
            code,
            user=actor.username,
            participants=body.participants,
            minutes=body.minutes,
            on=body.held_on or today,
            version=body.version,
            database_url=ctx.database_url,
        )
    )
    return _summary(row, today)


@router.post("/cases/{code}/decide")
def case_decide(
    code: str, body: DecideBody, actor: TokenActor, ctx: Context
) -> CaseSummary:
    """Decide one line (assessor, supervisor)."""
    today = ctx.today()
    row = _found(
        lambda: decide_line(
            code,
            user=actor.username,
            stt=body.stt,
            payable=_amount(body.payable, "payable"),
            refused=_amount(body.refused, "refused"),
            reason=body.reason,
            basis=body.basis,
            claim=body.claim,
            table=body.table,
            on=today,
            version=body.version,
            database_url=ctx.database_url,
        )
    )
    return _summary(row, today)


@router.post("/cases/{code}/close")
def case_close(
    code: str, body: Versioned, actor: TokenActor, ctx: Context
) -> CaseSummary:
    """Close a decided case (assessor, supervisor)."""
    today = ctx.today()
    row = _found(
        lambda: close_case(
            code,
            user=actor.username,
            on=today,
            version=body.version,
            database_url=ctx.database_url,
        )
    )
    return _summary(row, today)


@router.post("/cases/{code}/appeal")
def case_appeal(
    code: str,
    *,
    actor: TokenActor,
    ctx: Context,
    version: Annotated[int, Form(ge=1, description="The case's version you read.")],
    reason: Annotated[
        str,
        # A form sends an empty field as missing: the document says it is needed.
        Form(min_length=1, description="The grounds of the appeal."),
    ],
    files: Annotated[
        list[UploadFile | str],
        File(description="Evidence files (PDF, images, …); an empty part is skipped."),
    ] = [],  # noqa: B006 - FastAPI copies the default
) -> CaseSummary:
    """The facility appeals the decision, once, in time (multipart)."""
    today = ctx.today()
    with tempfile.TemporaryDirectory(prefix="giamdinh-appeal-") as tmp:
        paths = save_form_files(files, Path(tmp), ctx.max_upload_bytes)
        row = _found(
            lambda: appeal_case(
                code,
                user=actor.username,
                reason=reason,
                files=paths,
                on=today,
                version=version,
                database_url=ctx.database_url,
            )
        )
    return _summary(row, today)


@router.post("/cases/{code}/reassign")
def case_reassign(
    code: str, body: ReassignBody, actor: TokenActor, ctx: Context
) -> CaseSummary:
    """Give the case to another assessor (supervisor)."""
    row = _found(
        lambda: reassign_case(
            code,
            user=actor.username,
            to=body.to,
            version=body.version,
            database_url=ctx.database_url,
        )
    )
    return _summary(row, ctx.today())


@router.post("/cases/{code}/reopen")
def case_reopen(
    code: str, body: ReopenBody, actor: TokenActor, ctx: Context
) -> CaseSummary:
    """Reopen a decided or closed case for a new round (supervisor)."""
    row = _found(
        lambda: reopen_case(
            code,
            user=actor.username,
            reason=body.reason,
            version=body.version,
            database_url=ctx.database_url,
        )
    )
    return _summary(row, ctx.today())


__all__ = ["router"]
