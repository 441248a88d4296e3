"""``/checks``: claim files checked as ``giamdinh check`` does, for systems.

A hospital's HIS posts its XML files (or a zip) before sending them to the
portal and reads the result in the JSON of ``giamdinh check --format json``
(``CheckOutput``, ``schemas/check-output.schema.json``). A facility token checks
its own facility's files only; assessor and supervisor tokens any facility's
(``ma_cskcb`` names it, else the files do). Another facility's check is "not
found" (404). Uploads are counted as they arrive: past the server's limit the
request is refused (413) naming the file.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from giamdinh.api.common import Context, ErrorBody, Page, PageQuery, TokenActor
from giamdinh.services.check_model import CheckOutput
from giamdinh.services.reference_upload import FACILITY_CODE
from giamdinh.services.submissions import (
    CheckNotFoundError,
    CheckRecord,
    get_check,
    list_checks,
    submit_check,
    workbook_path,
)
from giamdinh.services.uploads import Upload, UploadRoute

router = APIRouter(tags=["checks"], route_class=UploadRoute)

#: A facility code; empty means none (a form sends an empty field as "").
CODE_OR_EMPTY = f"^({FACILITY_CODE.pattern.strip('^$')})?$"

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorBody, "description": "The upload is over the server's limit"}
}


class CheckCreated(BaseModel):
    """A check just made: its id, its record and its result."""

    id: str = Field(description="the check's id (GET /checks/{id})")
    check: CheckRecord
    result: CheckOutput


def _not_found() -> HTTPException:
    return HTTPException(404, detail="không có lần kiểm tra này / no such check")


@router.post("/checks", status_code=201, responses=TOO_LARGE)
def create_check(
    actor: TokenActor,
    ctx: Context,
    files: Annotated[
        list[UploadFile],
        File(
            min_length=1,
            description="XML files (GIAMDINHHS envelopes, bare tables) or zips",
        ),
    ],
    ma_cskcb: Annotated[
        str | None,
        Form(
            pattern=CODE_OR_EMPTY,
            description="the facility (assessors; a facility token's is its own)",
        ),
    ] = None,
) -> CheckCreated:
    """Check claim files as the portal and the rules would, and keep the result."""
    uploads = [Upload(f.filename or "", f.file) for f in files]
    result = submit_check(uploads, actor, ctx, ma_cskcb=ma_cskcb or None)
    return CheckCreated(id=result.record.id, check=result.record, result=result.output)


@router.get("/checks")
def checks(
    actor: TokenActor,
    ctx: Context,
    paging: PageQuery,
    ma_cskcb: Annotated[
        str | None,
        Query(pattern=CODE_OR_EMPTY, description="only this facility's"),
    ] = None,
) -> Page[CheckRecord]:
    """List the checks the token may see, newest first."""
    return paging.page(list_checks(actor, ctx, ma_cskcb=ma_cskcb or None))


@router.get("/checks/{check_id}")
def check(actor: TokenActor, ctx: Context, check_id: str) -> CheckOutput:
    """Return a check's result: the JSON of ``giamdinh check --format json``."""
    try:
        return get_check(check_id, actor, ctx).output
    except CheckNotFoundError:
        raise _not_found() from None


@router.get(
    "/checks/{check_id}/workbook",
    response_class=FileResponse,
    responses={
        200: {
            "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            "description": "The workbook: claims, findings, reception, not checked",
        }
    },
)
def check_workbook(actor: TokenActor, ctx: Context, check_id: str) -> FileResponse:
    """Return a check's workbook (XLSX, four sheets)."""
    try:
        path = workbook_path(check_id, actor, ctx)
    except CheckNotFoundError:
        raise _not_found() from None
    return FileResponse(path, media_type=XLSX, filename=f"kiem-tra-{check_id}.xlsx")
