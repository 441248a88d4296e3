"""Persistence of the norms programme in the operational store (SQLAlchemy sessions).

Functions here take an open :class:`~sqlalchemy.orm.Session`; the caller commits.
Workflow changes always go through :func:`transition`, which checks the state machine
and appends an event: the history is never edited.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from giamdinh.db.models.norms import (
    NationalNorm,
    NationalNormLine,
    NormAssignment,
    NormComment,
    NormDraft,
    NormEvent,
    NormEvidence,
    NormHospital,
    NormLine,
    NormPrice,
    NormPriceBook,
    NormTechnique,
)
from giamdinh.errors import ConfigError, TransitionError
from giamdinh.norms.model import (
    DraftSpec,
    Evidence,
    LineCategory,
    NormLineSpec,
    Price,
    PriceBook,
)
from giamdinh.norms.workflow import (
    DraftState,
    NotQualifiedReason,
    TransitionRequest,
    check_transition,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from giamdinh.norms.consolidate import Consolidation


def now() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(tz=UTC)


def chapter_of(code: str) -> str:
    """Return the chapter of a technique code ``XX.YYYY`` or ``XX.YYYY.ZZZZ``."""
    return code.split(".", 1)[0]


def ensure_technique(
    session: Session,
    code: str,
    name: str | None = None,
    *,
    group: str | None = None,
    chapter_name: str | None = None,
) -> NormTechnique:
    """Return the technique ``code``, creating it when new (name required then)."""
    technique = session.get(NormTechnique, code)
    if technique is None:
        if not name:
            msg = (
                f"kỹ thuật {code} chưa có, cần tên để đăng ký / technique {code} is "
                "unknown; give its name to register it"
            )
            raise ConfigError(msg)
        technique = NormTechnique(
            code=code,
            name=name,
            chapter=chapter_of(code),
            chapter_name=chapter_name,
            service_unit="lần",
            group=group,
        )
        session.add(technique)
    return technique


def ensure_hospital(
    session: Session, code: str, name: str | None = None, name_en: str | None = None
) -> NormHospital:
    """Return the hospital ``code``, creating it when new (name required then)."""
    hospital = session.get(NormHospital, code)
    if hospital is None:
        if not name:
            msg = (
                f"bệnh viện {code} chưa có, cần tên để đăng ký / hospital {code} is "
                "unknown; give its name to register it"
            )
            raise ConfigError(msg)
        hospital = NormHospital(code=code, name=name, name_en=name_en)
        session.add(hospital)
    return hospital


def assign(
    session: Session,
    *,
    technique_code: str,
    hospital_code: str,
    actor: str,
    is_focal: bool = True,
    deadline: date | None = None,
    at: datetime | None = None,
) -> NormAssignment:
    """Assign a technique to a hospital and record the ``assigned`` event."""
    existing = find_assignment(session, technique_code, hospital_code)
    if existing is not None:
        msg = (
            f"kỹ thuật {technique_code} đã giao cho {hospital_code} / "
            f"technique {technique_code} is already assigned to {hospital_code}"
        )
        raise TransitionError(msg)
    at = at or now()
    assignment = NormAssignment(
        technique_code=technique_code,
        hospital_code=hospital_code,
        is_focal=is_focal,
        state=DraftState.ASSIGNED.value,
        deadline=deadline,
        assigned_on=at.date(),
    )
    session.add(assignment)
    session.flush()
    session.add(
        NormEvent(
            assignment_id=assignment.id,
            from_state=None,
            to_state=DraftState.ASSIGNED.value,
            actor=actor,
            at=at,
            reason=None,
        )
    )
    return assignment


def find_assignment(
    session: Session, technique_code: str, hospital_code: str
) -> NormAssignment | None:
    """Return the assignment of a technique to a hospital, if any."""
    return session.scalars(
        select(NormAssignment).where(
            NormAssignment.technique_code == technique_code,
            NormAssignment.hospital_code == hospital_code,
        )
    ).one_or_none()


def get_assignment(
    session: Session, technique_code: str, hospital_code: str
) -> NormAssignment:
    """Return the assignment or raise :class:`ConfigError` naming what is missing."""
    assignment = find_assignment(session, technique_code, hospital_code)
    if assignment is None:
        msg = (
            f"kỹ thuật {technique_code} chưa giao cho bệnh viện {hospital_code} / "
            f"technique {technique_code} is not assigned to hospital {hospital_code}"
        )
        raise ConfigError(msg)
    return assignment


def latest_draft_row(session: Session, assignment_id: int) -> NormDraft | None:
    """Return the newest draft version of an assignment."""
    return session.scalars(
        select(NormDraft)
        .where(NormDraft.assignment_id == assignment_id)
        .order_by(NormDraft.version.desc())
        .limit(1)
    ).one_or_none()


def open_comment_count(session: Session, draft_id: int) -> int:
    """Return how many comments on a draft are still open."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(NormComment)
            .where(NormComment.draft_id == draft_id, NormComment.resolved.is_(False))
        )
        or 0
    )


def transition(
    session: Session,
    assignment: NormAssignment,
    target: DraftState,
    *,
    actor: str,
    reason: str | None = None,
    not_qualified_reason: NotQualifiedReason | None = None,
    at: datetime | None = None,
) -> NormEvent:
    """Move an assignment to ``target`` after the state machine's checks.

    Raises:
        TransitionError: The state machine refuses (message says why and what is
            allowed).
    """
    draft = latest_draft_row(session, assignment.id)
    request = TransitionRequest(
        current=DraftState(assignment.state),
        target=target,
        actor=actor,
        reason=reason,
        not_qualified_reason=not_qualified_reason,
        has_draft_lines=bool(draft is not None and draft.lines),
        open_comments=open_comment_count(session, draft.id) if draft else 0,
    )
    check_transition(request)
    event = NormEvent(
        assignment_id=assignment.id,
        from_state=assignment.state,
        to_state=target.value,
        actor=actor,
        at=at or now(),
        reason=reason
        if not_qualified_reason is None
        else f"{not_qualified_reason.value}: {reason or not_qualified_reason.label_vi}",
    )
    assignment.state = target.value
    assignment.not_qualified_reason = (
        not_qualified_reason.value if not_qualified_reason is not None else None
    )
    session.add(event)
    session.flush()
    return event


def history(session: Session, assignment_id: int) -> list[NormEvent]:
    """Return the events of an assignment, oldest first."""
    return list(
        session.scalars(
            select(NormEvent)
            .where(NormEvent.assignment_id == assignment_id)
            .order_by(NormEvent.at, NormEvent.id)
        )
    )


_LINE_FIELDS = (
    "resource_name",
    "unit",
    "quantity",
    "persons",
    "minutes",
    "unit_price",
    "purchase_value",
    "useful_life_years",
    "minutes_per_year",
    "utilisation",
    "maintenance_rate",
    "included_in_price",
    "note",
)


def save_draft(
    session: Session,
    draft: DraftSpec,
    *,
    actor: str,
    at: datetime | None = None,
    source_file: str | None = None,
) -> NormDraft:
    """Store ``draft`` as the next version of its assignment's drafts."""
    assignment = get_assignment(session, draft.technique_code, draft.hospital_code)
    previous = latest_draft_row(session, assignment.id)
    row = NormDraft(
        assignment_id=assignment.id,
        version=1 if previous is None else previous.version + 1,
        annual_volume=draft.annual_volume,
        guidance_version=draft.guidance_version,
        method=draft.method,
        period_from=draft.period_from,
        period_to=draft.period_to,
        created_at=at or now(),
        created_by=actor,
        source_file=source_file,
        note=draft.note,
    )
    row.lines = [
        NormLine(
            line_no=line.line_no,
            category=line.category.value,
            resource_code=line.resource_code,
            **{name: getattr(line, name) for name in _LINE_FIELDS},
        )
        for line in draft.lines
    ]
    row.evidence = [
        NormEvidence(kind=e.kind, title=e.title, reference=e.reference, note=e.note)
        for e in draft.evidence
    ]
    session.add(row)
    session.flush()
    return row


def draft_spec(row: NormDraft) -> DraftSpec:
    """Return the plain :class:`DraftSpec` of a stored draft."""
    assignment = row.assignment
    return DraftSpec(
        technique_code=assignment.technique_code,
        hospital_code=assignment.hospital_code,
        technique_name=assignment.technique.name,
        hospital_name=assignment.hospital.name,
        annual_volume=row.annual_volume,
        guidance_version=row.guidance_version,
        method=row.method,
        period_from=row.period_from,
        period_to=row.period_to,
        version=row.version,
        note=row.note,
        lines=tuple(
            NormLineSpec(
                line_no=line.line_no,
                category=LineCategory(line.category),
                resource_code=line.resource_code,
                **{name: getattr(line, name) for name in _LINE_FIELDS},
            )
            for line in row.lines
        ),
        evidence=tuple(
            Evidence(kind=e.kind, title=e.title, reference=e.reference, note=e.note)
            for e in row.evidence
        ),
    )


def latest_drafts(session: Session, technique_code: str) -> list[DraftSpec]:
    """Return the latest draft of each hospital for a technique (not withdrawn)."""
    assignments = session.scalars(
        select(NormAssignment)
        .where(
            NormAssignment.technique_code == technique_code,
            NormAssignment.state != DraftState.WITHDRAWN.value,
        )
        .order_by(NormAssignment.hospital_code)
    ).all()
    drafts: list[DraftSpec] = []
    for assignment in assignments:
        row = latest_draft_row(session, assignment.id)
        if row is not None:
            drafts.append(draft_spec(row))
    return drafts


def add_comment(
    session: Session,
    *,
    draft_id: int,
    author: str,
    text: str,
    line_no: int | None = None,
    at: datetime | None = None,
) -> NormComment:
    """Attach a review comment to a draft, or to one of its lines."""
    if session.get(NormDraft, draft_id) is None:
        msg = f"draft {draft_id} does not exist"
        raise ConfigError(msg)
    comment = NormComment(
        draft_id=draft_id,
        line_no=line_no,
        author=author,
        at=at or now(),
        text=text,
        resolved=False,
    )
    session.add(comment)
    session.flush()
    return comment


def resolve_comment(session: Session, comment_id: int) -> None:
    """Mark a review comment as resolved."""
    comment = session.get(NormComment, comment_id)
    if comment is None:
        msg = f"không có nhận xét #{comment_id} / comment {comment_id} does not exist"
        raise ConfigError(msg)
    comment.resolved = True


def save_price_book(session: Session, book: PriceBook) -> NormPriceBook:
    """Store a price book (its code must be new)."""
    exists = session.scalars(
        select(NormPriceBook).where(NormPriceBook.code == book.code)
    ).one_or_none()
    if exists is not None:
        msg = (
            f"bảng giá {book.code} đã có, hãy đặt mã khác / price book {book.code} "
            "already exists; give the new one another code"
        )
        raise ConfigError(msg)
    row = NormPriceBook(
        code=book.code,
        name=book.name,
        valid_from=book.valid_from,
        valid_to=book.valid_to,
    )
    row.entries = [
        NormPrice(
            kind=p.kind,
            code=p.code,
            name=p.name,
            unit=p.unit,
            price=p.price,
            useful_life_years=p.useful_life_years,
            minutes_per_year=p.minutes_per_year,
            maintenance_rate=p.maintenance_rate,
            source=p.source,
        )
        for p in book.prices
    ]
    session.add(row)
    session.flush()
    return row


def load_price_book(
    session: Session, code: str | None = None, *, as_of: date | None = None
) -> PriceBook:
    """Load a price book by code, or the one valid on ``as_of`` (latest start wins)."""
    query = select(NormPriceBook)
    if code is not None:
        query = query.where(NormPriceBook.code == code)
    else:
        day = as_of or now().date()
        query = (
            query.where(NormPriceBook.valid_from <= day)
            .where((NormPriceBook.valid_to.is_(None)) | (NormPriceBook.valid_to >= day))
            .order_by(NormPriceBook.valid_from.desc(), NormPriceBook.id.desc())
            .limit(1)
        )
    row = session.scalars(query).first()
    if row is None:
        what = f"code {code}" if code else f"valid on {as_of or now().date()}"
        msg = (
            f"không có bảng giá {what} / no price book with {what}; load one "
            "(giamdinh norms prices; giamdinh norms demo makes one)"
        )
        raise ConfigError(msg)
    return PriceBook(
        code=row.code,
        name=row.name,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        prices=tuple(
            Price(
                kind=e.kind,
                code=e.code,
                price=e.price,
                name=e.name,
                unit=e.unit,
                useful_life_years=e.useful_life_years,
                minutes_per_year=e.minutes_per_year,
                maintenance_rate=e.maintenance_rate,
                source=e.source,
            )
            for e in row.entries
        ),
    )


def save_national(
    session: Session,
    consolidation: Consolidation,
    *,
    actor: str,
    price_book_code: str | None = None,
    at: datetime | None = None,
) -> NationalNorm:
    """Store a consolidation as the next version of the technique's national norm."""
    latest = session.scalar(
        select(func.max(NationalNorm.version)).where(
            NationalNorm.technique_code == consolidation.technique_code
        )
    )
    row = NationalNorm(
        technique_code=consolidation.technique_code,
        version=(latest or 0) + 1,
        method=consolidation.method.value,
        status=DraftState.CONSOLIDATED.value,
        price_book_code=price_book_code,
        source_drafts=json.dumps(list(consolidation.hospitals)),
        created_at=at or now(),
        created_by=actor,
    )
    row.lines = [
        NationalNormLine(
            line_no=number,
            category=line.stats.category.value,
            resource_code=line.stats.resource_code,
            resource_name=line.stats.resource_name,
            unit=line.stats.unit,
            value=line.value,
            persons=line.persons,
            method=line.method.value,
            n=line.stats.n,
            n_drafts=line.stats.n_drafts,
            minimum=line.stats.minimum,
            p25=line.stats.p25,
            median=line.stats.median,
            p75=line.stats.p75,
            maximum=line.stats.maximum,
            outliers=json.dumps(list(line.stats.outliers)),
            conditional=line.stats.conditional,
            override_value=line.override.value if line.override else None,
            override_reason=line.override.reason if line.override else None,
            override_by=line.override.by if line.override else None,
        )
        for number, line in enumerate(consolidation.lines, start=1)
    ]
    session.add(row)
    session.flush()
    return row


def latest_national(session: Session) -> list[NationalNorm]:
    """Return the newest national norm of every technique that has one."""
    newest = (
        select(
            NationalNorm.technique_code, func.max(NationalNorm.version).label("version")
        )
        .group_by(NationalNorm.technique_code)
        .subquery()
    )
    return list(
        session.scalars(
            select(NationalNorm)
            .join(
                newest,
                (NationalNorm.technique_code == newest.c.technique_code)
                & (NationalNorm.version == newest.c.version),
            )
            .order_by(NationalNorm.technique_code)
        )
    )


def national_lines(norm: NationalNorm) -> tuple[NormLineSpec, ...]:
    """Return the bill of resources of a stored national norm (lines with a value)."""
    lines: list[NormLineSpec] = []
    for row in norm.lines:
        if row.value is None:
            continue
        category = LineCategory(row.category)
        number = len(lines) + 1
        if category is LineCategory.LABOUR:
            persons = row.persons or Decimal(1)
            lines.append(
                NormLineSpec(
                    line_no=number, category=category, resource_code=row.resource_code,
                    resource_name=row.resource_name, unit=row.unit, persons=persons,
                    minutes=row.value / persons,
                )
            )  # fmt: skip
        elif category is LineCategory.EQUIPMENT:
            lines.append(
                NormLineSpec(
                    line_no=number, category=category, resource_code=row.resource_code,
                    resource_name=row.resource_name, unit=row.unit, minutes=row.value,
                )
            )  # fmt: skip
        else:
            lines.append(
                NormLineSpec(
                    line_no=number, category=category, resource_code=row.resource_code,
                    resource_name=row.resource_name, unit=row.unit, quantity=row.value,
                )
            )  # fmt: skip
    return tuple(lines)


def national_norm(session: Session, technique_code: str) -> NationalNorm | None:
    """Return the newest national norm of a technique, if any."""
    return session.scalars(
        select(NationalNorm)
        .where(NationalNorm.technique_code == technique_code)
        .order_by(NationalNorm.version.desc())
        .limit(1)
    ).one_or_none()
