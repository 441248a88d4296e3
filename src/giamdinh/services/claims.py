"""The insurer's claims: lists of a run's claims and the page that explains one.

A claim is explained line by line from the newest assessment run of the store
(``<store>/assessments/run-*``): the decision of every XML2/XML3 line, each
finding on it with its rule, severity, legal basis, amount and message (rendered
by the engine from the evidence the run recorded), and the joint-verification
case that holds its lines, if any. Names, quantities and prices come from the
store's current claim version; the patient is shown by ``MA_BN`` and a masked
name only.

Scoping is done here, not in the pages: facility staff see only their own
facility's claims, and another facility's claim is "not found" (its existence is
never revealed); the Ministry and administrators see no claim at all.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url

from giamdinh.backends.duck import DuckDBBackend
from giamdinh.db import make_engine
from giamdinh.db.models.review import ReviewCase, ReviewDecision, ReviewLine
from giamdinh.domain import Severity
from giamdinh.domain.money import format_dong
from giamdinh.engine.run import (
    FINDINGS_SCHEMA,
    Assessment,
    evidence_kinds,
    prepare_views,
)
from giamdinh.engine.views import logical_views
from giamdinh.errors import ConfigError, ForbiddenError
from giamdinh.review.workflow import Actor, CaseState, Role
from giamdinh.rules.citations import citations, find
from giamdinh.rules.registry import load_rule_set
from giamdinh.services.assessment import latest_run
from giamdinh.services.review import review_session
from giamdinh.store import ClaimStore

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    import duckdb

    from giamdinh.backends.base import ValueKind
    from giamdinh.domain import Basis, Finding
    from giamdinh.rules.model import Rule
    from giamdinh.rules.registry import RuleSet

INSURER = (Role.ASSESSOR, Role.SUPERVISOR)
CLAIM_ROLES = (Role.FACILITY, Role.ASSESSOR, Role.SUPERVISOR)
MONEY_KEYS = ("claimed", "payable", "refused", "adjusted", "under_review")
#: Filters of the claim list: claims with any finding, or with money refused,
#: adjusted or held under review.
STATUSES = ("findings", "refused", "adjusted", "under_review")
ZERO = Decimal(0)
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


class NotFoundError(ConfigError):
    """No such item for this user (another facility's item is "not found" too)."""


def require_role(actor: Actor, roles: Sequence[Role]) -> Actor:
    """Return ``actor`` if its role is one of ``roles``.

    Raises:
        ForbiddenError: it is not.
    """
    if actor.role not in roles:
        msg = (
            f"{actor.role.label_vi} không được xem mục này / a {actor.role.value} "
            "may not see this"
        )
        raise ForbiddenError(msg)
    return actor


def mask_name(name: str | None) -> str:
    """Return a patient's name as initials: ``LÝ NGỌC HƯƠNG`` → ``L*** N*** H***``."""
    parts = (name or "").split()
    return " ".join(p[0] + "***" for p in parts) if parts else "—"


def _money(value: Any) -> Decimal:
    return Decimal(value) if value is not None else ZERO


def _connect(store_dir: Path) -> duckdb.DuckDBPyConnection:
    return ClaimStore.open(store_dir, create=False).connect()


def _views(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0] for r in con.execute("select view_name from duckdb_views()").fetchall()
    }


# ------------------------------------------------------------------ the list


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimRow:
    """One claim of a run with its money."""

    ma_lk: str
    ma_cskcb: str
    month: str | None
    claimed: Decimal
    payable: Decimal
    refused: Decimal
    adjusted: Decimal
    under_review: Decimal
    findings: int

    @property
    def at_stake(self) -> Decimal:
        """Return refused + adjusted + under review."""
        return self.refused + self.adjusted + self.under_review


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimList:
    """A page of claims, with what the filters may choose from."""

    run: str
    items: list[ClaimRow]
    total: int
    limit: int
    offset: int
    facilities: list[str]


_MONTHS = """
    select ma_lk, ma_cskcb, arg_max(month, ingested_at) as month
    from ledger where kind = 'claim' and status = 'accepted'
    group by ma_lk, ma_cskcb
"""


def _status_filter(status: str | None) -> str:
    if status is None or status in {"", "all"}:
        return "true"
    if status == "findings":
        return "c.findings > 0"
    if status in STATUSES:
        return f"c.{status} > 0"
    allowed = ", ".join(STATUSES)
    msg = f"trạng thái {status!r} không có; chọn {allowed} / unknown status"
    raise ConfigError(msg)


def list_claims(
    actor: Actor,
    store_dir: Path,
    *,
    facility: str | None = None,
    status: str | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> ClaimList:
    """Return a page of the newest run's claims the actor may see.

    Claims come with the most money at stake first (refused + adjusted + under
    review), then by ``MA_LK``. Facility staff see their own facility only: a
    filter on another facility finds nothing.

    Args:
        actor: who asks.
        store_dir: the claim store.
        facility: only this ``MA_CSKCB``.
        status: ``findings``, ``refused``, ``adjusted`` or ``under_review``.
        search: part of a ``MA_LK`` (case does not matter).
        limit: claims per page.
        offset: claims to skip.

    Raises:
        ForbiddenError: the actor's role sees no claim.
        ConfigError: no assessment run yet, or an unknown status.
    """
    require_role(actor, CLAIM_ROLES)
    folder = latest_run(store_dir)
    where = [_status_filter(status)]
    params: list[Any] = [str(folder / "claims.parquet")]
    if actor.role is Role.FACILITY:
        where.append("c.ma_cskcb = ?")
        params.append(actor.ma_cskcb or "")
    if facility:
        where.append("c.ma_cskcb = ?")
        params.append(facility.strip())
    if search and search.strip():
        where.append("contains(lower(c.ma_lk), ?)")
        params.append(search.strip().lower())
    con = _connect(store_dir)
    try:
        base = f"""
            with c as (select * from read_parquet(?)), m as ({_MONTHS})
            select c.ma_lk, coalesce(c.ma_cskcb, '?') as ma_cskcb, m.month,
                   c.claimed, c.payable, c.refused, c.adjusted, c.under_review,
                   c.findings
            from c left join m
              on m.ma_lk = c.ma_lk and m.ma_cskcb is not distinct from c.ma_cskcb
            where {" and ".join(where)}
        """  # noqa: S608 - the conditions are fixed texts written here
        total_row = con.execute(f"select count(*) from ({base})", params).fetchone()  # noqa: S608
        rows = con.execute(
            f"""select * from ({base})
                order by refused + adjusted + under_review desc, ma_lk
                limit ? offset ?""",  # noqa: S608
            [*params, limit, offset],
        ).fetchall()
        scope = "where ma_cskcb = ?" if actor.role is Role.FACILITY else ""
        scope_params = [actor.ma_cskcb or ""] if scope else []
        facilities = [
            r[0]
            for r in con.execute(
                f"select distinct ma_cskcb from read_parquet(?) {scope} order by 1",  # noqa: S608
                [str(folder / "claims.parquet"), *scope_params],
            ).fetchall()
            if r[0] is not None
        ]
    finally:
        con.close()
    items = [
        ClaimRow(
            ma_lk=r[0],
            ma_cskcb=r[1],
            month=r[2],
            claimed=_money(r[3]),
            payable=_money(r[4]),
            refused=_money(r[5]),
            adjusted=_money(r[6]),
            under_review=_money(r[7]),
            findings=int(r[8] or 0),
        )
        for r in rows
    ]
    return ClaimList(
        run=folder.name,
        items=items,
        total=int(total_row[0]) if total_row else 0,
        limit=limit,
        offset=offset,
        facilities=facilities,
    )


# ------------------------------------------------------------------ one claim


@dataclass(frozen=True, slots=True, kw_only=True)
class BasisView:
    """A legal basis of a rule with how far its citation was verified."""

    cite: str
    document: str
    article: str
    clause: str
    signed: date | None
    in_force: date | None
    verified: str | None
    source: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeEvidence:
    """The measured and the reference time of a time-evidence finding.

    Evidence for a joint verification, never a ground for refusal (Ministry of
    Health, 2025): such a rule can only be ``info`` or ``review``.
    """

    measured: Any
    reference: Any
    measured_field: str | None
    reference_field: str | None
    unit: str
    unit_en: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimFinding:
    """One finding of a rule on a line or on the whole claim."""

    rule_id: str
    rule_version: int
    title: str
    title_en: str
    severity: Severity
    tbl: str | None
    stt: int | None
    code: str | None
    amount: Decimal
    message: str
    message_en: str
    refusal_code: str | None
    basis: tuple[BasisView, ...]
    evidence: dict[str, Any]
    time: TimeEvidence | None = None

    @property
    def shown_evidence(self) -> dict[str, str]:
        """Return the evidence as it reads (``70.000``, ``02/03/2026``)."""
        return {k: str(shown(v)) for k, v in self.evidence.items()}


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseDecision:
    """The latest decision of a joint verification on one line."""

    case: str
    round: int
    payable: Decimal
    refused: Decimal
    adjusted: Decimal
    reason: str
    basis: str | None
    decided_by: str
    decided_on: date


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimLine:
    """One XML2/XML3 line: what was billed, what the run decided, and why."""

    tbl: str
    stt: int
    code: str
    name: str | None
    unit: str | None
    quantity: Decimal | None
    price: Decimal | None
    service_date: date | None
    claimed: Decimal
    payable: Decimal
    refused: Decimal
    adjusted: Decimal
    under_review: Decimal
    status: str
    findings: list[ClaimFinding] = field(default_factory=list)
    case: str | None = None
    decision: CaseDecision | None = None

    @property
    def anchor(self) -> str:
        """Return the line's anchor on the claim page (``XML3-2``)."""
        return f"{self.tbl}-{self.stt}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimHeader:
    """The claim's header: facility, dates, diagnoses; the patient minimally."""

    ma_lk: str
    ma_cskcb: str
    month: str | None
    ma_bn: str | None
    patient: str
    admitted: datetime | None
    discharged: datetime | None
    """Admission and discharge, in Viet Nam's time (the claim's own clock)."""
    ma_benh_chinh: str | None
    ma_benh_kt: list[str]
    ma_loai_kcb: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimCase:
    """A joint-verification case holding lines of the claim."""

    code: str
    state: CaseState
    title: str
    title_en: str
    lines: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimDetail:
    """Everything the claim page shows."""

    run: str
    rule_set: str
    header: ClaimHeader
    money: dict[str, Decimal]
    lines: list[ClaimLine]
    claim_findings: list[ClaimFinding]
    cases: list[ClaimCase]

    @property
    def findings(self) -> list[ClaimFinding]:
        """Return every finding: the claim's, then the lines'."""
        return [*self.claim_findings, *(f for ln in self.lines for f in ln.findings)]


_KINDS: dict[str, dict[str, ValueKind]] = {}
_KINDS_LOCK = threading.Lock()


def rule_kinds(
    rule_set: RuleSet, rules: Iterable[Rule]
) -> dict[str, dict[str, ValueKind]]:
    """Return the kind of each evidence column of ``rules`` (computed once per version).

    The run keeps evidence as text; the kinds (bound by DuckDB from each rule's
    SQL over empty views) give every value its type back, so a code keeps its
    leading zero and a number reads the Vietnamese way.
    """
    wanted = {r.key: r for r in rules}
    with _KINDS_LOCK:
        missing = [
            r for k, r in wanted.items() if f"{rule_set.version}|{k}" not in _KINDS
        ]
        if missing:
            views = logical_views(claims={}, reference={}, edits=rule_set.tables)
            backend = DuckDBBackend()
            try:
                prepare_views(backend, views, missing)
                for key, kinds in evidence_kinds(backend, missing).items():
                    _KINDS[f"{rule_set.version}|{key}"] = kinds
            finally:
                backend.close()
        return {k: _KINDS[f"{rule_set.version}|{k}"] for k in wanted}


def basis_views(bases: Iterable[Basis]) -> tuple[BasisView, ...]:
    """Return the bases with their citation rows (verification, source)."""
    known = citations()
    out = []
    for basis in bases:
        row = find(basis, known)
        out.append(
            BasisView(
                cite=basis.cite(),
                document=basis.document,
                article=basis.article,
                clause=basis.clause,
                signed=basis.date,
                in_force=basis.in_force,
                verified=row.verified.value if row else None,
                source=row.source if row else None,
            )
        )
    return tuple(out)


_TIME_WORDS = ("phut", "minute", "thoi_gian", "gio")
_REFERENCE_WORDS = ("tham_chieu", "reference", "tham_khao")


def time_evidence(rule: Rule, evidence: Mapping[str, Any]) -> TimeEvidence | None:
    """Return the measured and reference times of a time-evidence rule's finding."""
    if not any(e.is_time for e in rule.evidence):
        return None
    measured_field = reference_field = None
    for key in evidence:
        lower = key.lower()
        if not any(w in lower for w in _TIME_WORDS):
            continue
        if any(w in lower for w in _REFERENCE_WORDS):
            reference_field = reference_field or key
        else:
            measured_field = measured_field or key
    minutes = any(
        "phut" in (k or "") or "minute" in (k or "")
        for k in (measured_field, reference_field)
    )
    return TimeEvidence(
        measured=evidence.get(measured_field) if measured_field else None,
        reference=evidence.get(reference_field) if reference_field else None,
        measured_field=measured_field,
        reference_field=reference_field,
        unit="phút" if minutes else "",
        unit_en="min" if minutes else "",
    )


def shown(value: Any) -> Any:
    """Return an evidence value as it reads in Vietnamese (as the messages do)."""
    if isinstance(value, Decimal):
        return format_dong(value)
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return value


def render_findings(rows: Sequence[Mapping[str, Any]]) -> list[ClaimFinding]:
    """Turn rows of a run's ``findings.parquet`` into explained findings.

    The messages are rendered by the engine (``Assessment.finding_objects``) from
    the rule version that produced the row and its recorded evidence.
    """
    if not rows:
        return []
    rule_set = load_rule_set()
    by_key = {r.key: r for r in rule_set.rules}
    known = [r for r in rows if f"{r['rule_id']}@{r['rule_version']}" in by_key]
    used = {
        f"{r['rule_id']}@{r['rule_version']}": by_key[
            f"{r['rule_id']}@{r['rule_version']}"
        ]
        for r in known
    }
    table = pa.Table.from_pylist(
        [{n: r.get(n) for n in FINDINGS_SCHEMA.names} for r in known],
        schema=FINDINGS_SCHEMA,
    )
    result = Assessment(
        findings=table,
        lines=pa.table({}),
        claims=pa.table({}),
        rule_set=rule_set.version,
        as_of=None,
        rules=used,
        kinds=rule_kinds(rule_set, used.values()),
    )
    objects: list[Finding] = result.finding_objects()
    out: list[ClaimFinding] = []
    for row, finding in zip(known, objects, strict=True):
        rule = used[f"{row['rule_id']}@{row['rule_version']}"]
        out.append(
            ClaimFinding(
                rule_id=rule.id,
                rule_version=rule.version,
                title=rule.title,
                title_en=rule.title_en,
                severity=finding.severity,
                tbl=row["tbl"],
                stt=row["stt"],
                code=row["code"],
                amount=_money(row["amount"]),
                message=finding.message,
                message_en=finding.message_en or finding.message,
                refusal_code=finding.refusal_code,
                basis=basis_views(rule.basis),
                evidence=dict(finding.evidence),
                time=time_evidence(rule, finding.evidence),
            )
        )
    for row in rows:
        if f"{row['rule_id']}@{row['rule_version']}" in by_key:
            continue
        evidence = json.loads(row["evidence"]) if row["evidence"] else {}
        out.append(
            ClaimFinding(
                rule_id=row["rule_id"],
                rule_version=int(row["rule_version"]),
                title=row["rule_id"],
                title_en=row["rule_id"],
                severity=Severity(row["severity"]),
                tbl=row["tbl"],
                stt=row["stt"],
                code=row["code"],
                amount=_money(row["amount"]),
                message=(
                    f"Phiên bản {row['rule_version']} của quy tắc {row['rule_id']} "
                    "không còn trong bộ quy tắc"
                ),
                message_en=(
                    f"version {row['rule_version']} of rule {row['rule_id']} is no "
                    "longer in the rule set"
                ),
                refusal_code=None,
                basis=(),
                evidence={k: v for k, v in evidence.items() if v is not None},
            )
        )
    return out


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _claim_row(
    con: duckdb.DuckDBPyConnection, folder: Path, ma_lk: str, actor: Actor
) -> dict[str, Any] | None:
    where = "ma_lk = ?"
    params: list[Any] = [str(folder / "claims.parquet"), ma_lk]
    if actor.role is Role.FACILITY:
        where += " and ma_cskcb = ?"
        params.append(actor.ma_cskcb or "")
    rows = _dicts(
        con.execute(
            f"select * from read_parquet(?) where {where} order by ma_cskcb limit 1",  # noqa: S608
            params,
        )
    )
    if not rows or not actor.may_see(rows[0]["ma_cskcb"]):
        return None
    return rows[0]


def _header(
    con: duckdb.DuckDBPyConnection, views: set[str], claim: Mapping[str, Any]
) -> ClaimHeader:
    ma_lk, ma_cskcb = claim["ma_lk"], claim["ma_cskcb"]
    month_row = con.execute(
        f"select month from ({_MONTHS}) "  # noqa: S608 - a fixed query written here
        "where ma_lk = ? and ma_cskcb is not distinct from ?",
        [ma_lk, ma_cskcb],
    ).fetchone()
    head: dict[str, Any] = {}
    if "xml1" in views:
        found = _dicts(
            con.execute(
                """select MA_BN, HO_TEN, NGAY_VAO, NGAY_RA, MA_BENH_CHINH, MA_BENH_KT,
                          MA_LOAI_KCB
                   from xml1 where MA_LK = ? and MA_CSKCB is not distinct from ?
                   limit 1""",
                [ma_lk, ma_cskcb],
            )
        )
        head = found[0] if found else {}
    extra = head.get("MA_BENH_KT") or ""
    return ClaimHeader(
        ma_lk=ma_lk,
        ma_cskcb=ma_cskcb or "?",
        month=month_row[0] if month_row else None,
        ma_bn=head.get("MA_BN"),
        patient=mask_name(head.get("HO_TEN")),
        admitted=_local_time(head.get("NGAY_VAO")),
        discharged=_local_time(head.get("NGAY_RA")),
        ma_benh_chinh=head.get("MA_BENH_CHINH") or None,
        ma_benh_kt=[c.strip() for c in str(extra).split(";") if c.strip()],
        ma_loai_kcb=head.get("MA_LOAI_KCB") or None,
    )


def _local_time(value: Any) -> datetime | None:
    """Return a claim's time (written in Viet Nam's time, without a zone) as such."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=VIETNAM)


_LINE_DETAILS = {
    "xml2": """select STT as stt, MA_THUOC as code, TEN_THUOC as name,
                      DON_VI_TINH as unit, SO_LUONG as quantity, DON_GIA as price
               from xml2 where MA_LK = ?""",
    "xml3": """select STT as stt, coalesce(nullif(MA_DICH_VU, ''), MA_VAT_TU) as code,
                      coalesce(nullif(TEN_DICH_VU, ''), TEN_VAT_TU) as name,
                      DON_VI_TINH as unit, SO_LUONG as quantity,
                      coalesce(DON_GIA_BH, DON_GIA_BV) as price
               from xml3 where MA_LK = ?""",
}


def _line_details(
    con: duckdb.DuckDBPyConnection, views: set[str], ma_lk: str
) -> dict[tuple[str, int], dict[str, Any]]:
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for view, sql in _LINE_DETAILS.items():
        if view not in views:
            continue
        for row in _dicts(con.execute(sql, [ma_lk])):
            out.setdefault((view.upper(), int(row["stt"])), row)
    return out


def has_cases(database_url: str | None) -> bool:
    """Return whether the operational store exists and has review cases' tables."""
    if database_url is None:
        return False
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and (
        not url.database or not Path(url.database).is_file()
    ):
        return False
    engine = make_engine(database_url)
    try:
        return inspect(engine).has_table("review_case")
    finally:
        engine.dispose()


def _claim_cases(
    database_url: str | None, ma_lk: str, ma_cskcb: str | None
) -> tuple[list[ClaimCase], dict[tuple[str, int], tuple[str, CaseDecision | None]]]:
    if not has_cases(database_url):
        return [], {}
    with review_session(database_url) as session:
        found = session.execute(
            select(ReviewLine, ReviewCase)
            .join(ReviewCase, ReviewLine.case_id == ReviewCase.id)
            .where(ReviewLine.ma_lk == ma_lk, ReviewCase.ma_cskcb == (ma_cskcb or ""))
            .order_by(ReviewCase.id, ReviewLine.tbl, ReviewLine.stt)
        ).all()
        line_ids = [ln.id for ln, _ in found]
        latest: dict[int, ReviewDecision] = {}
        if line_ids:
            for decision in session.scalars(
                select(ReviewDecision)
                .where(ReviewDecision.line_id.in_(line_ids))
                .order_by(ReviewDecision.id)
            ):
                latest[decision.line_id] = decision
        per_case: dict[str, ClaimCase] = {}
        lines: dict[tuple[str, int], tuple[str, CaseDecision | None]] = {}
        for line, case in found:
            have = per_case.get(case.code)
            per_case[case.code] = ClaimCase(
                code=case.code,
                state=CaseState(case.state),
                title=case.title,
                title_en=case.title_en,
                lines=(have.lines if have else 0) + 1,
            )
            got = latest.get(line.id)
            lines[(line.tbl, int(line.stt))] = (
                case.code,
                CaseDecision(
                    case=case.code,
                    round=got.round,
                    payable=got.payable,
                    refused=got.refused,
                    adjusted=got.adjusted,
                    reason=got.reason,
                    basis=got.basis,
                    decided_by=got.decided_by,
                    decided_on=got.decided_on,
                )
                if got is not None
                else None,
            )
    return list(per_case.values()), lines


def _not_found(ma_lk: str) -> NotFoundError:
    return NotFoundError(f"không có hồ sơ {ma_lk} / no claim {ma_lk}")


def show_claim(
    actor: Actor,
    store_dir: Path,
    ma_lk: str,
    *,
    database_url: str | None = None,
) -> ClaimDetail:
    """Return one claim of the newest run, explained line by line.

    Raises:
        ForbiddenError: the actor's role sees no claim.
        NotFoundError: no such claim in the run, or another facility's.
        ConfigError: no assessment run yet.
    """
    require_role(actor, CLAIM_ROLES)
    folder = latest_run(store_dir)
    meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    con = _connect(store_dir)
    try:
        claim = _claim_row(con, folder, ma_lk, actor)
        if claim is None:
            raise _not_found(ma_lk)
        views = _views(con)
        header = _header(con, views, claim)
        details = _line_details(con, views, ma_lk)
        lines = _dicts(
            con.execute(
                "select * from read_parquet(?) where ma_lk = ? order by tbl, stt",
                [str(folder / "lines.parquet"), ma_lk],
            )
        )
        found = _dicts(
            con.execute(
                """select * from read_parquet(?) where ma_lk = ?
                   order by tbl nulls first, stt, rule_id, rule_version""",
                [str(folder / "findings.parquet"), ma_lk],
            )
        )
    finally:
        con.close()
    findings = render_findings(found)
    cases, in_case = _claim_cases(database_url, ma_lk, claim["ma_cskcb"])
    out_lines: list[ClaimLine] = []
    for row in lines:
        key = (row["tbl"], int(row["stt"]))
        detail = details.get(key, {})
        case_code, decision = in_case.get(key, (None, None))
        out_lines.append(
            ClaimLine(
                tbl=row["tbl"],
                stt=int(row["stt"]),
                code=row["code"] or detail.get("code") or "",
                name=detail.get("name"),
                unit=detail.get("unit"),
                quantity=detail.get("quantity"),
                price=detail.get("price"),
                service_date=row["service_date"],
                claimed=_money(row["claimed"]),
                payable=_money(row["payable"]),
                refused=_money(row["refused"]),
                adjusted=_money(row["adjusted"]),
                under_review=_money(row["under_review"]),
                status=row["status"],
                findings=[
                    f for f in findings if f.tbl == row["tbl"] and f.stt == row["stt"]
                ],
                case=case_code,
                decision=decision,
            )
        )
    return ClaimDetail(
        run=folder.name,
        rule_set=str(meta.get("rule_set", "")),
        header=header,
        money={k: _money(claim[k]) for k in MONEY_KEYS},
        lines=out_lines,
        claim_findings=[f for f in findings if f.tbl is None],
        cases=cases,
    )


__all__ = [
    "CLAIM_ROLES",
    "INSURER",
    "STATUSES",
    "BasisView",
    "CaseDecision",
    "ClaimCase",
    "ClaimDetail",
    "ClaimFinding",
    "ClaimHeader",
    "ClaimLine",
    "ClaimList",
    "ClaimRow",
    "NotFoundError",
    "TimeEvidence",
    "basis_views",
    "has_cases",
    "list_claims",
    "mask_name",
    "render_findings",
    "require_role",
    "rule_kinds",
    "show_claim",
    "shown",
    "time_evidence",
]
