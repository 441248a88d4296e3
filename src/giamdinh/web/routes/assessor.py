"""The insurer's pages: dashboard, claims explained line by line, leads, rules.

Routes parse the request, call ``giamdinh.services`` (which scope by the user:
facility staff see their own facility's claims, another facility's claim is "not
found") and render. Charts are drawn on the server and always come with a table
of the same numbers.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from giamdinh.domain import Severity
from giamdinh.errors import ConfigError, RuleDefinitionError, StoreError
from giamdinh.review.workflow import Actor, Role
from giamdinh.rules.model import Family
from giamdinh.services.assessment import DryRun
from giamdinh.services.claims import STATUSES, NotFoundError, list_claims, show_claim
from giamdinh.services.dashboard import MoneyRow, dashboard
from giamdinh.services.leads import list_leads
from giamdinh.services.rulebook import (
    parse_params,
    record_override,
    rule_catalogue,
    rule_detail,
    rule_dry_run,
)
from giamdinh.signals.model import SIGNALS
from giamdinh.web.charts import Series, bar_chart
from giamdinh.web.pages import language, render
from giamdinh.web.security import CLAIM_ROLES, INSURER, context_of, require

router = APIRouter()

PAGE_SIZE = 50
Insurer = Annotated[Actor, Depends(require(*INSURER))]
ClaimReader = Annotated[Actor, Depends(require(*CLAIM_ROLES))]
Supervisor = Annotated[Actor, Depends(require(Role.SUPERVISOR))]

OUTCOMES = (
    ("payable", "Chấp nhận", "Payable"),
    ("refused", "Từ chối", "Refused"),
    ("adjusted", "Điều chỉnh", "Adjusted"),
    ("under_review", "Chờ giám định", "Under review"),
)


def _offset(page: int) -> int:
    return (max(page, 1) - 1) * PAGE_SIZE


def _pages(total: int) -> int:
    return max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)


def _charts(
    request: Request,
    rows: list[MoneyRow],
    *,
    name: str,
    by: tuple[str, str],
    width: int,
) -> tuple[Any, Any]:
    """Return the stacked chart of every outcome and the one of money at stake."""
    english = language(request) == "en"
    what = by[1] if english else by[0]
    title_all = (
        f"Money claimed by outcome, by {what}"
        if english
        else f"Tiền đề nghị theo kết quả, theo {what}"
    )
    title_stake = (
        f"Money refused, adjusted or under review, by {what}"
        if english
        else f"Tiền từ chối, điều chỉnh, chờ giám định, theo {what}"
    )
    labels = {k: en if english else vi for k, vi, en in OUTCOMES}
    categories = [r.key for r in rows]
    every = bar_chart(
        categories,
        [Series(labels[k], [getattr(r, k) for r in rows]) for k, _, _ in OUTCOMES],
        title=title_all,
        stacked=True,
        width=width,
        chart_id=f"{name}-all",
    )
    stake = bar_chart(
        categories,
        [
            Series(labels[k], [getattr(r, k) for r in rows])
            for k, _, _ in OUTCOMES
            if k != "payable"
        ],
        title=title_stake,
        stacked=True,
        width=width,
        chart_id=f"{name}-stake",
    )
    return every, stake


# ------------------------------------------------------------------ dashboard


@router.get("/dashboard")
def dashboard_page(request: Request, actor: Insurer) -> Response:
    """Show the money of the newest run by month and facility, and the review."""
    ctx = context_of(request)
    try:
        board = dashboard(actor, ctx.store_dir, database_url=ctx.database_url)
    except (ConfigError, StoreError) as exc:
        return render(
            request,
            "assessor/dashboard.html",
            actor=actor,
            board=None,
            problem=str(exc),
        )
    month_all, month_stake = _charts(
        request, board.money.by_month, name="m", by=("tháng", "month"), width=640
    )
    facility_all, facility_stake = _charts(
        request,
        board.money.by_facility,
        name="f",
        by=("cơ sở", "facility"),
        width=max(760, 48 * len(board.money.by_facility)),
    )
    return render(
        request,
        "assessor/dashboard.html",
        actor=actor,
        board=board,
        problem=None,
        outcomes=OUTCOMES,
        month_all=month_all,
        month_stake=month_stake,
        facility_all=facility_all,
        facility_stake=facility_stake,
    )


# ------------------------------------------------------------------ claims


@router.get("/claims")
def claims_page(
    request: Request,
    actor: ClaimReader,
    *,
    facility: str = "",
    status: str = "",
    q: str = "",
    page: int = 1,
) -> Response:
    """List the newest run's claims, filtered and paged."""
    ctx = context_of(request)
    filters = {"facility": facility, "status": status, "q": q}
    try:
        claims = list_claims(
            actor,
            ctx.store_dir,
            facility=facility or None,
            status=status or None,
            search=q or None,
            limit=PAGE_SIZE,
            offset=_offset(page),
        )
    except (ConfigError, StoreError) as exc:
        return render(
            request,
            "assessor/claims.html",
            actor=actor,
            claims=None,
            problem=str(exc),
            filters=filters,
            statuses=STATUSES,
        )
    kept = {k: v for k, v in filters.items() if v}
    return render(
        request,
        "assessor/claims.html",
        actor=actor,
        claims=claims,
        problem=None,
        filters=filters,
        statuses=STATUSES,
        page=max(page, 1),
        pages=_pages(claims.total),
        query=urlencode(kept),
    )


@router.get("/claims/{ma_lk}")
def claim_page(request: Request, actor: ClaimReader, ma_lk: str) -> Response:
    """Explain one claim line by line."""
    ctx = context_of(request)
    try:
        claim = show_claim(actor, ctx.store_dir, ma_lk, database_url=ctx.database_url)
    except NotFoundError as exc:
        raise HTTPException(404, detail=str(exc)) from exc
    return render(request, "assessor/claim.html", actor=actor, claim=claim)


# ------------------------------------------------------------------ leads


@router.get("/leads")
def leads_page(
    request: Request,
    actor: Insurer,
    code: str = "",
    facility: str = "",
    page: int = 1,
) -> Response:
    """List the store's inspection leads with their lines and cases."""
    ctx = context_of(request)
    leads = list_leads(
        actor,
        ctx.store_dir,
        database_url=ctx.database_url,
        code=code or None,
        facility=facility or None,
        limit=PAGE_SIZE,
        offset=_offset(page),
    )
    kept = {k: v for k, v in {"code": code, "facility": facility}.items() if v}
    return render(
        request,
        "assessor/leads.html",
        actor=actor,
        leads=leads,
        signals=SIGNALS,
        filters={"code": code, "facility": facility},
        page=max(page, 1),
        pages=_pages(leads.total),
        query=urlencode(kept),
    )


# ------------------------------------------------------------------ rules


@router.get("/rules")
def rules_page(
    request: Request, actor: ClaimReader, family: str = "", severity: str = ""
) -> Response:
    """List the rule set with its state in this deployment."""
    ctx = context_of(request)
    rules = rule_catalogue(
        actor,
        overrides_path=ctx.rule_overrides,
        family=family or None,
        severity=severity or None,
    )
    return render(
        request,
        "assessor/rules.html",
        actor=actor,
        rules=rules,
        families=list(Family),
        severities=list(Severity),
        filters={"family": family, "severity": severity},
    )


def _rule_page(
    request: Request,
    actor: Actor,
    rule_id: str,
    *,
    status_code: int = 200,
    dry: DryRun | None = None,
    dry_severity: str = "",
    error: str | None = None,
    override_error: str | None = None,
    form: dict[str, str] | None = None,
    recorded: bool = False,
) -> Response:
    ctx = context_of(request)
    try:
        detail = rule_detail(actor, rule_id, overrides_path=ctx.rule_overrides)
    except NotFoundError as exc:
        raise HTTPException(404, detail=str(exc)) from exc
    return render(
        request,
        "assessor/rule.html",
        status_code=status_code,
        actor=actor,
        rule=detail,
        dry=dry,
        dry_severity=dry_severity,
        error=error,
        override_error=override_error,
        form=form or {},
        recorded=recorded,
    )


@router.get("/rules/{rule_id}")
def rule_page(
    request: Request, actor: ClaimReader, rule_id: str, recorded: int = 0
) -> Response:
    """Show one rule: what it checks, its bases, examples, dry run, overrides."""
    return _rule_page(request, actor, rule_id, recorded=bool(recorded))


@router.post("/rules/{rule_id}/dry-run")
def rule_dry_run_submit(
    request: Request,
    actor: Insurer,
    rule_id: str,
    severity: Annotated[str, Form()] = "",
) -> Response:
    """Dry-run the rule over the store (at a proposed severity); nothing recorded."""
    ctx = context_of(request)
    try:
        result = rule_dry_run(
            actor,
            rule_id,
            ctx.store_dir,
            severity=severity or None,
            reference_dir=ctx.reference_dirs,
        )
    except NotFoundError as exc:
        raise HTTPException(404, detail=str(exc)) from exc
    except (ConfigError, RuleDefinitionError, StoreError) as exc:
        return _rule_page(
            request,
            actor,
            rule_id,
            status_code=400,
            error=str(exc),
            dry_severity=severity,
        )
    return _rule_page(request, actor, rule_id, dry=result, dry_severity=severity)


_SWITCH = {"": None, "on": True, "off": False}


@router.post("/rules/{rule_id}/overrides")
def rule_override_submit(
    request: Request,
    actor: Supervisor,
    rule_id: str,
    *,
    why: Annotated[str, Form()] = "",
    enabled: Annotated[str, Form()] = "",
    severity: Annotated[str, Form()] = "",
    params: Annotated[str, Form()] = "",
) -> Response:
    """Record a supervisor's override of the rule, with the reason."""
    ctx = context_of(request)
    form = {"why": why, "enabled": enabled, "severity": severity, "params": params}
    try:
        change = record_override(
            actor,
            ctx.rule_overrides,
            rule_id=rule_id,
            why=why,
            enabled=_SWITCH.get(enabled),
            severity=severity or None,
            params=parse_params(params),
        )
    except NotFoundError as exc:
        raise HTTPException(404, detail=str(exc)) from exc
    except (ConfigError, RuleDefinitionError) as exc:
        return _rule_page(
            request,
            actor,
            rule_id,
            status_code=400,
            override_error=str(exc),
            form=form,
        )
    return RedirectResponse(
        f"/rules/{change.rule}?recorded=1#overrides", status_code=303
    )


__all__ = ["router"]
