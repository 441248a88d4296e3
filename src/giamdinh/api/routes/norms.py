"""``/norms``: the economic-technical norms programme, for the Ministry's systems.

Read-only: progress (headline, by hospital, by chapter), the techniques (paged,
filtered), one technique (assignments, drafts compared line by line, the national
norm) and the cost of one service with the unit cost by annual volume. Only the
Ministry's accounts (role ``ministry``); every other role gets 403, checked again
in ``giamdinh.services.ministry``. Quantities and amounts are decimals written as
JSON strings (exact, never binary floating point).
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    PlainSerializer,
    WithJsonSchema,
)
from starlette.exceptions import HTTPException

from giamdinh.api.common import Context, Page, PageQuery, TokenActor, require
from giamdinh.norms.workflow import DraftState
from giamdinh.review.workflow import Role
from giamdinh.services import ministry

if TYPE_CHECKING:
    from collections.abc import Iterator

    from giamdinh.norms.progress import ProgressRow


router = APIRouter(prefix="/norms", tags=["norms"])

CodePath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=32,
        description="Technique code XX.YYYY (e.g. 12.0344).",
    ),
]


def _plain(value: Decimal) -> str:
    """Write a decimal in plain notation (``19500``, never ``1.95E+4``)."""
    return format(value, "f")


#: A decimal, exact, written as a JSON string in plain notation.
Dec = Annotated[Decimal, PlainSerializer(_plain, return_type=str, when_used="json")]
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: object) -> object:
    """Accept a day only as ``YYYY-MM-DD`` (not ``0`` read as a Unix time)."""
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        msg = "a day is written YYYY-MM-DD"
        raise ValueError(msg)
    return value


#: A day in the query, ISO only.
Day = Annotated[date, BeforeValidator(_iso_day)]
#: An annual volume (services a year): a number, declared as one (not "or text").
Volume = Annotated[
    Decimal,
    Field(gt=0, le=ministry.MAX_VOLUME),
    WithJsonSchema(
        {"type": "number", "exclusiveMinimum": 0, "maximum": int(ministry.MAX_VOLUME)}
    ),
]


@contextmanager
def _found() -> Iterator[None]:
    try:
        yield
    except ministry.TechniqueNotFoundError as exc:
        raise HTTPException(404, detail=str(exc)) from exc


# ------------------------------------------------------------------ models


class ProgressRowOut(BaseModel):
    """Counts for one hospital, one chapter or the programme."""

    key: str = Field(description="Hospital code, chapter, or '*' for the total.")
    name: str
    assigned: int
    qualified: int
    drafts_sent: int
    not_qualified: dict[str, int] = Field(
        description="By criterion: not_approved, not_performed, no_evidence."
    )
    overdue: int
    participating_drafts: int


class Headline(BaseModel):
    """The programme's three numbers (focal assignments)."""

    assigned: int
    qualified: int
    drafts_sent: int


class ProgressOut(BaseModel):
    """The programme as of a day."""

    as_of: date
    headline: Headline
    text: str = Field(description="'assigned 9,033 / qualified 5,386 / …'.")
    total: ProgressRowOut
    by_hospital: list[ProgressRowOut]
    by_chapter: list[ProgressRowOut]
    overdue: int = Field(description="Assignments past their deadline, not sent.")


class TechniqueOut(BaseModel):
    """A technique and its focal assignment's state."""

    code: str
    name: str
    chapter: str
    chapter_name: str | None
    focal_hospital: str | None
    focal_hospital_name: str | None
    state: DraftState | None
    deadline: date | None
    overdue: bool
    hospitals: int = Field(description="Hospitals assigned (focal and participating).")
    drafts: int = Field(description="Hospitals with a draft in the store.")
    national_version: int | None


class AssignmentOut(BaseModel):
    """One hospital's assignment of the technique and its latest draft."""

    hospital_code: str
    hospital_name: str
    is_focal: bool
    state: DraftState
    not_qualified_reason: str | None
    deadline: date | None
    overdue: bool
    draft_version: int | None
    draft_at: datetime | None
    annual_volume: Dec | None
    lines: int
    evidence: int
    open_comments: int


class LineComparisonOut(BaseModel):
    """One line across the hospitals' latest drafts."""

    category: str
    resource_code: str
    resource_name: str | None
    unit: str | None
    values: dict[str, Dec] = Field(
        description="Compared quantity by hospital: staff-minutes for labour, "
        "machine minutes for equipment, the quantity otherwise."
    )
    n: int
    n_drafts: int
    minimum: Dec
    p25: Dec
    median: Dec
    p75: Dec
    maximum: Dec
    mad: Dec
    outliers: list[str] = Field(
        description="Hospitals with |x − median| > max(3·1.4826·MAD, 25 % median)."
    )
    conditional: bool = Field(description="In fewer than half of the drafts.")


class NationalLineOut(BaseModel):
    """One line of the national norm."""

    line_no: int
    category: str
    resource_code: str
    resource_name: str | None
    unit: str | None
    value: Dec | None
    persons: Dec | None
    n: int
    n_drafts: int
    median: Dec | None
    outliers: list[str]
    conditional: bool
    override_value: Dec | None
    override_reason: str | None
    override_by: str | None


class NationalOut(BaseModel):
    """The technique's newest national norm."""

    version: int
    method: str
    status: str
    price_book_code: str | None
    hospitals: list[str]
    created_at: datetime
    created_by: str
    lines: list[NationalLineOut]


class TechniqueDetailOut(BaseModel):
    """One technique: assignments, drafts compared, national norm if any."""

    code: str
    name: str
    chapter: str
    chapter_name: str | None
    group: str | None
    service_unit: str
    assignments: list[AssignmentOut]
    hospitals: list[str] = Field(description="Hospitals whose drafts are compared.")
    volumes: dict[str, Dec] = Field(description="Declared annual volumes.")
    comparison: list[LineComparisonOut]
    national: NationalOut | None


class EquipmentOut(BaseModel):
    """How one machine's yearly fixed cost became a cost per minute."""

    resource_code: str
    purchase_value: Dec
    useful_life_years: Dec
    annual_fixed_cost: Dec
    capacity_minutes: Dec
    spread_minutes: Dec
    utilisation_applied: Dec
    cost_per_minute: Dec
    minutes_per_service: Dec
    idle_capacity_cost: Dec | None


class VolumePointOut(BaseModel):
    """Unit cost at one annual volume."""

    volume: Dec
    unit_cost: Dec
    fixed: Dec
    variable: Dec
    idle_capacity_cost: Dec | None


class CostOut(BaseModel):
    """The cost of one service (TT 21/2024/TT-BYT structure) and its volume curve."""

    technique_code: str
    subject: str = Field(description="'national vN' or 'HOSPITAL vN' (a draft).")
    price_book: str
    depreciation: str
    annual_volume: Dec | None
    components: dict[str, Dec] = Field(
        description="direct, salary, management, depreciation (đồng)."
    )
    unit_cost: Dec
    variable: Dec
    fixed: Dec
    excluded_from_price: Dec
    idle_capacity_cost: Dec | None
    missing_prices: list[str]
    equipment: list[EquipmentOut]
    curve: list[VolumePointOut]


def _row(row: ProgressRow) -> ProgressRowOut:
    return ProgressRowOut(
        key=row.key,
        name=row.name,
        assigned=row.assigned,
        qualified=row.qualified,
        drafts_sent=row.drafts_sent,
        not_qualified=dict(row.not_qualified),
        overdue=row.overdue,
        participating_drafts=row.participating_drafts,
    )


# ------------------------------------------------------------------ routes


@router.get("/progress")
def progress(
    actor: TokenActor,
    ctx: Context,
    as_of: Annotated[
        Day | None, Query(description="Report day YYYY-MM-DD (default today).")
    ] = None,
) -> ProgressOut:
    """Return the programme's progress: headline, by hospital and by chapter."""
    require(actor, Role.MINISTRY)
    report = ministry.programme_progress(
        actor, database_url=ctx.database_url, as_of=as_of
    )
    return ProgressOut(
        as_of=report.as_of,
        headline=Headline(
            assigned=report.total.assigned,
            qualified=report.total.qualified,
            drafts_sent=report.total.drafts_sent,
        ),
        text=report.headline(),
        total=_row(report.total),
        by_hospital=[_row(r) for r in report.by_hospital],
        by_chapter=[_row(r) for r in report.by_chapter],
        overdue=len(report.overdue),
    )


@router.get("/techniques")
def techniques(
    *,
    actor: TokenActor,
    ctx: Context,
    paging: PageQuery,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Part of the code or the name."),
    ] = None,
    state: Annotated[
        DraftState | None, Query(description="The focal assignment's state.")
    ] = None,
    chapter: Annotated[str | None, Query(max_length=8)] = None,
    hospital: Annotated[
        str | None, Query(max_length=32, description="A hospital assigned.")
    ] = None,
    with_drafts: Annotated[bool, Query(description="Only with drafts.")] = False,
) -> Page[TechniqueOut]:
    """Return the programme's techniques, by code, filtered and paged."""
    require(actor, Role.MINISTRY)
    rows = ministry.list_techniques(
        actor, database_url=ctx.database_url, query=q,
        state=state.value if state else None, chapter=chapter, hospital=hospital,
        with_drafts=with_drafts,
    )  # fmt: skip
    items = [
        TechniqueOut(
            code=r.code,
            name=r.name,
            chapter=r.chapter,
            chapter_name=r.chapter_name,
            focal_hospital=r.focal_hospital,
            focal_hospital_name=r.focal_hospital_name,
            state=r.state,
            deadline=r.deadline,
            overdue=r.overdue,
            hospitals=r.hospitals,
            drafts=r.drafts,
            national_version=r.national_version,
        )
        for r in rows[paging.offset : paging.offset + paging.limit]
    ]
    return Page[TechniqueOut](
        items=items, total=len(rows), limit=paging.limit, offset=paging.offset
    )


@router.get("/techniques/{code}")
def technique(actor: TokenActor, ctx: Context, code: CodePath) -> TechniqueDetailOut:
    """Return one technique: assignments, drafts compared, national norm if any."""
    require(actor, Role.MINISTRY)
    with _found():
        detail = ministry.technique_detail(actor, code, database_url=ctx.database_url)
    national = detail.national
    return TechniqueDetailOut(
        code=detail.code,
        name=detail.name,
        chapter=detail.chapter,
        chapter_name=detail.chapter_name,
        group=detail.group,
        service_unit=detail.service_unit,
        assignments=[
            AssignmentOut(
                hospital_code=a.hospital_code,
                hospital_name=a.hospital_name,
                is_focal=a.is_focal,
                state=a.state,
                not_qualified_reason=a.not_qualified_reason,
                deadline=a.deadline,
                overdue=a.overdue,
                draft_version=a.draft_version,
                draft_at=a.draft_at,
                annual_volume=a.annual_volume,
                lines=a.lines,
                evidence=a.evidence,
                open_comments=a.open_comments,
            )
            for a in detail.assignments
        ],
        hospitals=list(detail.hospitals),
        volumes=dict(detail.volumes),
        comparison=[
            LineComparisonOut(
                category=s.category.value,
                resource_code=s.resource_code,
                resource_name=s.resource_name,
                unit=s.unit,
                values=dict(s.values),
                n=s.n,
                n_drafts=s.n_drafts,
                minimum=s.minimum,
                p25=s.p25,
                median=s.median,
                p75=s.p75,
                maximum=s.maximum,
                mad=s.mad,
                outliers=list(s.outliers),
                conditional=s.conditional,
            )
            for s in detail.comparison
        ],
        national=None
        if national is None
        else NationalOut(
            version=national.version,
            method=national.method,
            status=national.status,
            price_book_code=national.price_book_code,
            hospitals=list(national.hospitals),
            created_at=national.created_at,
            created_by=national.created_by,
            lines=[
                NationalLineOut(
                    line_no=line.line_no,
                    category=line.category.value,
                    resource_code=line.resource_code,
                    resource_name=line.resource_name,
                    unit=line.unit,
                    value=line.value,
                    persons=line.persons,
                    n=line.n,
                    n_drafts=line.n_drafts,
                    median=line.median,
                    outliers=list(line.outliers),
                    conditional=line.conditional,
                    override_value=line.override_value,
                    override_reason=line.override_reason,
                    override_by=line.override_by,
                )
                for line in national.lines
            ],
        ),
    )


@router.get("/techniques/{code}/cost")
def cost(
    *,
    actor: TokenActor,
    ctx: Context,
    code: CodePath,
    volume: Annotated[
        Volume | None,
        Query(
            description="Annual volume the fixed costs are spread over (default: "
            "each machine's declared utilisation).",
        ),
    ] = None,
    hospital: Annotated[
        str | None,
        Query(
            max_length=32,
            description="Cost this hospital's latest draft (default: the national "
            "norm, or before one exists the first hospital's draft).",
        ),
    ] = None,
    depreciation: Annotated[
        Literal["straight_line", "annuity"], Query(description="Depreciation.")
    ] = "straight_line",
    curve: Annotated[
        list[Volume] | None,
        Query(
            max_length=50,
            description="Annual volumes of the curve (default: 10 %…100 % of the "
            "machines' capacity and the drafts' volumes).",
        ),
    ] = None,
) -> CostOut:
    """Return the cost of one service and the unit cost by annual volume."""
    require(actor, Role.MINISTRY)
    with _found():
        result = ministry.technique_cost(
            actor, code, database_url=ctx.database_url, hospital=hospital,
            volume=volume, depreciation=depreciation, curve=curve or (),
        )  # fmt: skip
    b = result.breakdown
    return CostOut(
        technique_code=result.technique_code,
        subject=result.subject,
        price_book=b.price_book,
        depreciation=b.params.method.value,
        annual_volume=b.params.annual_volume,
        components={k.value: v for k, v in b.components.items()},
        unit_cost=b.unit_cost,
        variable=b.variable,
        fixed=b.fixed,
        excluded_from_price=b.excluded_from_price,
        idle_capacity_cost=b.idle_capacity_cost,
        missing_prices=list(b.missing_prices),
        equipment=[
            EquipmentOut(
                resource_code=e.resource_code,
                purchase_value=e.purchase_value,
                useful_life_years=e.useful_life_years,
                annual_fixed_cost=e.annual_fixed_cost,
                capacity_minutes=e.capacity_minutes,
                spread_minutes=e.spread_minutes,
                utilisation_applied=e.utilisation_applied,
                cost_per_minute=e.cost_per_minute,
                minutes_per_service=e.minutes_per_service,
                idle_capacity_cost=e.idle_capacity_cost,
            )
            for e in b.equipment
        ],
        curve=[
            VolumePointOut(
                volume=p.volume,
                unit_cost=p.unit_cost,
                fixed=p.fixed,
                variable=p.variable,
                idle_capacity_cost=p.idle_capacity_cost,
            )
            for p in result.curve
        ],
    )


__all__ = ["router"]
