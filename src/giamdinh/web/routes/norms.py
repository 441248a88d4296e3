"""The Ministry's norms programme: progress, techniques, drafts compared, cost.

Pages for the Ministry's norms team (role ``ministry``; every other role gets 403,
in the service layer too: ``giamdinh.services.ministry``):

- ``/norms``: the programme's progress as of a day (assigned / qualified / drafts
  sent, by hospital and by chapter, each chart with its table), the overdue
  assignments, and the searchable list of techniques with their state;
- ``/norms/{code}``: one technique: its assignments, the hospitals' drafts side by
  side line by line with the outliers marked, the consolidation by a method (a form
  records it, with an override of one line and its reason), and the cost of one
  service with the unit cost by annual volume;
- the workbooks of ``giamdinh norms export``: progress, the blank draft template, a
  hospital's draft, the consolidated norm.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from giamdinh.domain.money import format_dong
from giamdinh.errors import ConfigError
from giamdinh.review.workflow import Actor, Role
from giamdinh.services import ministry
from giamdinh.web.charts import Series, bar_chart, line_chart
from giamdinh.web.pages import language, render
from giamdinh.web.security import context_of, require

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from markupsafe import Markup

    from giamdinh.norms.progress import ProgressRow

router = APIRouter()

Ministry = Annotated[Actor, Depends(require(Role.MINISTRY))]
PAGE_SIZE = 50
OVERDUE_SHOWN = 20
NOTICE = "norms_notice"


@contextmanager
def _found() -> Iterator[None]:
    """Turn the service's "no such technique" into a 404."""
    try:
        yield
    except ministry.TechniqueNotFoundError as exc:
        raise HTTPException(404, detail=str(exc)) from exc


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        msg = f"ngày không hợp lệ (YYYY-MM-DD) / not a date: {text!r}"
        raise ConfigError(msg) from exc


def _decimal(text: str | None, what: str) -> Decimal | None:
    if text is None or not text.strip():
        return None
    try:
        value = Decimal(text.strip().replace(" ", "").replace(",", "."))
    except InvalidOperation as exc:
        msg = f"{what} phải là số / {what} must be a number: {text!r}"
        raise ConfigError(msg) from exc
    if not value.is_finite():
        msg = f"{what} phải là số / {what} must be a number: {text!r}"
        raise ConfigError(msg)
    return value


def _dong(value: Decimal | None) -> str:
    """Return a cost in đồng with its two decimals (as ``giamdinh norms cost``)."""
    return "—" if value is None else format_dong(value, places=2)


def _page(text: str | None) -> int:
    try:
        return max(1, int(text or "1"))
    except ValueError:
        return 1


def _xlsx(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type=ministry.XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/norms")
def norms_home(
    *,
    request: Request,
    actor: Ministry,
    as_of: str | None = None,
    q: str | None = None,
    state: str | None = None,
    chapter: str | None = None,
    hospital: str | None = None,
    drafts: str | None = None,
    page: str | None = None,
) -> Response:
    """Show the programme's progress and the list of techniques."""
    url = context_of(request).database_url
    day = _day(as_of)
    report = ministry.programme_progress(actor, database_url=url, as_of=day)
    rows = ministry.list_techniques(
        actor, database_url=url, query=q, state=state or None,
        chapter=chapter or None, hospital=hospital or None, with_drafts=bool(drafts),
    )  # fmt: skip
    number = _page(page)
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    number = min(number, pages)
    shown = rows[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    filters = {
        k: v
        for k, v in {
            "as_of": as_of, "q": q, "state": state, "chapter": chapter,
            "hospital": hospital, "drafts": drafts,
        }.items()
        if v
    }  # fmt: skip
    lang = language(request)
    en = lang == "en"
    series_names = (
        ("Assigned", "Qualified", "Drafts sent")
        if en
        else ("Đã giao", "Đủ điều kiện", "Đã gửi dự thảo")
    )

    def chart(data: Sequence[ProgressRow], title: str, chart_id: str) -> Markup:
        return bar_chart(
            [r.key for r in data],
            [
                Series(series_names[0], [r.assigned for r in data]),
                Series(series_names[1], [r.qualified for r in data]),
                Series(series_names[2], [r.drafts_sent for r in data]),
            ],
            title=title,
            width=1400,
            height=340,
            chart_id=chart_id,
        )

    return render(
        request,
        "norms/index.html",
        actor=actor,
        report=report,
        hospital_chart=chart(
            report.by_hospital,
            "Progress by hospital" if en else "Tiến độ theo bệnh viện",
            "hosp",
        ),
        chapter_chart=chart(
            report.by_chapter,
            "Progress by chapter" if en else "Tiến độ theo chương",
            "chap",
        ),
        overdue=report.overdue[:OVERDUE_SHOWN],
        rows=shown,
        total_rows=len(rows),
        page=number,
        pages=pages,
        query=filters,
        prev_url=f"/norms?{urlencode({**filters, 'page': number - 1})}#techniques"
        if number > 1
        else None,
        next_url=f"/norms?{urlencode({**filters, 'page': number + 1})}#techniques"
        if number < pages
        else None,
        progress_url="/norms/progress.xlsx"
        + (f"?{urlencode({'as_of': as_of})}" if as_of else ""),
        states=ministry.STATES,
        chapters=ministry.chapters(actor, database_url=url),
        hospitals=ministry.hospitals(actor, database_url=url),
    )


@router.get("/norms/progress.xlsx")
def progress_xlsx(
    request: Request, actor: Ministry, as_of: str | None = None
) -> Response:
    """Download the progress report (``giamdinh norms export progress``)."""
    day = _day(as_of)
    content = ministry.progress_workbook(
        actor, database_url=context_of(request).database_url, as_of=day
    )
    stamp = (day or ministry.today()).isoformat()
    return _xlsx(content, f"tien-do-dinh-muc-{stamp}.xlsx")


@router.get("/norms/template.xlsx")
def template_xlsx(request: Request, actor: Ministry) -> Response:
    """Download the blank draft workbook (``giamdinh norms export template``)."""
    content = ministry.draft_workbook(
        actor, database_url=context_of(request).database_url
    )
    return _xlsx(content, "mau-du-thao-dinh-muc.xlsx")


@router.get("/norms/{code}/drafts/{hospital}.xlsx")
def draft_xlsx(request: Request, actor: Ministry, code: str, hospital: str) -> Response:
    """Download a hospital's latest draft in the draft workbook."""
    with _found():
        content = ministry.draft_workbook(
            actor, database_url=context_of(request).database_url, code=code,
            hospital=hospital,
        )  # fmt: skip
    return _xlsx(content, f"du-thao-{code}-{hospital}.xlsx")


@router.get("/norms/{code}/consolidated.xlsx")
def consolidated_xlsx(
    request: Request, actor: Ministry, code: str, method: str | None = None
) -> Response:
    """Download the consolidation (``giamdinh norms export consolidated``)."""
    with _found():
        content = ministry.consolidation_workbook(
            actor, code, database_url=context_of(request).database_url,
            method=method or None,
        )  # fmt: skip
    return _xlsx(content, f"dinh-muc-{code}.xlsx")


@router.get("/norms/{code}")
def technique_page(
    *,
    request: Request,
    actor: Ministry,
    code: str,
    method: str | None = None,
    keep: str | None = None,
    hospital: str | None = None,
    volume: str | None = None,
    depreciation: str | None = None,
) -> Response:
    """Show one technique: drafts compared, consolidation, cost by volume."""
    url = context_of(request).database_url
    with _found():
        detail = ministry.technique_detail(actor, code, database_url=url)
    chosen = method or (detail.national.method if detail.national else "median")
    keep_overrides = keep != "0"
    preview = preview_error = None
    if detail.has_drafts:
        try:
            preview = ministry.preview_consolidation(
                actor, code, database_url=url, method=chosen,
                keep_overrides=keep_overrides,
            )  # fmt: skip
        except ConfigError as exc:
            preview_error = str(exc)
    cost = cost_error = None
    curve_chart = None
    wanted_volume = _decimal(volume, "sản lượng / volume")
    if detail.has_drafts or detail.national is not None:
        try:
            cost = ministry.technique_cost(
                actor, code, database_url=url, hospital=hospital or None,
                volume=wanted_volume, depreciation=depreciation or "straight_line",
            )  # fmt: skip
        except ConfigError as exc:
            cost_error = str(exc)
    en = language(request) == "en"
    if cost is not None and len(cost.curve) > 1:
        curve_chart = line_chart(
            [float(p.volume) for p in cost.curve],
            [
                Series(
                    "Unit cost" if en else "Chi phí một lần",
                    [p.unit_cost for p in cost.curve],
                ),
                Series(
                    "Fixed part" if en else "Phần cố định",
                    [p.fixed for p in cost.curve],
                ),
            ],
            title=(
                f"Unit cost of {code} by annual volume"
                if en
                else f"Chi phí một lần dịch vụ {code} theo sản lượng năm"
            ),
            x_label="Annual volume (services)" if en else "Sản lượng năm (lần)",
        )
    return render(
        request,
        "norms/technique.html",
        actor=actor,
        detail=detail,
        method=chosen,
        methods=ministry.METHODS,
        keep_overrides=keep_overrides,
        preview=preview,
        preview_error=preview_error,
        cost=cost,
        cost_error=cost_error,
        curve_chart=curve_chart,
        cost_hospital=hospital or "",
        volume=volume or "",
        depreciation=depreciation or "straight_line",
        depreciation_methods=ministry.DEPRECIATION_METHODS,
        notice=request.session.pop(NOTICE, None),
        code_path=quote(code, safe=""),
        dong=_dong,
    )


@router.get("/norms/{code}/consolidate")
def consolidate_page(actor: Ministry, code: str) -> Response:
    """Send a browser that reloads the form's address to the technique's page."""
    del actor
    return RedirectResponse(f"/norms/{quote(code, safe='')}#consolidation", 303)


@router.post("/norms/{code}/consolidate")
def consolidate(
    *,
    request: Request,
    actor: Ministry,
    code: str,
    method: Annotated[str, Form()] = "median",
    keep: Annotated[str | None, Form()] = None,
    line: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Record the next national norm by a method, with an override of one line."""
    override = None
    if line:
        amount = _decimal(value, "giá trị điều chỉnh / override value")
        if amount is None:
            msg = "điều chỉnh cần giá trị / an override needs a value"
            raise ConfigError(msg)
        override = ministry.OverrideRequest(line=line, value=amount, reason=reason)
    with _found():
        result = ministry.record_consolidation(
            actor, code, database_url=context_of(request).database_url, method=method,
            keep_overrides=keep == "1", override=override,
        )  # fmt: skip
    request.session[NOTICE] = result.version
    target = f"/norms/{quote(code, safe='')}?{urlencode({'method': method})}"
    return RedirectResponse(target + "#consolidation", status_code=303)


__all__ = ["router"]
