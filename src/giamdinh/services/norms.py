"""Use cases of the norms programme; the CLI (and later the API) call only these.

Every function takes the database URL (``Settings.database_url`` when ``None``),
opens its own engine and session, and returns plain results.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from giamdinh.config import get_settings
from giamdinh.db import make_engine, make_session_factory, session_scope, upgrade
from giamdinh.domain import Finding, Location, Severity
from giamdinh.errors import ConfigError, GiamdinhError
from giamdinh.norms import store
from giamdinh.norms.consolidate import (
    Consolidation,
    LineStats,
    Method,
    Override,
    VolumeBand,
    compare,
    consolidate,
    volume_bands,
)
from giamdinh.norms.cost import CostBreakdown, cost_service, volume_curve
from giamdinh.norms.demo import DemoSummary, load_demo
from giamdinh.norms.excel import (
    read_draft_workbook,
    write_consolidation_workbook,
    write_draft_workbook,
    write_progress_workbook,
)
from giamdinh.norms.loading import read_assignments, read_price_book
from giamdinh.norms.model import CostParams, DepreciationMethod, DraftSpec
from giamdinh.norms.progress import ProgressReport, progress_report
from giamdinh.norms.publish import norm_staff_minutes, norm_supply_quantities
from giamdinh.norms.workflow import DraftState, NotQualifiedReason
from giamdinh.refdata.norm_tables import NORM_STAFF_MINUTES, NORM_SUPPLY_QUANTITIES

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import date
    from pathlib import Path

    import pyarrow as pa
    from sqlalchemy.orm import Session

    from giamdinh.norms.cost import VolumePoint
    from giamdinh.norms.model import NormLineSpec


@contextmanager
def _session(database_url: str | None) -> Iterator[Session]:
    engine = make_engine(database_url or get_settings().database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def run_demo(database_url: str | None = None, *, seed: int = 0) -> DemoSummary:
    """Migrate the database and load the demo programme (seed 000 figures)."""
    url = database_url or get_settings().database_url
    upgrade(url)
    with _session(url) as session:
        return load_demo(session, seed=seed)


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportResult:
    """What happened to one draft workbook."""

    file: str
    imported: bool
    technique_code: str | None = None
    hospital_code: str | None = None
    version: int | None = None
    state: str | None = None
    findings: tuple[Finding, ...] = field(default=())


def import_drafts(
    paths: Sequence[Path],
    *,
    database_url: str | None = None,
    actor: str,
    submit: bool = False,
) -> list[ImportResult]:
    """Import filled draft workbooks; one bad file never stops the others.

    A draft is stored as the next version of its assignment. The assignment moves
    ``qualified → drafting`` or ``reviewed → revised`` as it is imported, and on to
    ``submitted`` when ``submit`` is set.
    """
    results: list[ImportResult] = []
    for path in paths:
        draft, findings = read_draft_workbook(path)
        if draft is None:
            results.append(
                ImportResult(file=str(path), imported=False, findings=tuple(findings))
            )
            continue
        try:
            with _session(database_url) as session:
                assignment = store.get_assignment(
                    session, draft.technique_code, draft.hospital_code
                )
                state = DraftState(assignment.state)
                if state is DraftState.QUALIFIED:
                    store.transition(
                        session, assignment, DraftState.DRAFTING, actor=actor
                    )
                elif state is DraftState.REVIEWED:
                    store.transition(
                        session, assignment, DraftState.REVISED, actor=actor
                    )
                elif state not in (DraftState.DRAFTING, DraftState.REVISED):
                    msg = (
                        f"assignment {draft.technique_code} × {draft.hospital_code} is"
                        f" {state}; drafts are accepted in qualified, drafting,"
                        " reviewed or revised"
                    )
                    raise ConfigError(msg)
                row = store.save_draft(
                    session, draft, actor=actor, source_file=path.name
                )
                if submit:
                    store.transition(
                        session, assignment, DraftState.SUBMITTED, actor=actor
                    )
                results.append(
                    ImportResult(
                        file=str(path), imported=True,
                        technique_code=draft.technique_code,
                        hospital_code=draft.hospital_code, version=row.version,
                        state=assignment.state, findings=tuple(findings),
                    )
                )  # fmt: skip
        except GiamdinhError as exc:
            problem = Finding(
                code="NM140",
                severity=Severity.REFUSE,
                message=f"Không nhập được dự thảo: {exc}",
                message_en=f"draft not imported: {exc}",
                location=Location(file=str(path)),
            )
            results.append(
                ImportResult(
                    file=str(path), imported=False,
                    technique_code=draft.technique_code,
                    hospital_code=draft.hospital_code,
                    findings=(*findings, problem),
                )
            )  # fmt: skip
    return results


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadResult:
    """What loading an assignment list or a price book did."""

    file: str
    loaded: bool
    created: int = 0
    existing: int = 0
    findings: tuple[Finding, ...] = field(default=())


def load_assignments(
    path: Path, *, database_url: str | None = None, actor: str
) -> LoadResult:
    """Load the assignment list: techniques × hospitals with focal flag and deadline.

    The whole file is loaded or nothing: any row problem (file, row, column named)
    leaves the store unchanged. Assignments already in the store are left as they
    are (a file may be loaded again after new rows were added).
    """
    rows, findings = read_assignments(path)
    if findings:
        return LoadResult(file=str(path), loaded=False, findings=tuple(findings))
    created = existing = 0
    problems: list[Finding] = []
    url = database_url or get_settings().database_url
    upgrade(url)
    engine = make_engine(url)
    try:
        factory = make_session_factory(engine)
        with factory() as session:
            for row in rows:
                try:
                    store.ensure_technique(
                        session, row.technique_code, row.technique_name
                    )
                    store.ensure_hospital(session, row.hospital_code, row.hospital_name)
                    session.flush()
                except ConfigError as exc:
                    problems.append(
                        Finding(
                            code="NM208", severity=Severity.REFUSE,
                            message=f"Không đăng ký được: {exc}",
                            message_en=f"cannot register: {exc}",
                            location=Location(
                                file=path.name, table="PhanCong", stt=row.row,
                                field="TEN_KY_THUAT",
                            ),
                        )
                    )  # fmt: skip
                    continue
                if store.find_assignment(
                    session, row.technique_code, row.hospital_code
                ):
                    existing += 1
                    continue
                store.assign(
                    session, technique_code=row.technique_code,
                    hospital_code=row.hospital_code, actor=actor,
                    is_focal=row.is_focal, deadline=row.deadline,
                )  # fmt: skip
                created += 1
            if problems:
                session.rollback()
                return LoadResult(
                    file=str(path), loaded=False, findings=tuple(problems)
                )
            session.commit()
    finally:
        engine.dispose()
    return LoadResult(file=str(path), loaded=True, created=created, existing=existing)


def load_price_book_file(
    path: Path,
    *,
    database_url: str | None = None,
    code: str,
    name: str,
    valid_from: date,
    valid_to: date | None = None,
) -> LoadResult:
    """Load a dated price book from CSV/XLSX (checked row by row, all or nothing).

    Raises:
        ConfigError: a price book with that code already exists.
    """
    book, findings = read_price_book(
        path, code=code, name=name, valid_from=valid_from, valid_to=valid_to
    )
    if book is None:
        return LoadResult(file=str(path), loaded=False, findings=tuple(findings))
    url = database_url or get_settings().database_url
    upgrade(url)
    with _session(url) as session:
        store.save_price_book(session, book)
    return LoadResult(file=str(path), loaded=True, created=len(book.prices))


def progress(
    database_url: str | None = None, *, as_of: date | None = None
) -> ProgressReport:
    """Return the programme's progress as of a day (default today)."""
    with _session(database_url) as session:
        return progress_report(session, as_of=as_of)


def cost_params(
    *,
    method: str = "straight_line",
    interest_rate: Decimal = Decimal("0.05"),
    volume: Decimal | None = None,
    floor: Decimal = Decimal("0.5"),
    ceiling: Decimal = Decimal("0.95"),
    reference_utilisation: Decimal = Decimal("0.75"),
) -> CostParams:
    """Build costing parameters from plain options (validating the method name)."""
    try:
        depreciation = DepreciationMethod(method)
    except ValueError as exc:
        msg = (
            f"phương pháp khấu hao {method!r} không có / unknown depreciation method "
            f"{method!r}; use straight_line or annuity"
        )
        raise ConfigError(msg) from exc
    if not Decimal(0) <= floor <= ceiling <= Decimal(1):
        msg = (
            "cần 0 ≤ sàn ≤ trần ≤ 1 / need 0 ≤ floor ≤ ceiling ≤ 1, "
            f"got floor={floor} ceiling={ceiling}"
        )
        raise ConfigError(msg)
    return CostParams(
        method=depreciation,
        interest_rate=interest_rate,
        annual_volume=volume,
        floor=floor,
        ceiling=ceiling,
        reference_utilisation=reference_utilisation,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CostResult:
    """A costing with what was costed and, optionally, the volume curve."""

    technique_code: str
    subject: str
    breakdown: CostBreakdown
    curve: tuple[VolumePoint, ...] = ()


def _lines_for(
    session: Session, technique_code: str, hospital_code: str | None
) -> tuple[tuple[NormLineSpec, ...], str, Decimal | None]:
    if hospital_code is None:
        norm = store.national_norm(session, technique_code)
        if norm is None:
            msg = (
                f"kỹ thuật {technique_code} chưa có định mức quốc gia, hãy tổng hợp "
                f"trước / technique {technique_code} has no national norm; "
                "consolidate first"
            )
            raise ConfigError(msg)
        return store.national_lines(norm), f"national v{norm.version}", None
    assignment = store.get_assignment(session, technique_code, hospital_code)
    row = store.latest_draft_row(session, assignment.id)
    if row is None:
        msg = (
            f"bệnh viện {hospital_code} chưa có dự thảo kỹ thuật {technique_code} / "
            f"hospital {hospital_code} has no draft for technique {technique_code}"
        )
        raise ConfigError(msg)
    spec = store.draft_spec(row)
    return spec.lines, f"{hospital_code} v{row.version}", spec.annual_volume


def cost(
    technique_code: str,
    *,
    database_url: str | None = None,
    hospital_code: str | None = None,
    price_book: str | None = None,
    params: CostParams | None = None,
    use_draft_volume: bool = False,
    curve: Sequence[Decimal] = (),
) -> CostResult:
    """Cost one service of a hospital's latest draft, or of the national norm.

    Args:
        technique_code: The technique.
        database_url: Store URL.
        hospital_code: A hospital's draft; ``None`` costs the national norm.
        price_book: Price-book code; default the book valid today.
        params: Costing parameters.
        use_draft_volume: Spread fixed costs over the draft's annual volume.
        curve: Also return the unit cost at each of these annual volumes.
    """
    params = params or CostParams()
    with _session(database_url) as session:
        lines, subject, volume = _lines_for(session, technique_code, hospital_code)
        book = store.load_price_book(session, price_book)
    if use_draft_volume and volume is not None and params.annual_volume is None:
        params = cost_params(
            method=params.method.value, interest_rate=params.interest_rate,
            volume=volume, floor=params.floor, ceiling=params.ceiling,
            reference_utilisation=params.reference_utilisation,
        )  # fmt: skip
    return CostResult(
        technique_code=technique_code,
        subject=subject,
        breakdown=cost_service(lines, book, params),
        curve=tuple(volume_curve(lines, book, params, curve)) if curve else (),
    )


def compare_drafts(
    technique_code: str, *, database_url: str | None = None
) -> list[LineStats]:
    """Return the side-by-side comparison of the hospitals' latest drafts."""
    with _session(database_url) as session:
        drafts = store.latest_drafts(session, technique_code)
    if not drafts:
        msg = (
            f"kỹ thuật {technique_code} chưa có dự thảo nào / "
            f"no drafts for technique {technique_code}"
        )
        raise ConfigError(msg)
    return compare(drafts)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsolidationResult:
    """A consolidation, its national cost and volume bands, and the stored version."""

    consolidation: Consolidation
    cost: CostBreakdown
    bands: tuple[VolumeBand, ...]
    version: int | None


def consolidate_technique(
    technique_code: str,
    *,
    database_url: str | None = None,
    method: str = "median",
    overrides: Sequence[Override] = (),
    price_book: str | None = None,
    params: CostParams | None = None,
    record: bool = False,
    actor: str = "",
) -> ConsolidationResult:
    """Consolidate the drafts of a technique, price it with one book, band by volume.

    With ``record`` the result is stored as the technique's next national norm.
    """
    try:
        chosen = Method(method)
    except ValueError as exc:
        options = ", ".join(Method)
        msg = (
            f"phương pháp tổng hợp {method!r} không có / unknown consolidation "
            f"method {method!r}; use one of {options}"
        )
        raise ConfigError(msg) from exc
    if record and not actor.strip():
        msg = (
            "ghi định mức quốc gia cần --actor (người tổng hợp) / "
            "recording a national norm needs --actor (who consolidates)"
        )
        raise ConfigError(msg)
    params = params or CostParams()
    with _session(database_url) as session:
        drafts = store.latest_drafts(session, technique_code)
        result = consolidate(drafts, method=chosen, overrides=overrides)
        book = store.load_price_book(session, price_book)
        lines = result.norm_lines()
        breakdown = cost_service(lines, book, params)
        bands = tuple(volume_bands(lines, book, params))
        version = None
        if record:
            version = store.save_national(
                session, result, actor=actor, price_book_code=book.code
            ).version
    return ConsolidationResult(
        consolidation=result, cost=breakdown, bands=bands, version=version
    )


def transition(
    technique_code: str,
    hospital_code: str,
    target: str,
    *,
    database_url: str | None = None,
    actor: str,
    reason: str | None = None,
    not_qualified_reason: str | None = None,
) -> str:
    """Move an assignment to ``target`` (refused moves raise ``TransitionError``)."""
    try:
        state = DraftState(target)
        criterion = (
            NotQualifiedReason(not_qualified_reason) if not_qualified_reason else None
        )
    except ValueError as exc:
        msg = (
            f"unknown state or reason: {exc}; states: {', '.join(DraftState)};"
            f" reasons: {', '.join(NotQualifiedReason)}"
        )
        raise ConfigError(msg) from exc
    with _session(database_url) as session:
        assignment = store.get_assignment(session, technique_code, hospital_code)
        store.transition(
            session, assignment, state, actor=actor, reason=reason,
            not_qualified_reason=criterion,
        )  # fmt: skip
        return assignment.state


def comment(
    technique_code: str,
    hospital_code: str,
    text: str,
    *,
    database_url: str | None = None,
    author: str,
    line_no: int | None = None,
) -> int:
    """Leave a review comment on the latest draft (optionally on one line)."""
    with _session(database_url) as session:
        assignment = store.get_assignment(session, technique_code, hospital_code)
        row = store.latest_draft_row(session, assignment.id)
        if row is None:
            msg = (
                f"bệnh viện {hospital_code} chưa có dự thảo {technique_code} / "
                f"hospital {hospital_code} has no draft for {technique_code}"
            )
            raise ConfigError(msg)
        if line_no is not None and line_no not in {line.line_no for line in row.lines}:
            msg = (
                f"dự thảo v{row.version} không có dòng {line_no} / "
                f"draft v{row.version} has no line {line_no}"
            )
            raise ConfigError(msg)
        return store.add_comment(
            session, draft_id=row.id, author=author, text=text, line_no=line_no
        ).id


def resolve_comment(comment_id: int, *, database_url: str | None = None) -> None:
    """Mark a review comment as resolved (the answer was accepted).

    Raises:
        ConfigError: no comment with that number.
    """
    with _session(database_url) as session:
        store.resolve_comment(session, comment_id)


def export_template(
    path: Path,
    *,
    database_url: str | None = None,
    technique_code: str | None = None,
    hospital_code: str | None = None,
) -> Path:
    """Write a draft workbook: the hospital's latest draft, or a blank template."""
    if technique_code is None or hospital_code is None:
        return write_draft_workbook(path)
    with _session(database_url) as session:
        assignment = store.get_assignment(session, technique_code, hospital_code)
        row = store.latest_draft_row(session, assignment.id)
        if row is None:
            spec = DraftSpec(
                technique_code=technique_code, hospital_code=hospital_code,
                technique_name=assignment.technique.name,
                hospital_name=assignment.hospital.name, lines=(),
            )  # fmt: skip
        else:
            spec = store.draft_spec(row)
    return write_draft_workbook(path, spec)


def export_consolidation(
    technique_code: str,
    path: Path,
    *,
    database_url: str | None = None,
    method: str = "median",
    price_book: str | None = None,
) -> Path:
    """Export the consolidation of a technique (lines, comparison, cost, bands)."""
    result = consolidate_technique(
        technique_code, database_url=database_url, method=method, price_book=price_book
    )
    return write_consolidation_workbook(
        path, result.consolidation, cost=result.cost, bands=result.bands
    )


def export_progress(
    path: Path, *, database_url: str | None = None, as_of: date | None = None
) -> Path:
    """Export the progress report as a workbook."""
    return write_progress_workbook(path, progress(database_url, as_of=as_of))


def published_norms(
    *, database_url: str | None = None, effective_from: date | None = None
) -> tuple[pa.Table, pa.Table]:
    """Return ``(norm_staff_minutes, norm_supply_quantities)`` for assessment.

    Args:
        database_url: the operational store (settings when ``None``).
        effective_from: the day the published norms apply from (default: the
            day each national norm was consolidated).
    """
    with _session(database_url) as session:
        return (
            norm_staff_minutes(session, effective_from=effective_from),
            norm_supply_quantities(session, effective_from=effective_from),
        )


def norm_reference_tables(
    *, database_url: str | None = None, effective_from: date | None = None
) -> dict[str, pa.Table]:
    """Return the published norms keyed as reference tables for the engine.

    The result is what :meth:`giamdinh.refdata.ReferenceSet.with_norms` takes and
    what ``run_assessment(reference=...)`` accepts beside the ``ref_*`` tables:
    ``ref_norm_staff_minutes`` and ``ref_norm_supply_quantities``.
    """
    staff, supplies = published_norms(
        database_url=database_url, effective_from=effective_from
    )
    return {NORM_STAFF_MINUTES: staff, NORM_SUPPLY_QUANTITIES: supplies}
