"""Use cases of joint verification: open cases from a run, act on them, report.

Cases are opened from the newest assessment run of a claim store (every line
whose money is held under review, grouped by facility × rule × month or one case
per claim) and from the store's inspection leads (one lead, one case per facility
it names). Decisions live in the operational store; ``review_position`` lays them
over the run's automated decisions, so the money moved from "under review" to
payable, refused or adjusted shows beside the automated figures, which stay as
they were.
"""

from __future__ import annotations

import json
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from giamdinh.config import get_settings
from giamdinh.db import make_engine, make_session_factory, session_scope, upgrade
from giamdinh.db.migrate import current_revision, head_revision
from giamdinh.errors import ConfigError, ForbiddenError
from giamdinh.review import audit, cases
from giamdinh.review.attachments import path_of
from giamdinh.review.workflow import Action, Actor, CaseState, Role, allowed_actions
from giamdinh.services.assessment import latest_run
from giamdinh.store import ClaimStore

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from sqlalchemy.orm import Session

    from giamdinh.db.models.review import (
        ReviewAttachment,
        ReviewCase,
        ReviewDecision,
        ReviewMeeting,
    )
    from giamdinh.review.deadlines import Deadline

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
ZERO = Decimal(0)
GROUPINGS = ("rule-month", "claim")


def today_vn() -> date:
    """Return today's date in Viet Nam."""
    return datetime.now(tz=VIETNAM).date()


def _url(database_url: str | None) -> str:
    return database_url or get_settings().database_url


def attachments_dir(database_url: str | None = None) -> Path:
    """Return the folder of attached files for a database (see ``Settings``)."""
    settings = get_settings()
    if settings.attachments_dir is not None:
        return settings.attachments_dir
    url = make_url(_url(database_url))
    if url.get_backend_name() == "sqlite" and url.database:
        db = Path(url.database)
        return db.with_name(db.name + ".attachments")
    return Path("attachments")


@contextmanager
def review_session(database_url: str | None = None) -> Iterator[Session]:
    """Open a session on the operational store, migrated to the newest schema."""
    url = _url(database_url)
    engine = make_engine(url)
    try:
        if current_revision(engine) != head_revision():
            upgrade(engine)
        with session_scope(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


class CaseNotFoundError(ConfigError):
    """No such case for this user: unknown, or another facility's.

    Facility staff are told another facility's case does not exist, in the same
    words as a code that was never issued; the pages and the API answer 404.
    """


def _actor(session: Session, user: str) -> Actor:
    """Return the acting user, if their role works on cases at all.

    Raises:
        ConfigError: no such active user.
        ForbiddenError: the Ministry's and the administrators' accounts, which
            see no claim and no case.
    """
    by = cases.actor(session, user)
    if not by.role.sees_claims:
        msg = (
            f"{by.role.label_vi} không xem hồ sơ giám định chung / a "
            f"{by.role.value} account sees no joint-verification case"
        )
        raise ForbiddenError(msg)
    return by


def _case(session: Session, code: str, by: Actor) -> ReviewCase:
    """Return the case ``code`` if ``by`` may see it.

    Raises:
        CaseNotFoundError: no such case, or another facility's.
    """
    try:
        return cases.get_case(session, code, by)
    except ConfigError as exc:
        raise CaseNotFoundError(str(exc)) from exc


def _has_review_tables(database_url: str) -> bool:
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


# ------------------------------------------------------------------ opening


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenResult:
    """What opening cases did."""

    opened: tuple[str, ...]
    lines: int
    stake: Decimal
    already_in_case: int
    without_lines: int
    source: str


def _rule_info() -> dict[str, Any]:
    from giamdinh.rules.registry import load_rule_set  # noqa: PLC0415

    return {r.id: r for r in load_rule_set()}


def _received(store_dir: Path) -> dict[str, date]:
    """Return, per current claim, the day (in Viet Nam) the store received it."""
    con = ClaimStore.open(store_dir, create=False).connect()
    try:
        rows = con.execute(
            "select ma_lk, min(ingested_at) from claims group by 1"
        ).fetchall()
    finally:
        con.close()
    return {r[0]: r[1].astimezone(VIETNAM).date() for r in rows if r[1] is not None}


def _run_tables(folder: Path) -> dict[str, pa.Table]:
    return {
        name: pq.read_table(folder / f"{name}.parquet")
        for name in ("lines", "claims", "findings")
    }


def _line_rows(con: duckdb.DuckDBPyConnection, where: str) -> list[dict[str, Any]]:
    cursor = con.execute(
        f"""
        select l.ma_lk, l.tbl, l.stt, l.code, l.service_date, l.claimed, l.payable,
               l.refused, l.adjusted, l.under_review, c.ma_cskcb
        from lines as l join claims as c using (ma_lk)
        where {where}
        order by c.ma_cskcb, l.ma_lk, l.tbl, l.stt
        """  # noqa: S608 - fixed conditions written here
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _findings_by_line(
    findings: pa.Table, rules: dict[str, Any]
) -> tuple[
    dict[tuple[str, str, int], list[dict[str, Any]]], dict[str, list[dict[str, Any]]]
]:
    per_line: dict[tuple[str, str, int], list[dict[str, Any]]] = defaultdict(list)
    per_claim: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in findings.to_pylist():
        rule = rules.get(row["rule_id"])
        item = {
            "rule_id": row["rule_id"],
            "rule_version": row["rule_version"],
            "severity": row["severity"],
            "amount": str(row["amount"]) if row["amount"] is not None else None,
            "title": rule.title if rule else row["rule_id"],
            "title_en": rule.title_en if rule else row["rule_id"],
            "basis": [b.cite() for b in rule.basis] if rule else [],
            "time_evidence": bool(rule and any(e.is_time for e in rule.evidence)),
            "evidence": json.loads(row["evidence"]) if row["evidence"] else {},
        }
        if row["tbl"] is None:
            per_claim[row["ma_lk"]].append(item)
        else:
            per_line[(row["ma_lk"], row["tbl"], int(row["stt"]))].append(item)
    return per_line, per_claim


def _primary_rule(line_f: list[dict[str, Any]], claim_f: list[dict[str, Any]]) -> str:
    for group, severities in ((line_f, {"review"}), (claim_f, {"review", "adjust"})):
        held = sorted(f["rule_id"] for f in group if f["severity"] in severities)
        if held:
            return str(held[0])
    return "REVIEW"


def _spec_line(row: dict[str, Any], found: list[dict[str, Any]]) -> cases.LineSpec:
    return cases.LineSpec(
        ma_lk=row["ma_lk"],
        tbl=row["tbl"],
        stt=int(row["stt"]),
        code=row["code"],
        service_date=row["service_date"],
        claimed=Decimal(row["claimed"]),
        payable=Decimal(row["payable"]),
        refused=Decimal(row["refused"]),
        adjusted=Decimal(row["adjusted"]),
        under_review=Decimal(row["under_review"]),
        findings=tuple(found),
    )


def _open_all(
    session: Session, specs: list[cases.CaseSpec], by: Actor, source: str
) -> OpenResult:
    taken = cases.taken_lines(
        session, (line.key for spec in specs for line in spec.lines)
    )
    opened: list[str] = []
    lines = 0
    stake = ZERO
    for spec in specs:
        case = cases.open_case(session, spec, by, taken=taken)
        if case is not None:
            opened.append(case.code)
            lines += len(case.lines)
            stake += sum((ln.stake for ln in case.lines), ZERO)
    return OpenResult(
        opened=tuple(opened),
        lines=lines,
        stake=stake,
        already_in_case=0,
        without_lines=0,
        source=source,
    )


def open_from_findings(
    store_dir: Path,
    *,
    user: str,
    database_url: str | None = None,
    run: str | None = None,
    grouping: str = "rule-month",
    received_on: date | None = None,
) -> OpenResult:
    """Open a case for every group of lines held under review in a run.

    Args:
        store_dir: the claim store.
        user: who opens them (an assessor or supervisor).
        database_url: the operational store (settings by default).
        run: the assessment run (newest by default).
        grouping: ``rule-month`` (facility × rule × month of service) or
            ``claim`` (one case per claim).
        received_on: the day the data was received, if not the store's own
            ingest day of each claim (the legal clock starts there).

    Raises:
        ConfigError: no run, an unknown grouping, or the user may not open cases.
    """
    if grouping not in GROUPINGS:
        msg = (
            f"cách nhóm {grouping!r} không có; chọn {', '.join(GROUPINGS)} / "
            "unknown grouping"
        )
        raise ConfigError(msg)
    folder = latest_run(store_dir) if run is None else store_dir / "assessments" / run
    tables = _run_tables(folder)
    rules = _rule_info()
    per_line, per_claim = _findings_by_line(tables["findings"], rules)
    received = _received(store_dir)
    con = duckdb.connect()
    try:
        con.register("lines", tables["lines"])
        con.register("claims", tables["claims"])
        rows = _line_rows(con, "l.under_review > 0")
        held_claims = con.execute(
            "select count(*) from claims where under_review > 0 and ma_lk not in "
            "(select ma_lk from lines)"
        ).fetchone()
    finally:
        con.close()
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        line_f = per_line.get((row["ma_lk"], row["tbl"], int(row["stt"])), [])
        claim_f = per_claim.get(row["ma_lk"], [])
        row["findings"] = line_f + claim_f
        rule_id = _primary_rule(line_f, claim_f)
        day = row["service_date"]
        month = f"{day:%Y-%m}" if day else "unknown"
        key: tuple[str, ...] = (
            ("rule", rule_id, row["ma_cskcb"], month)
            if grouping == "rule-month"
            else ("claim", row["ma_lk"], row["ma_cskcb"], month)
        )
        groups[key].append(row)
    specs: list[cases.CaseSpec] = []
    for key, members in groups.items():
        kind, subject, facility, month = key
        days = [m["service_date"] for m in members if m["service_date"] is not None]
        start = min(days) if days else date(1970, 1, 1)
        end = max(days) if days else start
        got = [received[m["ma_lk"]] for m in members if m["ma_lk"] in received]
        clock = received_on or (min(got) if got else today_vn())
        if kind == "rule":
            rule = rules.get(subject)
            title = rule.title if rule else subject
            title_en = rule.title_en if rule else subject
            name_vi = f"{subject} — {title} — cơ sở {facility}, tháng {month}"
            name_en = f"{subject} — {title_en} — facility {facility}, {month}"
        else:
            name_vi = f"Hồ sơ {subject} — cơ sở {facility}"
            name_en = f"Claim {subject} — facility {facility}"
        specs.append(
            cases.CaseSpec(
                # The run is part of the key: a later run's newly held lines of
                # an opened group get a case of their own (lines in a case stay).
                key="|".join((*key, folder.name)),
                origin="findings",
                source=f"{subject}@{folder.name}" if kind == "rule" else folder.name,
                title=name_vi,
                title_en=name_en,
                ma_cskcb=facility,
                period_start=start,
                period_end=end,
                received_on=clock,
                lines=tuple(_spec_line(m, m["findings"]) for m in members),
                evidence={"run": folder.name},
            )
        )
    with review_session(database_url) as session:
        by = cases.actor(session, user)
        result = _open_all(session, specs, by, source=folder.name)
    return OpenResult(
        opened=result.opened,
        lines=result.lines,
        stake=result.stake,
        already_in_case=len(rows) - result.lines,
        without_lines=int(held_claims[0]) if held_claims else 0,
        source=folder.name,
    )


def open_from_leads(
    store_dir: Path,
    *,
    user: str,
    database_url: str | None = None,
    run: str | None = None,
    received_on: date | None = None,
    codes: Sequence[str] = (),
) -> OpenResult:
    """Open a case for every inspection lead (per facility it names).

    A lead's lines are matched to the run's line decisions; a line already in a
    case stays there. The lead's message, arithmetic and numbers are the case's
    evidence: machine and execution times are evidence, never a ground.

    Raises:
        ConfigError: no run or no leads computed for the store.
    """
    from giamdinh.services.signals import load_leads  # noqa: PLC0415

    folder = latest_run(store_dir) if run is None else store_dir / "assessments" / run
    tables = _run_tables(folder)
    leads = load_leads(store_dir).to_pylist()
    if codes:
        leads = [lead for lead in leads if lead["code"] in set(codes)]
    received = _received(store_dir)
    con = duckdb.connect()
    try:
        con.register("lines", tables["lines"])
        con.register("claims", tables["claims"])
        rows = _line_rows(con, "true")
    finally:
        con.close()
    by_line = {(r["ma_lk"], int(r["stt"])): r for r in rows if r["tbl"] == "XML3"}
    specs: list[cases.CaseSpec] = []
    wanted = 0
    for lead in leads:
        members = [
            by_line[(ref["ma_lk"], int(ref["stt"]))]
            for ref in lead["lines"] or ()
            if (ref["ma_lk"], int(ref["stt"])) in by_line
        ]
        wanted += len(members)
        per_facility: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for m in members:
            per_facility[m["ma_cskcb"]].append(m)
        evidence = {
            "lead_id": lead["lead_id"],
            "code": lead["code"],
            "name": lead["name"],
            "message": lead["message"],
            "message_en": lead["message_en"],
            "arithmetic": lead["arithmetic"],
            "numbers": json.loads(lead["evidence"]) if lead["evidence"] else {},
            "practitioner": lead["practitioner"],
            "machine": lead["machine"],
            "n_lines": lead["n_lines"],
            "score": lead["score"],
            "ground": "evidence only: a lead is never a refusal ground",
        }
        for facility, lines in per_facility.items():
            got = [received[m["ma_lk"]] for m in lines if m["ma_lk"] in received]
            specs.append(
                cases.CaseSpec(
                    key=f"lead|{lead['lead_id']}|{facility}",
                    origin="lead",
                    source=lead["code"],
                    title=f"{lead['code']} — {lead['message']}",
                    title_en=f"{lead['code']} — {lead['message_en']}",
                    ma_cskcb=facility,
                    period_start=lead["period_start"],
                    period_end=lead["period_end"],
                    received_on=received_on or (min(got) if got else today_vn()),
                    lines=tuple(_spec_line(m, []) for m in lines),
                    evidence=evidence,
                )
            )
    with review_session(database_url) as session:
        by = cases.actor(session, user)
        result = _open_all(session, specs, by, source="leads")
    return OpenResult(
        opened=result.opened,
        lines=result.lines,
        stake=result.stake,
        already_in_case=wanted - result.lines,
        without_lines=0,
        source="leads",
    )


# ------------------------------------------------------------------ reading


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseRow:
    """One case in a list: where it stands, its money and its running deadline."""

    code: str
    state: CaseState
    ma_cskcb: str
    origin: str
    source: str
    title: str
    title_en: str
    assignee: str | None
    round: int
    lines: int
    stake: Decimal
    open: Decimal
    deadline: Deadline | None
    overdue: bool
    version: int
    received_on: date
    appeal_until: Deadline | None = None


def _row(session: Session, case: ReviewCase, today: date) -> CaseRow:
    money = cases.case_money(session, case)
    running = cases.next_deadline(case)
    return CaseRow(
        code=case.code,
        state=CaseState(case.state),
        ma_cskcb=case.ma_cskcb,
        origin=case.origin,
        source=case.source,
        title=case.title,
        title_en=case.title_en,
        assignee=case.assignee,
        round=case.round,
        lines=money.lines,
        stake=money.stake,
        open=money.open,
        deadline=running,
        overdue=running is not None and running.overdue(today),
        version=case.version,
        received_on=case.received_on,
        appeal_until=cases.appeal_deadline(case),
    )


def list_cases(
    *,
    user: str,
    database_url: str | None = None,
    overdue: bool = False,
    states: Sequence[CaseState] = (),
    facility: str | None = None,
    today: date | None = None,
    due_within: int | None = None,
) -> list[CaseRow]:
    """Return the cases the user may see, with money and deadline, oldest first.

    Args:
        user: who asks; facility staff get their facility's cases only.
        database_url: the operational store (settings by default).
        overdue: only cases whose running deadline has passed.
        states: only cases in these states.
        facility: only this facility's cases.
        today: the day deadlines are counted from (today in Viet Nam).
        due_within: only cases whose running deadline falls from ``today`` to
            ``today`` + this many calendar days (not yet overdue).

    Raises:
        ForbiddenError: the user's role sees no case (Ministry, administrators).
    """
    day = today or today_vn()
    with review_session(database_url) as session:
        by = _actor(session, user)
        rows = [
            _row(session, case, day)
            for case in cases.visible_cases(session, by, states=states)
            if facility is None or case.ma_cskcb == facility
        ]
    if overdue:
        rows = [r for r in rows if r.overdue]
    if due_within is not None:
        rows = [r for r in rows if _due_soon(r, day, due_within)]
    return rows


def _due_soon(row: CaseRow, day: date, days: int) -> bool:
    """Return whether the case's running deadline falls in the next ``days`` days."""
    return (
        row.deadline is not None
        and not row.overdue
        and row.deadline.due <= day + timedelta(days=days)
    )


#: The views of the review queue: every case, overdue ones, those due soon.
QUEUE_VIEWS = ("all", "overdue", "due")


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseQueue:
    """The review queue as a person works it: the cases asked for and the counts.

    Attributes:
        rows: the cases of the view and filters, the most urgent first (running
            deadline, then code; cases without a running deadline last).
        today: the day deadlines were counted from.
        due_days: how many days ahead "due soon" looks.
        total: every case the user may see (no filter).
        open: those not closed; ``open_money`` the money still open in them.
        overdue: cases past their running deadline; ``overdue_money`` theirs.
        due_soon: cases due within ``due_days`` days, not yet overdue.
        facilities: the facilities of the cases the user may see.
    """

    rows: list[CaseRow]
    today: date
    due_days: int
    total: int
    open: int
    open_money: Decimal
    overdue: int
    overdue_money: Decimal
    due_soon: int
    facilities: list[str]


def case_queue(
    *,
    user: str,
    database_url: str | None = None,
    view: str = "all",
    states: Sequence[CaseState] = (),
    facility: str | None = None,
    today: date | None = None,
    due_days: int = 7,
) -> CaseQueue:
    """Return the review queue of ``user`` (facility staff: their facility's).

    Args:
        user: who asks.
        database_url: the operational store (settings by default).
        view: ``all``, ``overdue`` or ``due`` (due within ``due_days`` days).
        states: only cases in these states.
        facility: only this facility's cases.
        today: the day deadlines are counted from (today in Viet Nam).
        due_days: how many calendar days ahead "due soon" looks.

    Raises:
        ConfigError: an unknown view.
        ForbiddenError: the user's role sees no case (Ministry, administrators).
    """
    if view not in QUEUE_VIEWS:
        msg = f"không có mục {view!r}; chọn {', '.join(QUEUE_VIEWS)} / unknown view"
        raise ConfigError(msg)
    day = today or today_vn()
    every = list_cases(user=user, database_url=database_url, today=day)
    open_rows = [r for r in every if r.state is not CaseState.CLOSED]
    late = [r for r in open_rows if r.overdue]
    rows = [
        r
        for r in every
        if (not states or r.state in states)
        and (facility is None or r.ma_cskcb == facility)
        and (view != "overdue" or r.overdue)
        and (view != "due" or _due_soon(r, day, due_days))
    ]
    rows.sort(key=lambda r: (r.deadline.due if r.deadline else date.max, r.code))
    return CaseQueue(
        rows=rows,
        today=day,
        due_days=due_days,
        total=len(every),
        open=len(open_rows),
        open_money=sum((r.open for r in open_rows), ZERO),
        overdue=len(late),
        overdue_money=sum((r.open for r in late), ZERO),
        due_soon=sum(1 for r in every if _due_soon(r, day, due_days)),
        facilities=sorted({r.ma_cskcb for r in every}),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class LineView:
    """A line of a case with its findings and its decisions (newest last)."""

    line_key: str
    ma_lk: str
    tbl: str
    stt: int
    code: str | None
    service_date: date | None
    claimed: Decimal
    stake_kind: str
    stake: Decimal
    findings: list[dict[str, Any]]
    decisions: list[ReviewDecision]


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseView:
    """Everything about one case, as a person acting on it needs it."""

    row: CaseRow
    case: ReviewCase
    money: cases.CaseMoney
    evidence: dict[str, Any]
    lines: list[LineView]
    attachments: list[ReviewAttachment]
    meetings: list[ReviewMeeting]
    appeal_until: Deadline | None
    history: list[dict[str, Any]]
    allowed: list[str] = field(default_factory=list)


def show_case(
    code: str, *, user: str, database_url: str | None = None, today: date | None = None
) -> CaseView:
    """Return one case, if the user may see it.

    ``allowed`` lists what the user may do now: the actions their role may take
    in the case's state, less those the case refuses them (another assessor's
    case; deciding while the facility still has time to answer; re-deciding an
    appealed round they decided; a second appeal, or one out of time).

    Raises:
        CaseNotFoundError: no such case for this user.
        ForbiddenError: the user's role sees no case.
    """
    day = today or today_vn()
    with review_session(database_url) as session:
        by = _actor(session, user)
        case = _case(session, code, by)
        every = cases.decisions(session, case)
        lines = [
            LineView(
                line_key=ln.line_key,
                ma_lk=ln.ma_lk,
                tbl=ln.tbl,
                stt=ln.stt,
                code=ln.code,
                service_date=ln.service_date,
                claimed=ln.claimed,
                stake_kind=ln.stake_kind,
                stake=ln.stake,
                findings=cases.line_findings(ln),
                decisions=[d for d in every if d.line_id == ln.id],
            )
            for ln in case.lines
        ]
        history = [
            {
                "id": e.id,
                "at": e.at,
                "actor": e.actor,
                "role": e.role,
                "action": e.action,
                "after": json.loads(e.after),
            }
            for e in audit.entries(session, case.code)
        ]
        return CaseView(
            row=_row(session, case, day),
            case=case,
            money=cases.case_money(session, case),
            evidence=json.loads(case.evidence or "{}"),
            lines=lines,
            attachments=cases.attachments(session, case),
            meetings=cases.meetings(session, case),
            appeal_until=cases.appeal_deadline(case),
            history=history,
            allowed=_allowed(case, by, day, every),
        )


def _allowed(
    case: ReviewCase, by: Actor, day: date, every: list[ReviewDecision]
) -> list[str]:
    """Return the actions ``by`` may take on ``case`` now (see ``show_case``)."""
    state = CaseState(case.state)
    out: list[str] = []
    for action in allowed_actions(state, by.role):
        if (
            by.role is Role.ASSESSOR
            and case.assignee is not None
            and case.assignee != by.username
        ):
            continue
        if action is Action.DECIDE:
            running = cases.next_deadline(case)
            if (
                state is CaseState.SENT
                and running is not None
                and not running.overdue(day)
            ):
                continue
            if state is CaseState.APPEALED and any(
                d.decided_by == by.username and d.round < case.round for d in every
            ):
                continue
        if action is Action.APPEAL:
            until = cases.appeal_deadline(case)
            if case.appealed_on is not None or (
                until is not None and until.overdue(day)
            ):
                continue
        out.append(action.value)
    return out


# ------------------------------------------------------------------ acting


@contextmanager
def _acting(
    code: str, user: str, database_url: str | None
) -> Iterator[tuple[Session, ReviewCase, Actor]]:
    with review_session(database_url) as session:
        by = _actor(session, user)
        yield session, _case(session, code, by), by


def send_case(
    code: str,
    *,
    user: str,
    on: date | None = None,
    version: int | None = None,
    database_url: str | None = None,
) -> CaseRow:
    """Send the automated result of a case to its facility."""
    with _acting(code, user, database_url) as (session, case, by):
        cases.send(session, case, by, on=on or today_vn(), expected_version=version)
        return _row(session, case, on or today_vn())


def answer_case(
    code: str,
    *,
    user: str,
    files: Sequence[Path] = (),
    note: str | None = None,
    on: date | None = None,
    version: int | None = None,
    database_url: str | None = None,
) -> CaseRow:
    """Record the facility's answer with its evidence files."""
    with _acting(code, user, database_url) as (session, case, by):
        cases.answer(
            session,
            case,
            by,
            on=on or today_vn(),
            files=files,
            folder=attachments_dir(database_url),
            note=note,
            max_bytes=get_settings().max_attachment_bytes,
            expected_version=version,
        )
        return _row(session, case, on or today_vn())


def meet_case(
    code: str,
    *,
    user: str,
    participants: str,
    minutes: str,
    on: date | None = None,
    version: int | None = None,
    database_url: str | None = None,
) -> CaseRow:
    """Record a joint-verification meeting with its minutes."""
    with _acting(code, user, database_url) as (session, case, by):
        cases.meet(
            session,
            case,
            by,
            held_on=on or today_vn(),
            participants=participants,
            minutes=minutes,
            expected_version=version,
        )
        return _row(session, case, on or today_vn())


def decide_line(
    code: str,
    *,
    user: str,
    stt: int,
    payable: Decimal,
    refused: Decimal = ZERO,
    reason: str,
    basis: str | None = None,
    claim: str | None = None,
    table: str | None = None,
    on: date | None = None,
    version: int | None = None,
    database_url: str | None = None,
) -> CaseRow:
    """Decide one line of a case (``basis`` may be a key of the rules' citations)."""
    basis_text = _basis_text(basis)
    with _acting(code, user, database_url) as (session, case, by):
        cases.decide(
            session,
            case,
            by,
            stt=stt,
            payable=payable,
            refused=refused,
            reason=reason,
            basis=basis_text,
            on=on or today_vn(),
            tbl=table,
            ma_lk=claim,
            expected_version=version,
        )
        return _row(session, case, on or today_vn())


def _basis_text(basis: str | None) -> str | None:
    """Return a citation key's full citation, or the text as given."""
    if basis is None or not basis.strip():
        return basis
    from giamdinh.rules.citations import citations  # noqa: PLC0415

    known = citations().get(basis.strip())
    if known is None:
        return basis.strip()
    return f"{known.basis.cite()} [{basis.strip()}]"


def close_case(
    code: str,
    *,
    user: str,
    on: date | None = None,
    version: int | None = None,
    database_url: str | None = None,
) -> CaseRow:
    """Close a decided case."""
    with _acting(code, user, database_url) as (session, case, by):
        cases.close(session, case, by, on=on or today_vn(), expected_version=version)
        return _row(session, case, on or today_vn())


def appeal_case(
    code: str,
    *,
    user: str,
    reason: str,
    files: Sequence[Path] = (),
    on: date | None = None,
    version: int | None = None,
    database_url: str | None = None,
) -> CaseRow:
    """The facility appeals the decision (once, within the period), with evidence."""
    day = on or today_vn()
    with _acting(code, user, database_url) as (session, case, by):
        cases.appeal(session, case, by, on=day, reason=reason, expected_version=version)
        if files:
            cases.answer(
                session,
                case,
                by,
                on=day,
                files=files,
                folder=attachments_dir(database_url),
                note=reason,
                kind="appeal",
                max_bytes=get_settings().max_attachment_bytes,
            )
        return _row(session, case, day)


def reassign_case(
    code: str,
    *,
    user: str,
    to: str,
    version: int | None = None,
    database_url: str | None = None,
) -> CaseRow:
    """Give a case to another assessor (or supervisor).

    Raises:
        ConfigError: ``to`` is not an active assessor or supervisor.
    """
    with _acting(code, user, database_url) as (session, case, by):
        target = cases.actor(session, to)
        if target.role not in {Role.ASSESSOR, Role.SUPERVISOR}:
            msg = (
                f"{to} không phải giám định viên / {to} is not an assessor or "
                "supervisor"
            )
            raise ConfigError(msg)
        cases.reassign(session, case, by, to=to, expected_version=version)
        return _row(session, case, today_vn())


def reopen_case(
    code: str,
    *,
    user: str,
    reason: str,
    version: int | None = None,
    database_url: str | None = None,
) -> CaseRow:
    """Reopen a decided or closed case for a new round of decisions."""
    with _acting(code, user, database_url) as (session, case, by):
        cases.reopen(session, case, by, reason=reason, expected_version=version)
        return _row(session, case, today_vn())


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachmentFile:
    """An attached file as stored: where it is, what it is, its original name."""

    id: int
    path: Path
    filename: str
    media_type: str
    size: int
    sha256: str


def attachment_file(
    code: str, attachment_id: int, *, user: str, database_url: str | None = None
) -> AttachmentFile:
    """Return a file attached to a case, if the user may see the case.

    Raises:
        CaseNotFoundError: no such case for this user, no such file in this
            case, or the stored content is missing.
        ForbiddenError: the user's role sees no case.
    """
    with review_session(database_url) as session:
        by = _actor(session, user)
        case = _case(session, code, by)
        found = [a for a in cases.attachments(session, case) if a.id == attachment_id]
    missing = (
        f"hồ sơ {code} không có tệp {attachment_id} / case {code} has no "
        f"attachment {attachment_id}"
    )
    if not found:
        raise CaseNotFoundError(missing)
    row = found[0]
    path = path_of(attachments_dir(database_url), row.sha256)
    if not path.is_file():
        raise CaseNotFoundError(missing)
    return AttachmentFile(
        id=row.id,
        path=path,
        filename=row.filename,
        media_type=row.media_type,
        size=row.size,
        sha256=row.sha256,
    )


def assignees(*, user: str, database_url: str | None = None) -> list[tuple[str, str]]:
    """Return who a case may be given to: active assessors and supervisors.

    Returns:
        ``(username, name)`` pairs by user name.

    Raises:
        ForbiddenError: facility staff, the Ministry, administrators.
    """
    with review_session(database_url) as session:
        by = _actor(session, user)
        if by.role is Role.FACILITY:
            msg = "cán bộ cơ sở không giao hồ sơ / facility staff do not assign cases"
            raise ForbiddenError(msg)
        return [
            (u.username, u.name)
            for u in cases.users(session)
            if u.active and u.role in {Role.ASSESSOR.value, Role.SUPERVISOR.value}
        ]


def basis_choices() -> list[tuple[str, str]]:
    """Return the keys of the rules' citations with the text each stands for.

    A decision's basis may be typed as one of these keys (``tt12_2026/10.1.c``);
    ``decide_line`` writes the full citation.
    """
    from giamdinh.rules.citations import citations  # noqa: PLC0415

    return sorted((key, c.basis.cite()) for key, c in citations().items())


def verify_log(database_url: str | None = None) -> audit.ChainReport:
    """Recompute the audit chain of the operational store."""
    with review_session(database_url) as session:
        return audit.verify(session)


# ------------------------------------------------------------------ export

_CLAIM_SQL = """
select x1.ma_lk, x1.ma_bn, x1.ma_the_bhyt,
       strftime(x1.ngay_vao, '%Y%m%d%H%M'), strftime(x1.ngay_ra, '%Y%m%d%H%M'),
       x1.thang_qt, x1.nam_qt, x1.ho_ten
from xml1 as x1 where x1.ma_lk in (select unnest(?))
"""
_ORDER_SQL = """
select 'XML3', ma_lk, stt, strftime(ngay_yl, '%Y%m%d%H%M') from xml3
where ma_lk in (select unnest(?))
union all
select 'XML2', ma_lk, stt, strftime(ngay_yl, '%Y%m%d%H%M') from xml2
where ma_lk in (select unnest(?))
"""


def _period(month: Any, year: Any) -> str | None:
    if month is None or year is None:
        return None
    return f"{int(month):02d}/{int(year)}"


def export_feedback(
    out: Path,
    *,
    user: str,
    store_dir: Path,
    database_url: str | None = None,
    codes: Sequence[str] = (),
    with_names: bool = True,
) -> tuple[Path, int, int]:
    """Write the decided lines as the Mẫu 09/BH feedback list (XLSX).

    Facility staff get their facility's cases only. Patient fields (``MA_BN``,
    ``HO_TEN``, ``MA_THE``, dates) come from the claim store; ``with_names=False``
    leaves ``HO_TEN`` empty for a list leaving the insurer.

    Returns:
        The file, the lines written and the cases listed.
    """
    from giamdinh.review.feedback import FeedbackLine, write_feedback  # noqa: PLC0415

    with review_session(database_url) as session:
        by = _actor(session, user)
        visible = [
            c
            for c in cases.visible_cases(session, by)
            if not codes or c.code in set(codes)
        ]
        wanted = {c.code for c in visible}
        decided = [d for d in cases.decided_lines(session) if d["case"] in wanted]
        case_rows = []
        for c in visible:
            money = cases.case_money(session, c)
            case_rows.append(
                [
                    c.code,
                    c.ma_cskcb,
                    CaseState(c.state).label_vi,
                    c.round,
                    c.source,
                    money.lines,
                    money.stake,
                    money.payable,
                    money.refused,
                    money.adjusted,
                    money.open,
                ]
            )
    claims: dict[str, tuple[Any, ...]] = {}
    orders: dict[tuple[str, str, int], str | None] = {}
    keys = sorted({d["ma_lk"] for d in decided})
    if keys:
        con = ClaimStore.open(store_dir, create=False).connect()
        try:
            claims = {r[0]: r for r in con.execute(_CLAIM_SQL, [keys]).fetchall()}
            orders = {
                (r[0], r[1], int(r[2])): r[3]
                for r in con.execute(_ORDER_SQL, [keys, keys]).fetchall()
            }
        finally:
            con.close()
    lines = []
    for d in decided:
        claim = claims.get(
            d["ma_lk"], (d["ma_lk"], None, None, None, None, None, None, None)
        )
        lines.append(
            FeedbackLine(
                ma_lk=d["ma_lk"],
                ma_bn=claim[1],
                ho_ten=claim[7] if with_names else None,
                ma_the=claim[2],
                ngay_vao=claim[3],
                ngay_ra=claim[4],
                ky_qt=_period(claim[5], claim[6]),
                tbl=d["tbl"],
                stt=d["stt"],
                ngay_yl=orders.get((d["tbl"], d["ma_lk"], d["stt"])),
                stake=d["stake"],
                payable=d["payable"],
                refused=d["refused"],
                adjusted=d["adjusted"],
                reason=d["reason"],
                basis=d["basis"],
                case=d["case"],
                decided_on=d["decided_on"],
            )
        )
    write_feedback(out, lines, case_rows)
    return out, len(lines), len(case_rows)


# ------------------------------------------------------------------ position


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewPosition:
    """Where the money of a run stands once the case decisions are laid over it.

    Attributes:
        automated: the run's totals (``claimed``, ``payable``, ``refused``,
            ``adjusted``, ``under_review``).
        current: the same after the decisions (claimed = the other four).
        decided_lines: lines whose decision applies to this run.
        moved: money decided, per outcome (``payable``, ``refused``, ``adjusted``).
        stale_decisions: decisions taken on another automated result of the line
            (the run changed the line's amounts): shown, not applied.
        cases: cases in all; ``open`` not closed; ``due_this_week`` whose running
            deadline falls in the current week; ``overdue`` past it.
        overdue_money: money still open in overdue cases.
    """

    run: str
    automated: dict[str, Decimal]
    current: dict[str, Decimal]
    decided_lines: int
    moved: dict[str, Decimal]
    stale_decisions: int
    cases: int
    open: int
    due_this_week: int
    overdue: int
    overdue_money: Decimal
    in_cases: Decimal


def latest_run_totals(store_dir: Path) -> tuple[str, dict[str, Decimal]] | None:
    """Return the newest run's name and money totals (``None``: no run yet)."""
    try:
        folder = latest_run(store_dir)
    except ConfigError:
        return None
    meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    return folder.name, {k: Decimal(v) for k, v in meta["totals"].items()}


_DECIDED_SCHEMA = pa.schema(
    [
        ("ma_lk", pa.string()),
        ("tbl", pa.string()),
        ("stt", pa.int64()),
        ("stake_kind", pa.string()),
        ("stake", pa.decimal128(18, 2)),
        ("payable", pa.decimal128(18, 2)),
        ("refused", pa.decimal128(18, 2)),
        ("adjusted", pa.decimal128(18, 2)),
    ]
)

_POSITION_SQL = """
with d as (
    select d.*, l.under_review as l_review, l.payable as l_payable
    from decided as d
    join lines as l on l.ma_lk = d.ma_lk and l.tbl = d.tbl and l.stt = d.stt
),
applied as (
    select * from d
    where (stake_kind = 'under_review' and l_review = stake)
       or (stake_kind = 'payable' and l_payable = stake and l_review = 0)
)
select
    (select count(*) from applied),
    (select count(*) from d) - (select count(*) from applied),
    coalesce((select sum(payable) from applied), 0),
    coalesce((select sum(refused) from applied), 0),
    coalesce((select sum(adjusted) from applied), 0),
    coalesce((select sum(stake) from applied where stake_kind = 'under_review'), 0),
    coalesce((select sum(stake) from applied where stake_kind = 'payable'), 0)
"""


def position_for(
    store_dir: Path,
    *,
    user: str,
    database_url: str | None = None,
    today: date | None = None,
) -> ReviewPosition | None:
    """Return ``review_position`` of the newest run to the insurer's staff.

    The position is the whole province's money: facility staff see their own
    cases' money on the cases themselves, not this.

    Raises:
        ForbiddenError: facility staff, the Ministry, administrators.
        ConfigError: the store has no run.
    """
    with review_session(database_url) as session:
        by = _actor(session, user)
    if by.role not in {Role.ASSESSOR, Role.SUPERVISOR}:
        msg = (
            "chỉ BHXH xem tình hình tiền của cả tỉnh / only the insurer's staff see "
            "the province's money"
        )
        raise ForbiddenError(msg)
    return review_position(store_dir, database_url=database_url, today=today)


def review_position(
    store_dir: Path,
    *,
    database_url: str | None = None,
    run: str | None = None,
    today: date | None = None,
) -> ReviewPosition | None:
    """Lay the case decisions over a run (``None`` when there are no cases yet).

    Raises:
        ConfigError: the store has no run (or no run of that name).
    """
    url = _url(database_url)
    if not _has_review_tables(url):
        return None
    folder = latest_run(store_dir) if run is None else store_dir / "assessments" / run
    claims = pq.read_table(folder / "claims.parquet")
    keys = ("claimed", "payable", "refused", "adjusted", "under_review")
    automated = {k: Decimal(pa.compute.sum(claims[k]).as_py() or 0) for k in keys}
    day = today or today_vn()
    week_end = day + timedelta(days=6 - day.weekday())
    with review_session(url) as session:
        decided = cases.decided_lines(session)
        every = cases.visible_cases(
            session, Actor(username="report", role=Role.SUPERVISOR)
        )
        rows = [_row(session, c, day) for c in every]
    if not rows:
        return None
    table = pa.Table.from_pylist(
        [{k: d[k] for k in _DECIDED_SCHEMA.names} for d in decided],
        schema=_DECIDED_SCHEMA,
    )
    con = duckdb.connect()
    try:
        con.register("decided", table)
        con.register("lines", pq.read_table(folder / "lines.parquet"))
        got = con.execute(_POSITION_SQL).fetchone()
    finally:
        con.close()
    assert got is not None  # noqa: S101 - an aggregate always returns a row
    applied, stale, pay, ref, adj, from_review, from_payable = got
    moved = {"payable": Decimal(pay), "refused": Decimal(ref), "adjusted": Decimal(adj)}
    current = dict(automated)
    current["under_review"] -= Decimal(from_review)
    current["payable"] += moved["payable"] - Decimal(from_payable)
    current["refused"] += moved["refused"]
    current["adjusted"] += moved["adjusted"]
    open_rows = [r for r in rows if r.state is not CaseState.CLOSED]
    return ReviewPosition(
        run=folder.name,
        automated=automated,
        current=current,
        decided_lines=int(applied),
        moved=moved,
        stale_decisions=int(stale),
        cases=len(rows),
        open=len(open_rows),
        due_this_week=sum(
            1
            for r in open_rows
            if r.deadline is not None and not r.overdue and r.deadline.due <= week_end
        ),
        overdue=sum(1 for r in open_rows if r.overdue),
        overdue_money=sum((r.open for r in open_rows if r.overdue), ZERO),
        in_cases=sum((r.stake for r in rows), ZERO),
    )


__all__ = [
    "GROUPINGS",
    "QUEUE_VIEWS",
    "AttachmentFile",
    "CaseNotFoundError",
    "CaseQueue",
    "CaseRow",
    "CaseView",
    "LineView",
    "OpenResult",
    "ReviewPosition",
    "answer_case",
    "appeal_case",
    "assignees",
    "attachment_file",
    "attachments_dir",
    "basis_choices",
    "case_queue",
    "close_case",
    "decide_line",
    "export_feedback",
    "latest_run_totals",
    "list_cases",
    "meet_case",
    "open_from_findings",
    "open_from_leads",
    "position_for",
    "reassign_case",
    "reopen_case",
    "review_position",
    "review_session",
    "send_case",
    "show_case",
    "today_vn",
    "verify_log",
]
