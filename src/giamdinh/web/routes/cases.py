"""Joint-verification cases: the review queue, the case page and its actions.

Assessors and supervisors work the province's queue; facility staff see their
facility's cases only (another facility's case is "not found", 404, with nothing
of it in the page). Every action form carries the case's version: a page that is
no longer current gets the 409 conflict page instead of overwriting what someone
else did. After an action the browser goes back to the case page (303) with a
notice. The routes parse the forms and call ``giamdinh.services.review``; the
rules of the workflow live there and in ``giamdinh.review``.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from giamdinh.domain.money import parse_dong
from giamdinh.errors import ConfigError, ConflictError, TransitionError
from giamdinh.review.deadlines import Step
from giamdinh.review.workflow import Action, Actor, CaseState
from giamdinh.services.review import (
    QUEUE_VIEWS,
    CaseNotFoundError,
    answer_case,
    appeal_case,
    assignees,
    attachment_file,
    basis_choices,
    case_queue,
    close_case,
    decide_line,
    export_feedback,
    meet_case,
    reassign_case,
    reopen_case,
    send_case,
    show_case,
)
from giamdinh.services.uploads import save_form_files
from giamdinh.web.pages import render
from giamdinh.web.security import CLAIM_ROLES, context_of, require

if TYPE_CHECKING:
    from collections.abc import Callable

router = APIRouter()

CaseActor = Annotated[Actor, Depends(require(*CLAIM_ROLES))]
PAGE_SIZE = 50
DUE_DAYS = 7

#: Who must act, by the ``party`` of a deadline.
PARTY = {
    "insurer": ("BHXH (giám định viên)", "the insurer (assessor)"),
    "facility": ("Cơ sở KCB", "the facility"),
}
#: What the facility does next, by the step whose clock runs.
FACILITY_TODO = {
    Step.FACILITY_ANSWER: ("Giải trình, gửi bằng chứng", "Answer with evidence"),
    Step.SIGN_RECORD: (
        "Ký biên bản (Mẫu 03/BH) hoặc ghi ý kiến không đồng ý",
        "Sign the record (form 03/BH) or record your disagreement",
    ),
}


#: A finding's severity, as the pages name it.
SEVERITY = {
    "refuse": ("từ chối", "refuse"),
    "adjust": ("điều chỉnh", "adjust"),
    "review": ("chờ giám định", "review"),
    "info": ("thông tin", "information"),
}


def _labels() -> dict[str, Any]:
    """Return the labels the templates need for states, actions and parties."""
    return {
        "severity": SEVERITY,
        "states": list(CaseState),
        "action_labels": {a.value: (a.label_vi, a.value) for a in Action},
        "party": PARTY,
        "facility_todo": FACILITY_TODO,
    }


def _refused(
    request: Request, actor: Actor, code: str, status: int, message: str
) -> Response:
    """Render why an action or a page was refused, with the way back."""
    return render(
        request,
        "cases/refused.html",
        actor=actor,
        status_code=status,
        status=status,
        code=None if status == 404 else code,  # noqa: PLR2004 - HTTP status
        message=message,
    )


def _act(
    request: Request,
    actor: Actor,
    code: str,
    notice: tuple[str, str],
    call: Callable[[], object],
) -> Response:
    """Run an action; on success go back to the case with ``notice``."""
    try:
        call()
    except CaseNotFoundError as exc:
        return _refused(request, actor, code, 404, str(exc))
    except (ConflictError, TransitionError) as exc:
        return _refused(request, actor, code, 409, str(exc))
    except ConfigError as exc:
        return _refused(request, actor, code, 400, str(exc))
    request.session["notice"] = list(notice)
    return RedirectResponse(f"/cases/{code}", status_code=303)


def _states(state: str | None) -> list[CaseState]:
    if not state:
        return []
    try:
        return [CaseState(state)]
    except ValueError as exc:
        names = ", ".join(s.value for s in CaseState)
        msg = f"trạng thái {state!r} không có; chọn {names} / unknown state"
        raise ConfigError(msg) from exc


@router.get("/cases")
def queue(
    request: Request,
    *,
    actor: CaseActor,
    view: str = "all",
    state: str | None = None,
    facility: str | None = None,
    page: int = 1,
) -> Response:
    """Show the review queue (facility staff: their facility's cases)."""
    ctx = context_of(request)
    result = case_queue(
        user=actor.username,
        database_url=ctx.database_url,
        view=view if view in QUEUE_VIEWS else "all",
        states=_states(state),
        facility=facility or None,
        today=ctx.today(),
        due_days=DUE_DAYS,
    )
    pages = max(1, -(-len(result.rows) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = result.rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return render(
        request,
        "cases/list.html",
        actor=actor,
        queue=result,
        rows=shown,
        view=view if view in QUEUE_VIEWS else "all",
        state=state or "",
        facility=facility or "",
        page=page,
        pages=pages,
        **_labels(),
    )


@router.get("/cases/feedback.xlsx")
def feedback(request: Request, actor: CaseActor) -> Response:
    """Download the decided lines of the cases one may see as Mẫu 09/BH."""
    ctx = context_of(request)
    folder = Path(tempfile.mkdtemp(prefix="giamdinh-09bh-"))
    out = folder / "mau-09-bh.xlsx"
    try:
        export_feedback(
            out,
            user=actor.username,
            store_dir=ctx.store_dir,
            database_url=ctx.database_url,
        )
    except BaseException:
        _remove(folder)
        raise
    return FileResponse(
        out,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=f"mau-09-bh-{ctx.today():%Y%m%d}.xlsx",
        content_disposition_type="attachment",
        background=BackgroundTask(_remove, folder),
    )


def _remove(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_dir():
            path.rmdir()
        else:
            path.unlink(missing_ok=True)
    folder.rmdir()


@router.get("/cases/{code}")
def case_page(request: Request, code: str, actor: CaseActor) -> Response:
    """Show one case: deadlines, money, evidence, lines, history, the actions."""
    ctx = context_of(request)
    try:
        view = show_case(
            code, user=actor.username, database_url=ctx.database_url, today=ctx.today()
        )
    except CaseNotFoundError as exc:
        return _refused(request, actor, code, 404, str(exc))
    notice = request.session.pop("notice", None)
    return render(
        request,
        "cases/case.html",
        actor=actor,
        view=view,
        notice=notice,
        today=ctx.today(),
        citations=basis_choices() if Action.DECIDE.value in view.allowed else [],
        people=(
            assignees(user=actor.username, database_url=ctx.database_url)
            if Action.REASSIGN.value in view.allowed
            else []
        ),
        **_labels(),
    )


@router.get("/cases/{code}/attachments/{attachment_id}")
def attachment(
    request: Request, code: str, attachment_id: int, actor: CaseActor
) -> Response:
    """Download a file attached to a case (as an attachment, never inline)."""
    ctx = context_of(request)
    try:
        found = attachment_file(
            code, attachment_id, user=actor.username, database_url=ctx.database_url
        )
    except CaseNotFoundError as exc:
        return _refused(request, actor, code, 404, str(exc))
    return FileResponse(
        found.path,
        media_type=found.media_type,
        filename=found.filename,
        content_disposition_type="attachment",
    )


# ------------------------------------------------------------------ actions

Version = Annotated[int, Form(ge=1)]


@router.post("/cases/{code}/send")
def send(request: Request, code: str, actor: CaseActor, version: Version) -> Response:
    """Send the automated result to the facility."""
    ctx = context_of(request)
    return _act(
        request,
        actor,
        code,
        ("Đã gửi kết quả cho cơ sở.", "Sent to the facility."),
        lambda: send_case(
            code,
            user=actor.username,
            on=ctx.today(),
            version=version,
            database_url=ctx.database_url,
        ),
    )


Files = Annotated[list[UploadFile | str], File()]


@router.post("/cases/{code}/answer")
def answer(
    request: Request,
    *,
    code: str,
    actor: CaseActor,
    version: Version,
    note: Annotated[str, Form()] = "",
    files: Files = [],  # noqa: B006 - FastAPI copies the default
) -> Response:
    """The facility answers with evidence files and a note."""
    ctx = context_of(request)

    def call() -> object:
        with tempfile.TemporaryDirectory(prefix="giamdinh-answer-") as tmp:
            paths = save_form_files(files, Path(tmp), ctx.max_upload_bytes)
            return answer_case(
                code,
                user=actor.username,
                files=paths,
                note=note.strip() or None,
                on=ctx.today(),
                version=version,
                database_url=ctx.database_url,
            )

    return _act(
        request,
        actor,
        code,
        ("Đã ghi nhận giải trình.", "Your answer was recorded."),
        call,
    )


def _held_on(text: str, today: date) -> date:
    if not text.strip():
        return today
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        msg = f"ngày họp {text!r}: cần dạng YYYY-MM-DD / meeting day: YYYY-MM-DD"
        raise ConfigError(msg) from exc


@router.post("/cases/{code}/meet")
def meet(
    request: Request,
    *,
    code: str,
    actor: CaseActor,
    version: Version,
    participants: Annotated[str, Form()] = "",
    minutes: Annotated[str, Form()] = "",
    held_on: Annotated[str, Form()] = "",
) -> Response:
    """Record a joint-verification meeting and its minutes."""
    ctx = context_of(request)
    return _act(
        request,
        actor,
        code,
        ("Đã ghi biên bản giám định chung.", "The meeting was recorded."),
        lambda: meet_case(
            code,
            user=actor.username,
            participants=participants,
            minutes=minutes,
            on=_held_on(held_on, ctx.today()),
            version=version,
            database_url=ctx.database_url,
        ),
    )


@router.post("/cases/{code}/decide")
def decide(
    request: Request,
    *,
    code: str,
    actor: CaseActor,
    version: Version,
    stt: Annotated[int, Form()],
    payable: Annotated[str, Form()] = "",
    refused: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    basis: Annotated[str, Form()] = "",
    claim: Annotated[str, Form()] = "",
    table: Annotated[str, Form()] = "",
) -> Response:
    """Decide one line: paid and refused of its stake, the rest adjusted."""
    ctx = context_of(request)
    return _act(
        request,
        actor,
        code,
        (f"Đã quyết định dòng {stt}.", f"Line {stt} decided."),
        lambda: decide_line(
            code,
            user=actor.username,
            stt=stt,
            payable=parse_dong(payable, "chấp nhận / payable"),
            refused=parse_dong(refused or "0", "từ chối / refused"),
            reason=reason,
            basis=basis.strip() or None,
            claim=claim or None,
            table=table or None,
            on=ctx.today(),
            version=version,
            database_url=ctx.database_url,
        ),
    )


@router.post("/cases/{code}/close")
def close(request: Request, code: str, actor: CaseActor, version: Version) -> Response:
    """Close a decided case."""
    ctx = context_of(request)
    return _act(
        request,
        actor,
        code,
        ("Đã đóng hồ sơ.", "The case was closed."),
        lambda: close_case(
            code,
            user=actor.username,
            on=ctx.today(),
            version=version,
            database_url=ctx.database_url,
        ),
    )


@router.post("/cases/{code}/appeal")
def appeal(
    request: Request,
    *,
    code: str,
    actor: CaseActor,
    version: Version,
    reason: Annotated[str, Form()] = "",
    files: Files = [],  # noqa: B006 - FastAPI copies the default
) -> Response:
    """The facility asks for the decision to be reviewed, with evidence."""
    ctx = context_of(request)

    def call() -> object:
        with tempfile.TemporaryDirectory(prefix="giamdinh-appeal-") as tmp:
            paths = save_form_files(files, Path(tmp), ctx.max_upload_bytes)
            return appeal_case(
                code,
                user=actor.username,
                reason=reason,
                files=paths,
                on=ctx.today(),
                version=version,
                database_url=ctx.database_url,
            )

    return _act(
        request,
        actor,
        code,
        (
            "Đã gửi đề nghị xem xét lại; giám định viên khác sẽ quyết định lại.",
            "Your appeal was sent; another assessor will decide again.",
        ),
        call,
    )


@router.post("/cases/{code}/reassign")
def reassign(
    request: Request,
    code: str,
    actor: CaseActor,
    version: Version,
    to: Annotated[str, Form()] = "",
) -> Response:
    """Give the case to another assessor (supervisor)."""
    ctx = context_of(request)
    return _act(
        request,
        actor,
        code,
        (f"Đã giao hồ sơ cho {to}.", f"The case was given to {to}."),
        lambda: reassign_case(
            code,
            user=actor.username,
            to=to,
            version=version,
            database_url=ctx.database_url,
        ),
    )


@router.post("/cases/{code}/reopen")
def reopen(
    request: Request,
    code: str,
    actor: CaseActor,
    version: Version,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Reopen a decided or closed case for a new round (supervisor)."""
    ctx = context_of(request)
    return _act(
        request,
        actor,
        code,
        ("Đã mở lại hồ sơ cho vòng mới.", "The case was reopened for a new round."),
        lambda: reopen_case(
            code,
            user=actor.username,
            reason=reason,
            version=version,
            database_url=ctx.database_url,
        ),
    )


__all__ = ["router"]
