"""The insurer's resources: claims explained, leads, rules, dry runs, the money.

The same services as the pages, with the same scoping: a facility's token sees
its own claims only (another facility's claim is 404), the Ministry's and
administrators' tokens no claim (403); leads, dry runs and the money report are
the insurer's. Money is a JSON number of đồng.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from giamdinh.api.common import Context, Page, PageQuery, TokenActor
from giamdinh.domain import Severity
from giamdinh.review.workflow import CaseState
from giamdinh.rules.model import Family
from giamdinh.services.check_model import Money, money_json
from giamdinh.services.claims import (
    BasisView,
    ClaimFinding,
    NotFoundError,
    list_claims,
    show_claim,
)
from giamdinh.services.dashboard import MoneyRow, money_breakdown
from giamdinh.services.leads import list_leads
from giamdinh.services.rulebook import (
    RuleSummary,
    VersionView,
    rule_catalogue,
    rule_detail,
    rule_dry_run,
)
from giamdinh.signals.model import SIGNALS

router = APIRouter(tags=["assessment"])

Status = Literal["findings", "refused", "adjusted", "under_review"]
Outcome = Literal["payable", "refused", "adjusted", "under_review"]
JsonValue = str | int | float | bool | None
SIGNAL_CODES = "^(" + "|".join(SIGNALS) + ")$"


def _json(value: Any) -> JsonValue:
    if isinstance(value, Decimal):
        return money_json(value) if value.is_finite() else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _not_found(exc: NotFoundError) -> HTTPException:
    return HTTPException(404, detail=str(exc))


# ------------------------------------------------------------------ claims


class ClaimItem(BaseModel):
    """One claim of the newest run with its money."""

    ma_lk: str
    ma_cskcb: str
    month: str | None = Field(description="YYYY-MM of discharge (the ledger's month)")
    claimed: Money
    payable: Money
    refused: Money
    adjusted: Money
    under_review: Money
    findings: int


@router.get("/claims")
def get_claims(
    actor: TokenActor,
    ctx: Context,
    paging: PageQuery,
    *,
    facility: Annotated[str | None, Query(max_length=16)] = None,
    status: Status | None = None,
    q: Annotated[
        str | None, Query(max_length=100, description="Part of a MA_LK.")
    ] = None,
) -> Page[ClaimItem]:
    """List the newest run's claims (most money at stake first)."""
    found = list_claims(
        actor,
        ctx.store_dir,
        facility=facility,
        status=status,
        search=q,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page[ClaimItem](
        items=[
            ClaimItem(
                ma_lk=c.ma_lk,
                ma_cskcb=c.ma_cskcb,
                month=c.month,
                claimed=c.claimed,
                payable=c.payable,
                refused=c.refused,
                adjusted=c.adjusted,
                under_review=c.under_review,
                findings=c.findings,
            )
            for c in found.items
        ],
        total=found.total,
        limit=paging.limit,
        offset=paging.offset,
    )


class BasisOut(BaseModel):
    """A legal basis and how far its citation was verified."""

    cite: str
    document: str
    article: str
    clause: str
    signed: date | None
    in_force: date | None
    verified: Literal["yes", "partly", "no"] | None
    source: str | None


def _basis(b: BasisView) -> BasisOut:
    return BasisOut(
        cite=b.cite,
        document=b.document,
        article=b.article,
        clause=b.clause,
        signed=b.signed,
        in_force=b.in_force,
        verified=b.verified,
        source=b.source,
    )


class TimeEvidenceOut(BaseModel):
    """Measured against reference time: evidence, never a ground for refusal."""

    measured: JsonValue
    reference: JsonValue
    measured_field: str | None
    reference_field: str | None
    unit: str
    ground: Literal[False] = Field(
        default=False, description="Time is never a ground for refusal."
    )


class FindingOut(BaseModel):
    """One finding of a rule, with its basis, amount and rendered message."""

    rule_id: str
    rule_version: int
    title: str
    title_en: str
    severity: Severity
    table: str | None
    stt: int | None
    code: str | None
    amount: Money
    message: str
    message_en: str
    refusal_code: str | None
    basis: list[BasisOut]
    evidence: dict[str, JsonValue]
    time_evidence: TimeEvidenceOut | None


def _finding(f: ClaimFinding) -> FindingOut:
    return FindingOut(
        rule_id=f.rule_id,
        rule_version=f.rule_version,
        title=f.title,
        title_en=f.title_en,
        severity=f.severity,
        table=f.tbl,
        stt=f.stt,
        code=f.code,
        amount=f.amount,
        message=f.message,
        message_en=f.message_en,
        refusal_code=f.refusal_code,
        basis=[_basis(b) for b in f.basis],
        evidence={k: _json(v) for k, v in f.evidence.items()},
        time_evidence=TimeEvidenceOut(
            measured=_json(f.time.measured),
            reference=_json(f.time.reference),
            measured_field=f.time.measured_field,
            reference_field=f.time.reference_field,
            unit=f.time.unit_en,
        )
        if f.time
        else None,
    )


class CaseDecisionOut(BaseModel):
    """The latest joint-verification decision on a line."""

    case: str
    round: int
    payable: Money
    refused: Money
    adjusted: Money
    reason: str
    basis: str | None
    decided_by: str
    decided_on: date


class LineOut(BaseModel):
    """One XML2/XML3 line: billed, decided, and why."""

    table: str
    stt: int
    code: str
    name: str | None
    unit: str | None
    quantity: Money | None
    price: Money | None
    service_date: date | None
    claimed: Money
    payable: Money
    refused: Money
    adjusted: Money
    under_review: Money
    decision: Outcome
    findings: list[FindingOut]
    case: str | None
    case_decision: CaseDecisionOut | None


class ClaimHeaderOut(BaseModel):
    """The claim's header; the patient by MA_BN and a masked name only."""

    ma_lk: str
    ma_cskcb: str
    month: str | None
    ma_bn: str | None
    patient: str = Field(description="initials only")
    admitted: datetime | None
    discharged: datetime | None
    ma_benh_chinh: str | None
    ma_benh_kt: list[str]
    ma_loai_kcb: str | None


class MoneyOut(BaseModel):
    """Money in đồng: claimed = payable + refused + adjusted + under review."""

    claimed: Money
    payable: Money
    refused: Money
    adjusted: Money
    under_review: Money


class ClaimCaseOut(BaseModel):
    """A joint-verification case holding lines of the claim."""

    code: str
    state: CaseState
    title: str
    title_en: str
    lines: int


class ClaimOut(BaseModel):
    """One claim explained line by line."""

    run: str
    rule_set: str
    header: ClaimHeaderOut
    money: MoneyOut
    lines: list[LineOut]
    claim_findings: list[FindingOut]
    cases: list[ClaimCaseOut]


@router.get("/claims/{ma_lk}")
def get_claim(actor: TokenActor, ctx: Context, ma_lk: str) -> ClaimOut:
    """Return one claim: every line, its decision, findings, bases and amounts."""
    try:
        claim = show_claim(actor, ctx.store_dir, ma_lk, database_url=ctx.database_url)
    except NotFoundError as exc:
        raise _not_found(exc) from exc
    h = claim.header
    return ClaimOut(
        run=claim.run,
        rule_set=claim.rule_set,
        header=ClaimHeaderOut(
            ma_lk=h.ma_lk,
            ma_cskcb=h.ma_cskcb,
            month=h.month,
            ma_bn=h.ma_bn,
            patient=h.patient,
            admitted=h.admitted,
            discharged=h.discharged,
            ma_benh_chinh=h.ma_benh_chinh,
            ma_benh_kt=h.ma_benh_kt,
            ma_loai_kcb=h.ma_loai_kcb,
        ),
        money=MoneyOut(**claim.money),
        lines=[
            LineOut(
                table=ln.tbl,
                stt=ln.stt,
                code=ln.code,
                name=ln.name,
                unit=ln.unit,
                quantity=ln.quantity,
                price=ln.price,
                service_date=ln.service_date,
                claimed=ln.claimed,
                payable=ln.payable,
                refused=ln.refused,
                adjusted=ln.adjusted,
                under_review=ln.under_review,
                decision=ln.status,
                findings=[_finding(f) for f in ln.findings],
                case=ln.case,
                case_decision=CaseDecisionOut(
                    case=ln.decision.case,
                    round=ln.decision.round,
                    payable=ln.decision.payable,
                    refused=ln.decision.refused,
                    adjusted=ln.decision.adjusted,
                    reason=ln.decision.reason,
                    basis=ln.decision.basis,
                    decided_by=ln.decision.decided_by,
                    decided_on=ln.decision.decided_on,
                )
                if ln.decision
                else None,
            )
            for ln in claim.lines
        ],
        claim_findings=[_finding(f) for f in claim.claim_findings],
        cases=[
            ClaimCaseOut(
                code=c.code,
                state=c.state,
                title=c.title,
                title_en=c.title_en,
                lines=c.lines,
            )
            for c in claim.cases
        ],
    )


# ------------------------------------------------------------------ leads


class LineRefOut(BaseModel):
    """A claim line a lead involves."""

    ma_lk: str
    stt: int


class LeadCaseOut(BaseModel):
    """A case opened from a lead for one facility."""

    code: str
    state: CaseState
    ma_cskcb: str


class LeadOut(BaseModel):
    """One ranked lead: it targets an inspection, never refuses."""

    rank: int
    lead_id: str
    code: str
    name: str
    title: str
    title_vi: str
    severity: Severity
    period_start: date
    period_end: date | None
    facilities: list[str]
    practitioner: str | None
    machine: str | None
    ma_dich_vu: str | None
    message: str
    message_en: str
    arithmetic: str
    amount: Money
    score: float
    evidence: dict[str, Any]
    n_lines: int
    lines: list[LineRefOut]
    cases: list[LeadCaseOut]


@router.get("/leads")
def get_leads(
    actor: TokenActor,
    ctx: Context,
    paging: PageQuery,
    code: Annotated[str | None, Query(pattern=SIGNAL_CODES)] = None,
    facility: Annotated[str | None, Query(max_length=16)] = None,
) -> Page[LeadOut]:
    """List the store's leads in rank order, with their lines and cases."""
    found = list_leads(
        actor,
        ctx.store_dir,
        database_url=ctx.database_url,
        code=code,
        facility=facility,
        limit=paging.limit,
        offset=paging.offset,
    )
    items = []
    for row in found.items:
        lead = row.lead
        spec = SIGNALS.get(lead.code)
        items.append(
            LeadOut(
                rank=row.rank,
                lead_id=lead.lead_id,
                code=lead.code,
                name=lead.name,
                title=spec.title if spec else lead.name,
                title_vi=spec.title_vi if spec else lead.name,
                severity=lead.severity,
                period_start=lead.period.start,
                period_end=lead.period.end,
                facilities=row.facilities,
                practitioner=lead.practitioner,
                machine=lead.machine,
                ma_dich_vu=lead.ma_dich_vu,
                message=lead.message,
                message_en=lead.message_en,
                arithmetic=lead.arithmetic,
                amount=lead.amount,
                score=lead.score,
                evidence=lead.evidence,
                n_lines=lead.n_lines if lead.n_lines is not None else len(lead.lines),
                lines=[LineRefOut(ma_lk=x.ma_lk, stt=x.stt) for x in lead.lines],
                cases=[
                    LeadCaseOut(code=c.code, state=c.state, ma_cskcb=c.ma_cskcb)
                    for c in row.cases
                ],
            )
        )
    return Page[LeadOut](
        items=items, total=found.total, limit=paging.limit, offset=paging.offset
    )


# ------------------------------------------------------------------ rules


class VersionBrief(BaseModel):
    """A rule version's severity and period."""

    version: int
    severity: Severity
    start: date
    end: date | None


class RuleItem(BaseModel):
    """One rule of the catalogue with its state in this deployment."""

    id: str
    title: str
    title_en: str
    family: Family
    family_description: str
    severity: Severity
    is_time: bool = Field(description="Rests on execution or machine time.")
    enabled_here: bool
    severity_here: Severity | None
    overridden: bool
    versions: list[VersionBrief]
    basis: list[str] = Field(description="Citations of the newest version.")


def _item(r: RuleSummary) -> RuleItem:
    return RuleItem(
        id=r.id,
        title=r.title,
        title_en=r.title_en,
        family=r.family,
        family_description=r.family.description,
        severity=r.severity,
        is_time=r.is_time,
        enabled_here=r.state.enabled,
        severity_here=r.state.severity,
        overridden=r.state.overridden,
        versions=[
            VersionBrief(
                version=v.version, severity=v.severity, start=v.start, end=v.end
            )
            for v in r.versions
        ],
        basis=[b.cite for b in r.latest.basis],
    )


@router.get("/rules")
def get_rules(
    actor: TokenActor,
    ctx: Context,
    paging: PageQuery,
    family: Family | None = None,
    severity: Severity | None = None,
) -> Page[RuleItem]:
    """List the rule set (by id) with each rule's state in this deployment."""
    rules = rule_catalogue(
        actor,
        overrides_path=ctx.rule_overrides,
        family=family.value if family else None,
        severity=severity.value if severity else None,
    )
    return paging.page([_item(r) for r in rules])


class VersionOut(BaseModel):
    """One version of a rule in full."""

    version: int
    name: str
    severity: Severity
    max_severity: Severity | None
    start: date
    end: date | None
    published: date
    grain: str
    table: str | None
    params: dict[str, JsonValue]
    message: str
    message_en: str
    basis: list[BasisOut]
    evidence: list[str]
    is_time: bool
    refusal_code: str | None
    topic: str | None
    time_condition: str
    sql: str


def _version(v: VersionView) -> VersionOut:
    return VersionOut(
        version=v.version,
        name=v.name,
        severity=v.severity,
        max_severity=v.max_severity,
        start=v.start,
        end=v.end,
        published=v.published,
        grain=v.grain,
        table=v.table,
        params={k: _json(x) for k, x in v.params.items()},
        message=v.message,
        message_en=v.message_en,
        basis=[_basis(b) for b in v.basis],
        evidence=list(v.evidence),
        is_time=v.is_time,
        refusal_code=v.refusal_code,
        topic=v.topic,
        time_condition=v.time_condition,
        sql=v.sql,
    )


class OverrideOut(BaseModel):
    """One recorded override: who, when, why, what."""

    rule: str
    enabled: bool | None
    severity: Severity | None
    params: dict[str, int | str] | None
    by: str
    why: str
    at: datetime


class ExampleFindingOut(BaseModel):
    """What the rule found on an example."""

    ma_lk: str | None
    stt: int | None
    severity: Severity
    amount: Money | None
    message: str
    message_en: str


class ExampleOut(BaseModel):
    """A documented case of the rule, executed."""

    name: str
    description: str
    given: dict[str, list[dict[str, str]]]
    findings: list[ExampleFindingOut]


class RuleOut(RuleItem):
    """One rule in full: what it checks, versions, examples, overrides."""

    doc: list[str]
    rule_versions: list[VersionOut]
    allowed_severities: list[Severity]
    examples: list[ExampleOut]
    overrides: list[OverrideOut] | None = Field(
        description="This deployment's overrides (null for facility staff)."
    )


@router.get("/rules/{rule_id}")
def get_rule(actor: TokenActor, ctx: Context, rule_id: str) -> RuleOut:
    """Return one rule: versions with bases, examples, this deployment's overrides."""
    try:
        detail = rule_detail(actor, rule_id, overrides_path=ctx.rule_overrides)
    except NotFoundError as exc:
        raise _not_found(exc) from exc
    base = _item(detail.summary)
    return RuleOut(
        **base.model_dump(),
        doc=detail.doc,
        rule_versions=[_version(v) for v in detail.summary.versions],
        allowed_severities=detail.allowed_severities,
        examples=[
            ExampleOut(
                name=e.name,
                description=e.description,
                given=e.given,
                findings=[
                    ExampleFindingOut(
                        ma_lk=f.ma_lk,
                        stt=f.stt,
                        severity=f.severity,
                        amount=f.amount,
                        message=f.message,
                        message_en=f.message_en,
                    )
                    for f in e.findings
                ],
            )
            for e in detail.examples
        ],
        overrides=[
            OverrideOut(
                rule=o.rule,
                enabled=o.enabled,
                severity=o.severity,
                params=o.params,
                by=o.by,
                why=o.why,
                at=o.at,
            )
            for o in detail.overrides
        ]
        if detail.overrides is not None
        else None,
    )


class DryRunIn(BaseModel):
    """A dry run's proposal."""

    severity: Severity | None = Field(
        default=None, description="Run the rule at this severity (else as coded)."
    )


class FacilityImpactOut(BaseModel):
    """Hits and money of the rule at one facility."""

    ma_cskcb: str
    hits: int
    claims: int
    amount: Money


class DryRunOut(BaseModel):
    """What the rule would do over the store's claims (nothing recorded)."""

    rule_id: str
    severity: Severity
    rule_set: str
    hits: int
    amount: Money
    facilities: list[FacilityImpactOut]


@router.post("/rules/{rule_id}/dry-run")
def post_dry_run(
    actor: TokenActor, ctx: Context, rule_id: str, body: DryRunIn | None = None
) -> DryRunOut:
    """Dry-run one rule over the store's claims (it may take a few seconds)."""
    proposal = body or DryRunIn()
    try:
        result = rule_dry_run(
            actor,
            rule_id,
            ctx.store_dir,
            severity=proposal.severity.value if proposal.severity else None,
            reference_dir=ctx.reference_dirs,
        )
    except NotFoundError as exc:
        raise _not_found(exc) from exc
    return DryRunOut(
        rule_id=result.rule_id,
        severity=result.severity,
        rule_set=result.rule_set,
        hits=result.hits,
        amount=result.amount,
        facilities=[
            FacilityImpactOut(
                ma_cskcb=f.ma_cskcb, hits=f.hits, claims=f.claims, amount=f.amount
            )
            for f in result.facilities
        ],
    )


# ------------------------------------------------------------------ money


class MoneyRowOut(BaseModel):
    """Claims and money of one month or one facility."""

    key: str = Field(description="YYYY-MM, or MA_CSKCB; '?' when unknown")
    claims: int
    claimed: Money
    payable: Money
    refused: Money
    adjusted: Money
    under_review: Money


class MoneyReportOut(BaseModel):
    """The newest run's money in all, by month and by facility."""

    run: str
    rule_set: str
    at: datetime | None
    claims: int
    totals: MoneyOut
    by_month: list[MoneyRowOut]
    by_facility: list[MoneyRowOut]


def _row(r: MoneyRow) -> MoneyRowOut:
    return MoneyRowOut(
        key=r.key,
        claims=r.claims,
        claimed=r.claimed,
        payable=r.payable,
        refused=r.refused,
        adjusted=r.adjusted,
        under_review=r.under_review,
    )


@router.get("/dashboard/money")
def get_money(actor: TokenActor, ctx: Context) -> MoneyReportOut:
    """Return the newest run's money by month (of discharge) and by facility."""
    money = money_breakdown(actor, ctx.store_dir)
    return MoneyReportOut(
        run=money.run,
        rule_set=money.rule_set,
        at=money.at,
        claims=money.claims,
        totals=MoneyOut(**money.totals),
        by_month=[_row(r) for r in money.by_month],
        by_facility=[_row(r) for r in money.by_facility],
    )


__all__ = ["router"]
