"""The norms programme as the Ministry works it, for the web pages and the API.

Every function takes the ``Actor`` and checks the role here, in the service layer:
the Ministry's norms team (``ministry``) reads and consolidates; every other role,
``admin`` included, is refused (``ForbiddenError``). The programme holds no claim
and no patient, but it is the Ministry's working material (drafts not yet
consolidated, hospitals' volumes): the administrator manages accounts, not the
programme, so the least privilege that lets each do their work is this one.

Nothing here computes anew what ``giamdinh.services.norms`` (the CLI's use cases)
already does: progress, comparison, consolidation, cost and the workbooks come from
there. What is added is what a page needs and the CLI does in its own module: the
list of techniques with their state, one technique's assignments and drafts, the
overrides of the current national norm carried into a new consolidation, the
annual volumes a cost curve is drawn at, and the workbooks as bytes.
"""

from __future__ import annotations

import tempfile
import unicodedata
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import func, select

from giamdinh.config import get_settings
from giamdinh.db import make_engine, make_session_factory, session_scope
from giamdinh.db.models.norms import (
    NationalNorm,
    NormAssignment,
    NormComment,
    NormDraft,
    NormHospital,
    NormTechnique,
)
from giamdinh.errors import ConfigError, ForbiddenError
from giamdinh.norms import store
from giamdinh.norms.consolidate import Method, Override, compare
from giamdinh.norms.cost import service_capacity
from giamdinh.norms.model import LineCategory
from giamdinh.norms.workflow import DraftState
from giamdinh.review.workflow import Role
from giamdinh.services import norms as norms_service

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from sqlalchemy.orm import Session

    from giamdinh.norms.consolidate import LineStats
    from giamdinh.norms.progress import ProgressReport
    from giamdinh.review.workflow import Actor
    from giamdinh.services.norms import ConsolidationResult, CostResult

#: Who reads the programme and who consolidates (the same team).
READERS = frozenset({Role.MINISTRY})
WRITERS = frozenset({Role.MINISTRY})
#: States of an assignment that has not sent a draft yet and is not closed.
OPEN_BEFORE_DRAFT = frozenset(
    {DraftState.ASSIGNED, DraftState.QUALIFIED, DraftState.DRAFTING}
)
#: Shares of the machines' yearly capacity a cost curve is drawn at.
CURVE_SHARES = tuple(Decimal(k) / 10 for k in range(1, 11))
#: Largest annual volume a cost is asked at (services a year; no machine does more).
MAX_VOLUME = Decimal(10_000_000)
METHODS = tuple(Method)
STATES = tuple(DraftState)
DEPRECIATION_METHODS = ("straight_line", "annuity")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TechniqueNotFoundError(ConfigError):
    """No such technique, or no such assignment of it (a page answers 404)."""


def _may_read(actor: Actor) -> None:
    if actor.role not in READERS:
        msg = (
            "chỉ Bộ Y tế (nhóm định mức) xem được chương trình định mức / only the "
            "Ministry's norms team may see the norms programme"
        )
        raise ForbiddenError(msg)


def _may_write(actor: Actor) -> None:
    if actor.role not in WRITERS:
        msg = (
            "chỉ Bộ Y tế (nhóm định mức) tổng hợp được định mức / only the "
            "Ministry's norms team may consolidate a norm"
        )
        raise ForbiddenError(msg)


@contextmanager
def _session(database_url: str | None) -> Iterator[Session]:
    engine = make_engine(database_url or get_settings().database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def today() -> date:
    """Return today's date (UTC), the default day of a report."""
    return datetime.now(tz=UTC).date()


def _fold(text: str) -> str:
    """Return ``text`` without case or Vietnamese diacritics (for searching)."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _technique(session: Session, code: str) -> NormTechnique:
    # NOTE: a control character never names a technique (and PostgreSQL refuses
    # a NUL in a query), so such a code is "not found" without asking the store.
    technique = session.get(NormTechnique, code) if code.isprintable() else None
    if technique is None:
        msg = (
            f"không có kỹ thuật {code} trong chương trình / no technique {code} "
            "in the programme"
        )
        raise TechniqueNotFoundError(msg)
    return technique


# ------------------------------------------------------------------ progress


def _report_day(as_of: date | None) -> date | None:
    """Return the report day; the last day of the calendar counts as the day before.

    A report counts the events up to the end of its day, so its day must have a
    next one (``date.max`` has none): a later report says the same as that one.
    """
    if as_of is not None and as_of >= date.max:
        return date.max - timedelta(days=1)
    return as_of


def programme_progress(
    actor: Actor, *, database_url: str | None = None, as_of: date | None = None
) -> ProgressReport:
    """Return the programme's progress as of a day (default today).

    Raises:
        ForbiddenError: the actor is not the Ministry's.
    """
    _may_read(actor)
    return norms_service.progress(database_url, as_of=_report_day(as_of))


# ------------------------------------------------------------------ techniques


@dataclass(frozen=True, slots=True, kw_only=True)
class TechniqueRow:
    """One technique of the programme as listed: its focal assignment's state."""

    code: str
    name: str
    chapter: str
    chapter_name: str | None
    focal_hospital: str | None
    focal_hospital_name: str | None
    state: DraftState | None
    deadline: date | None
    overdue: bool
    hospitals: int
    drafts: int
    national_version: int | None


class _Assigned(NamedTuple):
    id: int
    technique_code: str
    hospital_code: str
    is_focal: bool
    state: str
    deadline: date | None


def list_techniques(
    actor: Actor,
    *,
    database_url: str | None = None,
    query: str | None = None,
    state: str | None = None,
    chapter: str | None = None,
    hospital: str | None = None,
    with_drafts: bool = False,
) -> list[TechniqueRow]:
    """Return the programme's techniques, by code, filtered.

    Args:
        actor: who asks (the Ministry's).
        database_url: the operational store.
        query: part of the code (from its start) or of the name, without regard
            to case or diacritics.
        state: the focal assignment's state (``DraftState`` value).
        chapter: the chapter (``18`` for ``18.0165``).
        hospital: a hospital the technique is assigned to (focal or not).
        with_drafts: only techniques with at least one draft.

    Raises:
        ForbiddenError: the actor is not the Ministry's.
        ConfigError: an unknown state.
    """
    _may_read(actor)
    wanted_state: DraftState | None = None
    if state:
        try:
            wanted_state = DraftState(state)
        except ValueError as exc:
            states = ", ".join(s.value for s in DraftState)
            msg = f"trạng thái {state!r} không có / unknown state; use one of {states}"
            raise ConfigError(msg) from exc
    needle = _fold(query.strip()) if query and query.strip() else None
    day = today()
    with _session(database_url) as session:
        names = dict(
            session.execute(select(NormHospital.code, NormHospital.name)).all()
        )
        with_draft = set(session.scalars(select(NormDraft.assignment_id).distinct()))
        national = dict(
            session.execute(
                select(
                    NationalNorm.technique_code, func.max(NationalNorm.version)
                ).group_by(NationalNorm.technique_code)
            ).all()
        )
        by_technique: dict[str, list[_Assigned]] = defaultdict(list)
        for row in session.execute(
            select(
                NormAssignment.id,
                NormAssignment.technique_code,
                NormAssignment.hospital_code,
                NormAssignment.is_focal,
                NormAssignment.state,
                NormAssignment.deadline,
            )
        ):
            by_technique[row[1]].append(_Assigned(*row))
        techniques = session.execute(
            select(
                NormTechnique.code,
                NormTechnique.name,
                NormTechnique.chapter,
                NormTechnique.chapter_name,
            ).order_by(NormTechnique.code)
        )
        rows: list[TechniqueRow] = []
        for code, name, technique_chapter, chapter_name in techniques:
            assignments = by_technique.get(code, [])
            if hospital and all(a.hospital_code != hospital for a in assignments):
                continue
            if chapter and technique_chapter != chapter:
                continue
            if needle and not (code.startswith(needle) or needle in _fold(name)):
                continue
            focal = next((a for a in assignments if a.is_focal), None)
            focal_state = DraftState(focal.state) if focal is not None else None
            if wanted_state is not None and focal_state is not wanted_state:
                continue
            drafts = sum(1 for a in assignments if a.id in with_draft)
            if with_drafts and not drafts:
                continue
            deadline = focal.deadline if focal is not None else None
            rows.append(
                TechniqueRow(
                    code=code,
                    name=name,
                    chapter=technique_chapter,
                    chapter_name=chapter_name,
                    focal_hospital=focal.hospital_code if focal else None,
                    focal_hospital_name=names.get(focal.hospital_code)
                    if focal
                    else None,
                    state=focal_state,
                    deadline=deadline,
                    overdue=bool(
                        deadline is not None
                        and deadline < day
                        and focal_state in OPEN_BEFORE_DRAFT
                    ),
                    hospitals=len(assignments),
                    drafts=drafts,
                    national_version=national.get(code),
                )
            )
    return rows


def chapters(actor: Actor, *, database_url: str | None = None) -> list[tuple[str, str]]:
    """Return the chapters of the programme's techniques: ``(chapter, name)``."""
    _may_read(actor)
    with _session(database_url) as session:
        found = session.execute(
            select(NormTechnique.chapter, func.max(NormTechnique.chapter_name))
            .group_by(NormTechnique.chapter)
            .order_by(NormTechnique.chapter)
        )
        return [(code, name or code) for code, name in found]


def hospitals(
    actor: Actor, *, database_url: str | None = None
) -> list[tuple[str, str]]:
    """Return the programme's hospitals: ``(code, name)``, by code."""
    _may_read(actor)
    with _session(database_url) as session:
        return list(
            session.execute(
                select(NormHospital.code, NormHospital.name).order_by(NormHospital.code)
            )
        )


# ------------------------------------------------------------------ one technique


@dataclass(frozen=True, slots=True, kw_only=True)
class AssignmentView:
    """One hospital's assignment of the technique, with its latest draft."""

    hospital_code: str
    hospital_name: str
    is_focal: bool
    state: DraftState
    not_qualified_reason: str | None
    deadline: date | None
    overdue: bool
    draft_version: int | None
    draft_at: datetime | None
    annual_volume: Decimal | None
    lines: int
    evidence: int
    open_comments: int


@dataclass(frozen=True, slots=True, kw_only=True)
class NationalLineView:
    """One line of the current national norm, with how its value was reached."""

    line_no: int
    category: LineCategory
    resource_code: str
    resource_name: str | None
    unit: str | None
    value: Decimal | None
    persons: Decimal | None
    n: int
    n_drafts: int
    median: Decimal | None
    outliers: tuple[str, ...]
    conditional: bool
    override_value: Decimal | None
    override_reason: str | None
    override_by: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class NationalView:
    """The technique's newest national norm."""

    version: int
    method: str
    status: str
    price_book_code: str | None
    hospitals: tuple[str, ...]
    created_at: datetime
    created_by: str
    lines: tuple[NationalLineView, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class TechniqueDetail:
    """One technique: assignments, the drafts compared line by line, the norm."""

    code: str
    name: str
    chapter: str
    chapter_name: str | None
    group: str | None
    service_unit: str
    assignments: tuple[AssignmentView, ...]
    hospitals: tuple[str, ...]
    volumes: dict[str, Decimal]
    comparison: tuple[LineStats, ...]
    national: NationalView | None

    @property
    def has_drafts(self) -> bool:
        """Return whether any hospital has sent lines to compare."""
        return bool(self.comparison)


def _json_list(text: str | None) -> tuple[str, ...]:
    import json  # noqa: PLC0415

    if not text:
        return ()
    value = json.loads(text)
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _national_view(norm: NationalNorm) -> NationalView:
    return NationalView(
        version=norm.version,
        method=norm.method,
        status=norm.status,
        price_book_code=norm.price_book_code,
        hospitals=_json_list(norm.source_drafts),
        created_at=norm.created_at,
        created_by=norm.created_by,
        lines=tuple(
            NationalLineView(
                line_no=line.line_no,
                category=LineCategory(line.category),
                resource_code=line.resource_code,
                resource_name=line.resource_name,
                unit=line.unit,
                value=line.value,
                persons=line.persons,
                n=line.n,
                n_drafts=line.n_drafts,
                median=line.median,
                outliers=_json_list(line.outliers),
                conditional=line.conditional,
                override_value=line.override_value,
                override_reason=line.override_reason,
                override_by=line.override_by,
            )
            for line in norm.lines
        ),
    )


def technique_detail(
    actor: Actor, code: str, *, database_url: str | None = None
) -> TechniqueDetail:
    """Return one technique: its assignments, drafts compared, the national norm.

    Raises:
        ForbiddenError: the actor is not the Ministry's.
        TechniqueNotFoundError: no such technique.
    """
    _may_read(actor)
    day = today()
    with _session(database_url) as session:
        technique = _technique(session, code)
        assignments = session.scalars(
            select(NormAssignment)
            .where(NormAssignment.technique_code == code)
            .order_by(NormAssignment.is_focal.desc(), NormAssignment.hospital_code)
        ).all()
        views: list[AssignmentView] = []
        for assignment in assignments:
            draft = store.latest_draft_row(session, assignment.id)
            open_comments = (
                session.scalar(
                    select(func.count())
                    .select_from(NormComment)
                    .where(
                        NormComment.draft_id == draft.id,
                        NormComment.resolved.is_(False),
                    )
                )
                if draft is not None
                else 0
            )
            state = DraftState(assignment.state)
            views.append(
                AssignmentView(
                    hospital_code=assignment.hospital_code,
                    hospital_name=assignment.hospital.name,
                    is_focal=assignment.is_focal,
                    state=state,
                    not_qualified_reason=assignment.not_qualified_reason,
                    deadline=assignment.deadline,
                    overdue=bool(
                        assignment.deadline is not None
                        and assignment.deadline < day
                        and state in OPEN_BEFORE_DRAFT
                    ),
                    draft_version=draft.version if draft else None,
                    draft_at=draft.created_at if draft else None,
                    annual_volume=draft.annual_volume if draft else None,
                    lines=len(draft.lines) if draft else 0,
                    evidence=len(draft.evidence) if draft else 0,
                    open_comments=int(open_comments or 0),
                )
            )
        drafts = store.latest_drafts(session, code)
        norm = store.national_norm(session, code)
        return TechniqueDetail(
            code=technique.code,
            name=technique.name,
            chapter=technique.chapter,
            chapter_name=technique.chapter_name,
            group=technique.group,
            service_unit=technique.service_unit,
            assignments=tuple(views),
            hospitals=tuple(d.hospital_code for d in drafts),
            volumes={
                d.hospital_code: d.annual_volume
                for d in drafts
                if d.annual_volume is not None
            },
            comparison=tuple(compare(drafts)) if drafts else (),
            national=_national_view(norm) if norm is not None else None,
        )


# ------------------------------------------------------------------ consolidation


@dataclass(frozen=True, slots=True, kw_only=True)
class OverrideRequest:
    """A reviewer's value for one line (``category:resource_code``) and why."""

    line: str
    value: Decimal
    reason: str


def _current_overrides(session: Session, code: str) -> list[Override]:
    norm = store.national_norm(session, code)
    if norm is None:
        return []
    return [
        Override(
            category=LineCategory(line.category),
            resource_code=line.resource_code,
            value=line.override_value,
            reason=line.override_reason or "",
            by=line.override_by or norm.created_by,
        )
        for line in norm.lines
        if line.override_value is not None
    ]


def _parse_override(request: OverrideRequest, by: str) -> Override:
    category, _, resource = request.line.partition(":")
    try:
        parsed = LineCategory(category)
    except ValueError as exc:
        msg = (
            f"dòng {request.line!r} không hợp lệ, cần NHÓM:MÃ / line {request.line!r}"
            " must be CATEGORY:CODE"
        )
        raise ConfigError(msg) from exc
    if not resource:
        msg = f"dòng {request.line!r} thiếu mã / line {request.line!r} has no code"
        raise ConfigError(msg)
    if not request.reason.strip():
        msg = "điều chỉnh cần lý do / an override needs a reason"
        raise ConfigError(msg)
    if request.value < 0:
        msg = "giá trị điều chỉnh không âm / an override value cannot be negative"
        raise ConfigError(msg)
    return Override(
        category=parsed,
        resource_code=resource,
        value=request.value,
        reason=request.reason.strip(),
        by=by,
    )


def _overrides(
    actor: Actor,
    code: str,
    *,
    database_url: str | None,
    keep_overrides: bool,
    override: OverrideRequest | None,
) -> list[Override]:
    with _session(database_url) as session:
        _technique(session, code)
        kept = _current_overrides(session, code) if keep_overrides else []
        present = {
            line.key
            for draft in store.latest_drafts(session, code)
            for line in draft.lines
        }
    chosen = {
        (o.category.value, o.resource_code): o
        for o in kept
        if (o.category.value, o.resource_code) in present
    }
    if override is not None:
        item = _parse_override(override, actor.username)
        chosen[(item.category.value, item.resource_code)] = item
    return list(chosen.values())


def _method(method: str | None) -> str:
    return method or Method.MEDIAN.value


def preview_consolidation(
    actor: Actor,
    code: str,
    *,
    database_url: str | None = None,
    method: str | None = None,
    keep_overrides: bool = True,
) -> ConsolidationResult:
    """Consolidate without recording: what the national norm would be by ``method``.

    With ``keep_overrides`` the overrides of the current national norm are applied
    again (those whose line some draft still has).

    Raises:
        ForbiddenError: the actor is not the Ministry's.
        TechniqueNotFoundError: no such technique.
        ConfigError: no drafts, or an unknown method.
    """
    _may_read(actor)
    overrides = _overrides(
        actor, code, database_url=database_url, keep_overrides=keep_overrides,
        override=None,
    )  # fmt: skip
    return norms_service.consolidate_technique(
        code, database_url=database_url, method=_method(method), overrides=overrides
    )


def record_consolidation(
    actor: Actor,
    code: str,
    *,
    database_url: str | None = None,
    method: str | None = None,
    keep_overrides: bool = True,
    override: OverrideRequest | None = None,
) -> ConsolidationResult:
    """Consolidate and record the next version of the national norm.

    The actor is recorded as who consolidated and as the reviewer of ``override``
    (a value for one line with its mandatory reason, as ``giamdinh norms
    consolidate --override`` takes).

    Raises:
        ForbiddenError: the actor is not the Ministry's.
        TechniqueNotFoundError: no such technique.
        ConfigError: no drafts, an unknown method, an override without a reason or
            naming a line no draft has.
    """
    _may_write(actor)
    overrides = _overrides(
        actor, code, database_url=database_url, keep_overrides=keep_overrides,
        override=override,
    )  # fmt: skip
    return norms_service.consolidate_technique(
        code, database_url=database_url, method=_method(method), overrides=overrides,
        record=True, actor=actor.username,
    )  # fmt: skip


# ------------------------------------------------------------------ cost


def _cost_subject(
    session: Session, code: str, hospital: str | None
) -> tuple[str | None, list[Decimal]]:
    """Return the hospital to cost (``None``: the national norm) and draft volumes."""
    _technique(session, code)
    drafts = store.latest_drafts(session, code)
    volumes = [d.annual_volume for d in drafts if d.annual_volume is not None]
    if hospital is not None:
        if all(d.hospital_code != hospital for d in drafts):
            msg = (
                f"bệnh viện {hospital} không có dự thảo kỹ thuật {code} / hospital "
                f"{hospital} has no draft of technique {code}"
            )
            raise TechniqueNotFoundError(msg)
        return hospital, volumes
    if store.national_norm(session, code) is not None or not drafts:
        return None, volumes
    return drafts[0].hospital_code, volumes


def _curve_volumes(
    session: Session,
    code: str,
    hospital: str | None,
    draft_volumes: Sequence[Decimal],
    extra: Sequence[Decimal],
) -> list[Decimal]:
    """Return the annual volumes to draw the curve at (sorted, distinct, > 0)."""
    if hospital is None:
        norm = store.national_norm(session, code)
        lines = store.national_lines(norm) if norm is not None else ()
    else:
        row = store.latest_draft_row(
            session, store.get_assignment(session, code, hospital).id
        )
        lines = store.draft_spec(row).lines if row is not None else ()
    book = store.load_price_book(session)
    capacity = service_capacity(lines, book)
    points = set(extra) | set(draft_volumes)
    if capacity is not None:
        points |= {(share * capacity).to_integral_value() for share in CURVE_SHARES}
    return sorted(v for v in points if v > 0)


def technique_cost(
    actor: Actor,
    code: str,
    *,
    database_url: str | None = None,
    hospital: str | None = None,
    volume: Decimal | None = None,
    depreciation: str = "straight_line",
    curve: Sequence[Decimal] = (),
) -> CostResult:
    """Cost one service and draw the unit cost by annual volume.

    The subject is ``hospital``'s latest draft, else the national norm, else (none
    consolidated yet) the first hospital's draft. The curve is at ``curve`` when
    given, else at 10 %, 20 %, … 100 % of the busiest machine's yearly capacity
    and at the drafts' own volumes (always with ``volume``).

    Raises:
        ForbiddenError: the actor is not the Ministry's.
        TechniqueNotFoundError: no such technique, or the hospital has no draft.
        ConfigError: nothing to cost (no draft, no norm), a bad option.
    """
    _may_read(actor)
    for value in (volume, *curve):
        if value is not None and not Decimal(0) < value <= MAX_VOLUME:
            msg = (
                f"sản lượng năm phải trong (0; {MAX_VOLUME:,}] / the annual volume "
                f"must be above 0 and at most {MAX_VOLUME:,}: {value}"
            )
            raise ConfigError(msg)
    params = norms_service.cost_params(method=depreciation, volume=volume)
    with _session(database_url) as session:
        subject, draft_volumes = _cost_subject(session, code, hospital)
        if curve:
            points = sorted(set(curve) | ({volume} if volume else set()))
        elif subject is None and store.national_norm(session, code) is None:
            points = []
        else:
            points = _curve_volumes(
                session, code, subject, draft_volumes, [volume] if volume else []
            )
    return norms_service.cost(
        code, database_url=database_url, hospital_code=subject, params=params,
        curve=points,
    )  # fmt: skip


# ------------------------------------------------------------------ workbooks


def _workbook(write: Callable[[Path], object], name: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="giamdinh-norms-") as folder:
        path = Path(folder) / name
        write(path)
        return path.read_bytes()


def progress_workbook(
    actor: Actor, *, database_url: str | None = None, as_of: date | None = None
) -> bytes:
    """Return the progress report as a workbook (``giamdinh norms export progress``)."""
    _may_read(actor)
    return _workbook(
        lambda path: norms_service.export_progress(
            path, database_url=database_url, as_of=_report_day(as_of)
        ),
        "progress.xlsx",
    )


def draft_workbook(
    actor: Actor,
    *,
    database_url: str | None = None,
    code: str | None = None,
    hospital: str | None = None,
) -> bytes:
    """Return the draft workbook: blank, or a hospital's latest draft filled in.

    Raises:
        TechniqueNotFoundError: no such technique or assignment.
    """
    _may_read(actor)
    if code is not None and hospital is not None:
        with _session(database_url) as session:
            _technique(session, code)
            if (
                not hospital.isprintable()
                or store.find_assignment(session, code, hospital) is None
            ):
                msg = (
                    f"kỹ thuật {code} chưa giao cho {hospital} / technique {code} is "
                    f"not assigned to {hospital}"
                )
                raise TechniqueNotFoundError(msg)
    return _workbook(
        lambda path: norms_service.export_template(
            path, database_url=database_url, technique_code=code, hospital_code=hospital
        ),
        "draft.xlsx",
    )


def consolidation_workbook(
    actor: Actor,
    code: str,
    *,
    database_url: str | None = None,
    method: str | None = None,
) -> bytes:
    """Return the consolidation of a technique as a workbook (lines, cost, bands).

    Raises:
        TechniqueNotFoundError: no such technique.
        ConfigError: no drafts.
    """
    _may_read(actor)
    with _session(database_url) as session:
        _technique(session, code)
    return _workbook(
        lambda path: norms_service.export_consolidation(
            code, path, database_url=database_url, method=_method(method)
        ),
        "consolidated.xlsx",
    )


__all__ = [
    "DEPRECIATION_METHODS",
    "MAX_VOLUME",
    "METHODS",
    "STATES",
    "XLSX",
    "AssignmentView",
    "NationalLineView",
    "NationalView",
    "OverrideRequest",
    "TechniqueDetail",
    "TechniqueNotFoundError",
    "TechniqueRow",
    "chapters",
    "consolidation_workbook",
    "draft_workbook",
    "hospitals",
    "list_techniques",
    "preview_consolidation",
    "programme_progress",
    "record_consolidation",
    "technique_cost",
    "technique_detail",
    "today",
]
