"""The facility's pages: check claim files before sending, and its reference files.

- ``/facility/check``: upload XML files or a zip (streamed, limited, zips opened
  safely: ``giamdinh.services.uploads``) and list the checks this account may
  see; ``/facility/check/{id}`` the result (what ``giamdinh check`` says) and
  ``/facility/check/{id}.xlsx`` its workbook.
- ``/facility/reference``: upload the forms M01…M06, licences and equipment
  sources; the loading report row by row.

Facility accounts check their own claims and upload their own folder; the
insurer's assessors and supervisors may check any facility's files, read any
check and any facility's loading report (``giamdinh.services.submissions`` and
``giamdinh.services.reference_upload`` scope every read).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from giamdinh.errors import ConfigError
from giamdinh.review.workflow import Actor, Role
from giamdinh.services.reference_upload import (
    EXPECTED,
    ReferenceNotFoundError,
    ReferenceUploadResult,
    reference_facilities,
    reference_report,
    upload_reference,
)
from giamdinh.services.submissions import (
    CheckNotFoundError,
    get_check,
    list_checks,
    not_checked_summary,
    submit_check,
    workbook_path,
)
from giamdinh.services.uploads import Upload, UploadRoute
from giamdinh.web.pages import render
from giamdinh.web.security import CLAIM_ROLES, context_of, require

router = APIRouter(route_class=UploadRoute)

Viewer = Annotated[Actor, Depends(require(*CLAIM_ROLES))]
Facility = Annotated[Actor, Depends(require(Role.FACILITY))]
PAGE_SIZE = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Files = Annotated[list[UploadFile] | None, File()]


def _uploads(files: list[UploadFile] | None) -> list[Upload]:
    return [Upload(f.filename or "", f.file) for f in files or []]


def _check_page(
    request: Request,
    actor: Actor,
    *,
    offset: int = 0,
    error: str | None = None,
    status_code: int = 200,
    ma_cskcb: str = "",
) -> Response:
    ctx = context_of(request)
    checks = list_checks(actor, ctx)
    insurer = actor.role is not Role.FACILITY
    offset = max(0, min(offset, max(len(checks) - 1, 0)))
    return render(
        request,
        "facility/check.html",
        actor=actor,
        status_code=status_code,
        checks=checks[offset : offset + PAGE_SIZE],
        total=len(checks),
        offset=offset,
        page_size=PAGE_SIZE,
        error=error,
        insurer=insurer,
        facilities=reference_facilities(actor, ctx) if insurer else [],
        ma_cskcb=ma_cskcb,
        max_mb=ctx.max_upload_bytes // (1024 * 1024),
    )


@router.get("/facility/check")
def check_page(
    request: Request,
    actor: Viewer,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """Show the upload form and the checks already made."""
    return _check_page(request, actor, offset=offset)


@router.post("/facility/check")
def check_submit(
    request: Request,
    actor: Viewer,
    files: Files = None,
    ma_cskcb: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Check the uploaded files; show the result (or the form with the refusal)."""
    try:
        result = submit_check(
            _uploads(files), actor, context_of(request), ma_cskcb=ma_cskcb or None
        )
    except ConfigError as exc:
        return _check_page(
            request, actor, error=str(exc), status_code=400, ma_cskcb=ma_cskcb
        )
    return RedirectResponse(f"/facility/check/{result.record.id}", status_code=303)


@router.get("/facility/check/{check_id}.xlsx")
def check_workbook(request: Request, actor: Viewer, check_id: str) -> Response:
    """Send the check's workbook (four sheets)."""
    try:
        path = workbook_path(check_id, actor, context_of(request))
    except CheckNotFoundError:
        raise HTTPException(404) from None
    return FileResponse(path, media_type=XLSX, filename=f"kiem-tra-{check_id}.xlsx")


@router.get("/facility/check/{check_id}")
def check_result(request: Request, actor: Viewer, check_id: str) -> Response:
    """Show a check: totals, claims with money, findings, reception, not checked."""
    try:
        result = get_check(check_id, actor, context_of(request))
    except CheckNotFoundError:
        raise HTTPException(404) from None
    output = result.output
    return render(
        request,
        "facility/check_result.html",
        actor=actor,
        record=result.record,
        output=output,
        detailed=[
            c
            for c in output.claims
            if c.findings or c.reception_errors or c.not_checked
        ],
        file_problems=[(f, e) for f in output.files for e in f.errors],
        not_checked=not_checked_summary(output),
    )


def _reference_page(
    request: Request,
    actor: Actor,
    *,
    ma_cskcb: str | None = None,
    result: ReferenceUploadResult | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    ctx = context_of(request)
    facilities = reference_facilities(actor, ctx)
    insurer = actor.role is not Role.FACILITY
    report = None
    if result is not None:
        report = result.report
    elif not insurer or ma_cskcb:
        report = reference_report(actor, ctx, ma_cskcb)
    return render(
        request,
        "facility/reference.html",
        actor=actor,
        status_code=status_code,
        insurer=insurer,
        facilities=facilities,
        chosen=ma_cskcb or "",
        report=report,
        result=result,
        error=error,
        expected=EXPECTED,
        max_mb=ctx.max_upload_bytes // (1024 * 1024),
    )


@router.get("/facility/reference")
def reference_page(
    request: Request,
    actor: Viewer,
    ma_cskcb: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """Show the facility's current reference folder, file by file and row by row."""
    try:
        return _reference_page(request, actor, ma_cskcb=ma_cskcb or None)
    except ReferenceNotFoundError:
        raise HTTPException(404) from None


@router.post("/facility/reference")
def reference_submit(
    request: Request,
    actor: Facility,
    files: Files = None,
    replace_all: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Load the uploaded reference files; replace the folder when usable."""
    try:
        result = upload_reference(
            _uploads(files),
            actor,
            context_of(request),
            replace_all=replace_all == "on",
        )
    except ConfigError as exc:
        return _reference_page(request, actor, error=str(exc), status_code=400)
    return _reference_page(
        request, actor, result=result, status_code=200 if result.applied else 400
    )
