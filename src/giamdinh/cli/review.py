"""``giamdinh review``: joint verification with the facilities, on the legal clock.

Every command acts as a user of the operational store (``--as``, or
``GIAMDINH_USER``): facility staff see and answer their facility's cases,
assessors decide, a supervisor reassigns and reopens. Services and SQLAlchemy are
imported inside the commands (see ``giamdinh.cli.main``).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import typer
from rich.text import Text

from giamdinh.cli import render
from giamdinh.cli.errors import operator_errors
from giamdinh.cli.render import WIDE_OPTION, Column
from giamdinh.domain.money import parse_dong
from giamdinh.errors import ConfigError

if TYPE_CHECKING:
    from datetime import date

    from giamdinh.services.review import CaseRow, CaseView, OpenResult, ReviewPosition

app = typer.Typer(
    help="Giám định chung với cơ sở: hồ sơ, hạn luật định, quyết định, nhật ký.",
    no_args_is_help=True,
)

DB_OPTION = typer.Option(
    None, "--database-url", help="SQLAlchemy URL (default: GIAMDINH_DATABASE_URL)."
)
AS_OPTION = typer.Option(
    ...,
    "--as",
    envvar="GIAMDINH_USER",
    help="Who acts (a user of `giamdinh users add`).",
)
ON_OPTION = typer.Option(
    None, "--on", help="Day of the act (YYYY-MM-DD; default: today in Viet Nam)."
)
VERSION_OPTION = typer.Option(
    None,
    "--version",
    help="The case version you read (`review show`): refused if it changed since.",
)
STORE_OPTION = typer.Option(Path("store"), "--store", help="The claim store.")

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def _day(text: str | None, option: str = "--on") -> date | None:
    from datetime import date  # noqa: PLC0415

    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"{option} {text!r}: expected YYYY-MM-DD") from exc


def _due(row: CaseRow) -> str:
    if row.deadline is None:
        return "—"
    return f"{row.deadline.due:%d/%m/%Y}"


def _who(party: str) -> str:
    return {"insurer": "BHXH", "facility": "cơ sở"}.get(party, party)


def _state(row: CaseRow) -> Text:
    text = Text(row.state.label_vi)
    if row.overdue:
        text.append(" · quá hạn", style="bold red")
    return text


def print_rows(rows: list[CaseRow], *, wide: bool, title: str) -> None:
    """Print cases one per row: code, facility, deadline, open money, state.

    What a case is about is shown with ``--wide`` (and by ``review show``).
    """
    columns = [
        Column("hồ sơ / case", "code"),
        Column("cơ sở", "code"),
        Column("hạn / due", "code"),
        Column("ai", "code"),
        Column("còn xem xét", "money"),
        Column("trạng thái / state", "text"),
    ]
    if wide:
        columns.append(Column("nội dung / about", "text"))
    render.print_table(
        columns,
        [
            (
                r.code,
                r.ma_cskcb,
                _due(r),
                _who(r.deadline.party) if r.deadline else "",
                r.open,
                _state(r),
                *((r.title,) if wide else ()),
            )
            for r in rows
        ],
        title=title,
        wide=wide,
    )


def print_position(position: ReviewPosition | None) -> None:
    """Print where the money stands once the decisions are laid over the run."""
    if position is None:
        return
    a, c = position.automated, position.current
    render.print_pairs(
        [
            ("Hồ sơ / cases", f"{position.cases} ({position.open} đang mở / open)"),
            ("Đến hạn tuần này / due this week", position.due_this_week),
            (
                "Quá hạn / overdue",
                f"{position.overdue} ({render.money(position.overdue_money)} đ)",
            ),
            ("Tiền trong hồ sơ / money in cases", render.money(position.in_cases)),
            (
                "Chờ giám định / under review",
                f"{render.money(c['under_review'])} (tự động / automated "
                f"{render.money(a['under_review'])})",
            ),
            (
                "Đã quyết định / decided",
                f"{position.decided_lines} dòng / lines: chấp nhận / payable "
                f"{render.money(position.moved['payable'])}, từ chối / refused "
                f"{render.money(position.moved['refused'])}, điều chỉnh / adjusted "
                f"{render.money(position.moved['adjusted'])}",
            ),
            ("Được thanh toán / payable", render.money(c["payable"])),
            ("Từ chối / refused", render.money(c["refused"])),
            ("Điều chỉnh / adjusted", render.money(c["adjusted"])),
        ]
        + (
            [("Quyết định trên kết quả khác / stale", position.stale_decisions)]
            if position.stale_decisions
            else []
        ),
        title=f"Giám định chung / joint verification ({position.run})",
    )


_MONEY_LABELS = (
    ("claimed", "Đề nghị / claimed"),
    ("payable", "Chấp nhận / payable"),
    ("refused", "Từ chối / refused"),
    ("adjusted", "Điều chỉnh / adjusted"),
    ("under_review", "Chờ giám định / under review"),
)


def print_run_totals(run: str, totals: dict[str, Decimal]) -> None:
    """Print the automated money of an assessment run."""
    render.print_pairs(
        [
            (label, render.money(totals.get(key, Decimal(0))))
            for key, label in _MONEY_LABELS
        ],
        title=f"Giám định tự động gần nhất / latest automated assessment ({run})",
    )


def _print_opened(result: OpenResult) -> None:
    render.print_pairs(
        [
            ("Hồ sơ mở / cases opened", len(result.opened)),
            ("Dòng / lines", result.lines),
            ("Số tiền / money at stake", render.money(result.stake)),
            ("Đã ở hồ sơ khác / already in a case", result.already_in_case),
        ]
        + (
            [("Hồ sơ không có dòng / claims without lines", result.without_lines)]
            if result.without_lines
            else []
        ),
        title=f"Mở hồ sơ giám định chung / cases opened ({result.source})",
    )


@app.command("open")
def open_cases(  # noqa: PLR0917 - Typer commands take their options positionally
    user: str = AS_OPTION,
    from_findings: bool = typer.Option(
        False, "--from-findings", help="Lines held under review by the newest run."
    ),
    from_leads: bool = typer.Option(False, "--from-leads", help="The store's leads."),
    store: Path = STORE_OPTION,
    group: str = typer.Option(
        "rule-month", "--group", help="rule-month (facility × rule × month) or claim."
    ),
    run: str | None = typer.Option(None, "--run", help="Assessment run (newest)."),
    received: str | None = typer.Option(
        None, "--received", help="Day the data was received (default: ingest day)."
    ),
    code: list[str] = typer.Option([], "--code", help="Only leads of this code."),
    database_url: str | None = DB_OPTION,
) -> None:
    """Open cases from review findings or from inspection leads."""
    from giamdinh.services.review import open_from_findings, open_from_leads  # noqa: PLC0415

    if not (from_findings or from_leads):
        raise typer.BadParameter("choose --from-findings and/or --from-leads")
    with operator_errors():
        day = _day(received, "--received")
        if from_findings:
            _print_opened(
                open_from_findings(
                    store,
                    user=user,
                    database_url=database_url,
                    run=run,
                    grouping=group,
                    received_on=day,
                )
            )
        if from_leads:
            _print_opened(
                open_from_leads(
                    store,
                    user=user,
                    database_url=database_url,
                    run=run,
                    received_on=day,
                    codes=code,
                )
            )


@app.command("list")
def list_(  # noqa: PLR0917 - Typer commands take their options positionally
    user: str = AS_OPTION,
    overdue: bool = typer.Option(False, "--overdue", help="Only overdue cases."),
    state: list[str] = typer.Option([], "--state", help="Only cases in this state."),
    facility: str | None = typer.Option(None, "--facility", help="Only this MA_CSKCB."),
    today: str | None = typer.Option(None, "--today", help="Count deadlines as of."),
    output: str = typer.Option("table", "--format", help="table or json."),
    wide: bool = WIDE_OPTION,
    database_url: str | None = DB_OPTION,
) -> None:
    """List the cases you may see, with their next deadline and open money."""
    from giamdinh.review.workflow import CaseState  # noqa: PLC0415
    from giamdinh.services.review import list_cases  # noqa: PLC0415

    with operator_errors():
        try:
            states = [CaseState(s) for s in state]
        except ValueError as exc:
            names = ", ".join(s.value for s in CaseState)
            raise ConfigError(f"--state: one of {names}") from exc
        rows = list_cases(
            user=user,
            database_url=database_url,
            overdue=overdue,
            states=states,
            facility=facility,
            today=_day(today, "--today"),
        )
    if output == "json":
        typer.echo(
            json.dumps(
                [
                    {
                        "code": r.code,
                        "state": r.state.value,
                        "ma_cskcb": r.ma_cskcb,
                        "origin": r.origin,
                        "source": r.source,
                        "assignee": r.assignee,
                        "round": r.round,
                        "lines": r.lines,
                        "stake": str(r.stake),
                        "open": str(r.open),
                        "due": r.deadline.due.isoformat() if r.deadline else None,
                        "step": r.deadline.step.value if r.deadline else None,
                        "overdue": r.overdue,
                        "version": r.version,
                    }
                    for r in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    title = (
        f"Hồ sơ quá hạn / overdue cases: {len(rows)}"
        if overdue
        else f"Hồ sơ giám định chung / cases: {len(rows)}"
    )
    print_rows(rows, wide=wide, title=title)


def _print_view(view: CaseView, *, wide: bool) -> None:
    row, case, money = view.row, view.case, view.money
    deadline = row.deadline
    pairs: list[tuple[str, object]] = [
        ("Nội dung / about", row.title),
        ("Cơ sở / facility", row.ma_cskcb),
        (
            "Trạng thái / state",
            f"{row.state.label_vi} / {row.state.label_en} (vòng / round {row.round})",
        ),
        ("Phụ trách / assignee", row.assignee or "—"),
        ("Phiên bản / version", row.version),
        ("Nhận dữ liệu / received", f"{case.received_on:%d/%m/%Y}"),
    ]
    if deadline is not None:
        pairs.append(
            (
                "Hạn tiếp theo / next deadline",
                f"{deadline.due:%d/%m/%Y} — {deadline.rule.label_vi} "
                f"({_who(deadline.party)}; {deadline.rule.basis})"
                + (" — QUÁ HẠN / OVERDUE" if row.overdue else ""),
            )
        )
    if view.appeal_until is not None:
        pairs.append(
            (
                "Hạn đề nghị xem xét lại / appeal until",
                f"{view.appeal_until.due:%d/%m/%Y} ({view.appeal_until.rule.basis})",
            )
        )
    pairs += [
        ("Đang xem xét / at stake", render.money(money.stake)),
        (
            "Đã quyết định / decided",
            f"{money.decided_lines}/{money.lines} dòng: chấp nhận "
            f"{render.money(money.payable)}, từ chối {render.money(money.refused)}, "
            f"điều chỉnh {render.money(money.adjusted)}; còn / open "
            f"{render.money(money.open)}",
        ),
        ("Được làm / allowed", ", ".join(view.allowed) or "—"),
    ]
    if view.evidence.get("arithmetic"):
        pairs.append(("Bằng chứng / evidence", view.evidence.get("message", "")))
        pairs.append(("Phép tính / arithmetic", view.evidence["arithmetic"]))
        pairs.append(
            (
                "",
                "Chỉ là bằng chứng, không là căn cứ từ chối / evidence only, never "
                "a refusal ground",
            )
        )
    render.print_pairs(pairs, title=f"Hồ sơ {case.code}")
    line_rows = []
    for ln in view.lines:
        newest = ln.decisions[-1] if ln.decisions else None
        rules = ", ".join(
            f["rule_id"]
            + (" (thời gian: bằng chứng)" if f.get("time_evidence") else "")
            for f in ln.findings
        )
        line_rows.append(
            (
                ln.ma_lk,
                ln.tbl,
                ln.stt,
                ln.code or "",
                ln.stake,
                "—" if newest is None else render.money(newest.payable),
                rules,
            )
        )
    render.print_table(
        [
            Column("MA_LK", "code"),
            Column("bảng", "code"),
            Column("STT", "number"),
            Column("mã DV / code", "code"),
            Column("xem xét / stake", "money"),
            Column("chấp nhận", "code"),
            Column("phát hiện / findings", "text"),
        ],
        line_rows,
        title="Dòng / lines",
        wide=wide,
    )
    if view.attachments:
        render.print_table(
            [
                Column("tệp / file", "text"),
                Column("loại / type", "code"),
                Column("bytes", "number"),
                Column("sha256", "code"),
            ],
            [
                (a.filename, a.media_type, a.size, a.sha256[:12])
                for a in view.attachments
            ],
            title="Bằng chứng / evidence files",
            wide=wide,
        )
    for meeting in view.meetings:
        render.print_pairs(
            [
                ("Ngày / held on", f"{meeting.held_on:%d/%m/%Y}"),
                ("Thành phần / participants", meeting.participants),
                ("Nội dung / minutes", meeting.minutes),
            ],
            title="Biên bản giám định chung / joint verification minutes",
        )
    render.print_table(
        [
            Column("#", "number"),
            Column("lúc / at", "code"),
            Column("ai / who", "code"),
            Column("việc / action", "code"),
        ],
        [
            (
                h["id"],
                f"{h['at'].astimezone(VIETNAM):%d/%m/%Y %H:%M}",
                h["actor"],
                h["action"],
            )
            for h in view.history
        ],
        title="Nhật ký / history",
    )


@app.command("show")
def show(
    case: str = typer.Argument(..., help="Case code, e.g. GD2026-000001."),
    user: str = AS_OPTION,
    wide: bool = WIDE_OPTION,
    database_url: str | None = DB_OPTION,
) -> None:
    """Show one case: lines, findings, evidence, deadlines, decisions, history."""
    from giamdinh.services.review import show_case  # noqa: PLC0415

    with operator_errors():
        view = show_case(case, user=user, database_url=database_url)
    _print_view(view, wide=wide)


def _done(row: CaseRow, what: str) -> None:
    due = (
        f"; hạn tiếp theo / next deadline {row.deadline.due:%d/%m/%Y} "
        f"({_who(row.deadline.party)})"
        if row.deadline
        else ""
    )
    render.console().print(
        Text(
            f"{row.code}: {what} → {row.state.label_vi} / {row.state.label_en} "
            f"(phiên bản / version {row.version}){due}"
        )
    )


@app.command("send")
def send(
    case: str = typer.Argument(..., help="Case code."),
    user: str = AS_OPTION,
    on: str | None = ON_OPTION,
    version: int | None = VERSION_OPTION,
    database_url: str | None = DB_OPTION,
) -> None:
    """Send the automated result to the facility (its answer clock starts)."""
    from giamdinh.services.review import send_case  # noqa: PLC0415

    with operator_errors():
        row = send_case(
            case, user=user, on=_day(on), version=version, database_url=database_url
        )
    _done(row, "đã gửi / sent")


@app.command("answer")
def answer(  # noqa: PLR0917 - Typer commands take their options positionally
    case: str = typer.Argument(..., help="Case code."),
    user: str = AS_OPTION,
    file: list[Path] = typer.Option([], "--file", help="Evidence file (repeatable)."),
    note: str | None = typer.Option(None, "--note", help="The explanation."),
    on: str | None = ON_OPTION,
    version: int | None = VERSION_OPTION,
    database_url: str | None = DB_OPTION,
) -> None:
    """Answer a case as its facility: evidence files and an explanation."""
    from giamdinh.services.review import answer_case  # noqa: PLC0415

    with operator_errors():
        row = answer_case(
            case, user=user, files=file, note=note, on=_day(on), version=version,
            database_url=database_url,
        )  # fmt: skip
    _done(row, f"giải trình, {len(file)} tệp / answered, {len(file)} file(s)")


@app.command("meet")
def meet(  # noqa: PLR0917 - Typer commands take their options positionally
    case: str = typer.Argument(..., help="Case code."),
    user: str = AS_OPTION,
    participants: str = typer.Option(..., "--participants", help="Who took part."),
    minutes: str = typer.Option(..., "--minutes", help="What was found and agreed."),
    on: str | None = ON_OPTION,
    version: int | None = VERSION_OPTION,
    database_url: str | None = DB_OPTION,
) -> None:
    """Record a joint-verification meeting with the facility and its minutes."""
    from giamdinh.services.review import meet_case  # noqa: PLC0415

    with operator_errors():
        row = meet_case(
            case, user=user, participants=participants, minutes=minutes, on=_day(on),
            version=version, database_url=database_url,
        )  # fmt: skip
    _done(row, "biên bản / minutes recorded")


@app.command("decide")
def decide(  # noqa: PLR0917 - Typer commands take their options positionally
    case: str = typer.Argument(..., help="Case code."),
    user: str = AS_OPTION,
    line: int = typer.Option(..., "--line", help="STT of the line."),
    payable: str = typer.Option(..., "--payable", help="Amount paid of the stake."),
    refused: str = typer.Option("0", "--refused", help="Amount refused."),
    reason: str = typer.Option(..., "--reason", help="Why (shown to the facility)."),
    basis: str | None = typer.Option(
        None, "--basis", help="Legal basis, or a key of `giamdinh rules citations`."
    ),
    claim: str | None = typer.Option(None, "--claim", help="MA_LK, if STT repeats."),
    table: str | None = typer.Option(None, "--table", help="XML2 or XML3."),
    on: str | None = ON_OPTION,
    version: int | None = VERSION_OPTION,
    database_url: str | None = DB_OPTION,
) -> None:
    """Decide one line: what is paid and refused of its stake; the rest is adjusted."""
    from giamdinh.services.review import decide_line  # noqa: PLC0415

    with operator_errors():
        row = decide_line(
            case,
            user=user,
            stt=line,
            payable=parse_dong(payable, "--payable"),
            refused=parse_dong(refused, "--refused"),
            reason=reason,
            basis=basis,
            claim=claim,
            table=table,
            on=_day(on),
            version=version,
            database_url=database_url,
        )
    _done(row, f"dòng {line} đã quyết định / line {line} decided")


@app.command("close")
def close(
    case: str = typer.Argument(..., help="Case code."),
    user: str = AS_OPTION,
    on: str | None = ON_OPTION,
    version: int | None = VERSION_OPTION,
    database_url: str | None = DB_OPTION,
) -> None:
    """Close a decided case."""
    from giamdinh.services.review import close_case  # noqa: PLC0415

    with operator_errors():
        row = close_case(
            case, user=user, on=_day(on), version=version, database_url=database_url
        )
    _done(row, "đã đóng / closed")


@app.command("appeal")
def appeal(  # noqa: PLR0917 - Typer commands take their options positionally
    case: str = typer.Argument(..., help="Case code."),
    user: str = AS_OPTION,
    reason: str = typer.Option(..., "--reason", help="The facility's grounds."),
    file: list[Path] = typer.Option([], "--file", help="Evidence file (repeatable)."),
    on: str | None = ON_OPTION,
    version: int | None = VERSION_OPTION,
    database_url: str | None = DB_OPTION,
) -> None:
    """Appeal a decision as the facility (once, within the period the law allows)."""
    from giamdinh.services.review import appeal_case  # noqa: PLC0415

    with operator_errors():
        row = appeal_case(
            case, user=user, reason=reason, files=file, on=_day(on), version=version,
            database_url=database_url,
        )  # fmt: skip
    _done(row, "đề nghị xem xét lại / appealed")


@app.command("reassign")
def reassign(
    case: str = typer.Argument(..., help="Case code."),
    user: str = AS_OPTION,
    to: str = typer.Option(..., "--to", help="The assessor who takes it."),
    version: int | None = VERSION_OPTION,
    database_url: str | None = DB_OPTION,
) -> None:
    """Give a case to another assessor (supervisor)."""
    from giamdinh.services.review import reassign_case  # noqa: PLC0415

    with operator_errors():
        row = reassign_case(
            case, user=user, to=to, version=version, database_url=database_url
        )
    _done(row, f"giao cho / assigned to {to}")


@app.command("reopen")
def reopen(
    case: str = typer.Argument(..., help="Case code."),
    user: str = AS_OPTION,
    reason: str = typer.Option(..., "--reason", help="Why it is reopened."),
    version: int | None = VERSION_OPTION,
    database_url: str | None = DB_OPTION,
) -> None:
    """Reopen a decided or closed case for a new round of decisions (supervisor)."""
    from giamdinh.services.review import reopen_case  # noqa: PLC0415

    with operator_errors():
        row = reopen_case(
            case, user=user, reason=reason, version=version, database_url=database_url
        )
    _done(row, "mở lại / reopened")


@app.command("export")
def export(  # noqa: PLR0917 - Typer commands take their options positionally
    user: str = AS_OPTION,
    out: Path = typer.Option(..., "-o", "--output", help="The XLSX file to write."),
    store: Path = STORE_OPTION,
    case: list[str] = typer.Option([], "--case", help="Only this case (repeatable)."),
    no_names: bool = typer.Option(
        False, "--no-names", help="Leave patients' names out (HO_TEN empty)."
    ),
    database_url: str | None = DB_OPTION,
) -> None:
    """Export the decisions as the Mẫu 09/BH feedback list (XLSX)."""
    from giamdinh.services.review import export_feedback  # noqa: PLC0415

    with operator_errors():
        path, lines, cases = export_feedback(
            out, user=user, store_dir=store, database_url=database_url, codes=case,
            with_names=not no_names,
        )  # fmt: skip
    render.console().print(
        Text(
            f"{path}: {lines} dòng đã quyết định, {cases} hồ sơ / decided lines, cases"
        )
    )


@app.command("verify-log")
def verify_log(database_url: str | None = DB_OPTION) -> None:
    """Prove the audit log's hash chain intact, or name the first broken entry."""
    from giamdinh.services.review import verify_log as verify  # noqa: PLC0415

    with operator_errors():
        report = verify(database_url)
    if report.intact:
        render.console().print(
            Text(
                f"Nhật ký nguyên vẹn: {report.entries} mục / the audit log is intact: "
                f"{report.entries} entries"
            )
        )
        return
    render.console(stderr=True).print(
        Text(
            f"Nhật ký bị sửa tại mục {report.broken_id}: {report.reason} / the audit "
            f"log is broken at entry {report.broken_id}"
        )
    )
    raise typer.Exit(code=1)
