"""``giamdinh norms``: drafts, cost, comparison, consolidation, progress, exports.

The norms programme (SQLAlchemy, openpyxl, pyarrow) is imported inside each command,
so ``giamdinh norms --help`` starts at once (see ``giamdinh.cli.main``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path  # noqa: TC003 - Typer reads the annotations at run time
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.text import Text

from giamdinh.cli import render
from giamdinh.cli.errors import operator_errors
from giamdinh.cli.render import Column
from giamdinh.errors import ConfigError

if TYPE_CHECKING:
    from giamdinh.norms.consolidate import LineStats, Override
    from giamdinh.norms.cost import CostBreakdown
    from giamdinh.norms.progress import ProgressReport
    from giamdinh.services.norms import LoadResult

app = typer.Typer(
    help="Định mức kinh tế-kỹ thuật: dự thảo, chi phí, so sánh, tổng hợp, tiến độ.",
    no_args_is_help=True,
)


def _print(*objects: object) -> None:
    """Print on a console as wide as the terminal (``giamdinh.cli.render``)."""
    render.console().print(*objects)


DB_OPTION = typer.Option(
    None, "--database-url", help="SQLAlchemy URL (default: GIAMDINH_DATABASE_URL)."
)
FORMAT_OPTION = typer.Option("table", "--format", help="table or json.")


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return str(value)


def _emit_json(data: object) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, default=_json_default, indent=2))


def _decimal(text: str | None, option: str) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        msg = f"{option} must be a number, got {text!r}"
        raise ConfigError(msg) from exc


def _day(text: str | None, option: str = "--as-of") -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        msg = f"{option} must be YYYY-MM-DD, got {text!r}"
        raise ConfigError(msg) from exc


#: Norm costs are fractions of a đồng: shown with two decimals.
_PLACES = 2


def _money(value: Decimal | None) -> str:
    return render.money(value, places=_PLACES)


def _qty(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


@app.command("demo")
def demo(
    *,
    database_url: str | None = DB_OPTION,
    seed: int = typer.Option(0, "--seed", help="Random seed of the synthetic data."),
) -> None:
    """Migrate and load the synthetic demo programme (17 hospitals, seed 000 totals)."""
    from giamdinh.services import norms as service  # noqa: PLC0415

    with operator_errors():
        summary = service.run_demo(database_url, seed=seed)
    _print(
        f"Đã tạo: {summary.hospitals} bệnh viện, {summary.techniques:,} kỹ thuật,"
        f" {summary.assignments:,} phân công, {summary.events:,} sự kiện,"
        f" {summary.drafts} dự thảo đầy đủ, {summary.national_norms} định mức tổng hợp,"
        f" bảng giá {summary.price_book}."
    )


@app.command("import")
def import_(
    *,
    files: list[Path] = typer.Argument(..., help="Filled draft workbooks (.xlsx)."),
    actor: str = typer.Option(..., "--actor", help="Who imports (recorded)."),
    submit: bool = typer.Option(False, "--submit", help="Also submit each draft."),
    database_url: str | None = DB_OPTION,
    output_format: str = FORMAT_OPTION,
) -> None:
    """Import draft workbooks, validated row by row (exit 1 if any is refused)."""
    from giamdinh.services import norms as service  # noqa: PLC0415

    with operator_errors():
        results = service.import_drafts(
            files, database_url=database_url, actor=actor, submit=submit
        )
    if output_format == "json":
        _emit_json([asdict(r) for r in results])
    else:
        for result in results:
            status = "[green]đã nhập[/]" if result.imported else "[red]không nhập[/]"
            extra = (
                f" {result.technique_code} × {result.hospital_code}"
                f" v{result.version} ({result.state})"
                if result.imported
                else ""
            )
            _print(f"{escape(result.file)}: {status}{escape(extra)}")
            for finding in result.findings:
                _print(
                    f"  {finding.code} [{finding.severity}] "
                    f"{escape(finding.location.describe())}: {escape(finding.message)}"
                )
    if not all(r.imported for r in results):
        raise typer.Exit(code=1)


def _print_load(result: LoadResult, what: str) -> None:
    if result.loaded:
        _print(
            f"{escape(result.file)}: [green]đã nạp / loaded[/] {what}: "
            f"{result.created} mới / new, {result.existing} đã có / existing"
        )
        return
    _print(f"{escape(result.file)}: [red]không nạp / not loaded[/]")
    for finding in result.findings:
        _print(
            f"  {finding.code} {escape(finding.location.describe())}: "
            f"{escape(finding.message)} / {escape(finding.message_en or '')}"
        )


@app.command("assign")
def assign(
    *,
    file: Path = typer.Argument(
        ...,
        help="Assignment list (.csv/.xlsx): MA_KY_THUAT, TEN_KY_THUAT, "
        "MA_BENH_VIEN, TEN_BENH_VIEN, DAU_MOI, HAN_NOP.",
    ),
    actor: str = typer.Option(..., "--actor", help="Who assigns (recorded)."),
    database_url: str | None = DB_OPTION,
    output_format: str = FORMAT_OPTION,
) -> None:
    """Load the assignment list, checked row by row (exit 1 if refused)."""
    from giamdinh.services import norms as service  # noqa: PLC0415

    with operator_errors():
        result = service.load_assignments(file, database_url=database_url, actor=actor)
    if output_format == "json":
        _emit_json(asdict(result))
    else:
        _print_load(result, "phân công / assignments")
    if not result.loaded:
        raise typer.Exit(code=1)


@app.command("prices")
def prices(
    *,
    file: Path = typer.Argument(
        ...,
        help="Price book (.csv/.xlsx): LOAI, MA, TEN, DON_VI, DON_GIA, "
        "NAM_SU_DUNG, PHUT_NAM, TY_LE_BAO_DUONG, NGUON.",
    ),
    code: str = typer.Option(..., "--code", help="Price-book code, e.g. QG-2026."),
    name: str = typer.Option(..., "--name", help="What it is (decision, date)."),
    valid_from: str = typer.Option(..., "--valid-from", help="First day YYYY-MM-DD."),
    valid_to: str | None = typer.Option(None, "--valid-to", help="Last day."),
    database_url: str | None = DB_OPTION,
    output_format: str = FORMAT_OPTION,
) -> None:
    """Load a dated price book, checked row by row (exit 1 if refused)."""
    from giamdinh.services import norms as service  # noqa: PLC0415

    with operator_errors():
        first = _day(valid_from, "--valid-from") or date.min  # required option
        result = service.load_price_book_file(
            file, database_url=database_url, code=code, name=name,
            valid_from=first, valid_to=_day(valid_to, "--valid-to"),
        )  # fmt: skip
    if output_format == "json":
        _emit_json(asdict(result))
    else:
        _print_load(result, "giá / prices")
    if not result.loaded:
        raise typer.Exit(code=1)


def _print_progress(report: ProgressReport, *, wide: bool) -> None:
    columns = [
        Column("Mã", "code"),
        Column("Tên"),
        Column("Giao", "number"),
        Column("Đủ ĐK", "number"),
        Column("Đã gửi", "number"),
        Column("Không ĐK", "number"),
        Column("Quá hạn", "number"),
        Column("Phối hợp", "number"),
    ]
    for title, rows in (
        ("Theo bệnh viện / by hospital", report.by_hospital),
        ("Theo chương / by chapter", report.by_chapter),
    ):
        render.print_table(
            columns,
            [
                (
                    row.key, row.name, f"{row.assigned:,}", f"{row.qualified:,}",
                    f"{row.drafts_sent:,}", f"{sum(row.not_qualified.values()):,}",
                    f"{row.overdue:,}", f"{row.participating_drafts:,}",
                )
                for row in (*rows, report.total)
            ],
            title=f"{title} — {report.as_of.isoformat()}",
            wide=wide,
        )  # fmt: skip
    _print(
        "Giao = đã giao / assigned, Đủ ĐK = đủ điều kiện / qualified, Đã gửi = đã "
        "gửi dự thảo / drafts sent, Không ĐK = không đủ điều kiện / not qualified, "
        "Phối hợp = dự thảo phối hợp / participating drafts."
    )
    _print(f"[bold]{report.headline()}[/]; quá hạn / overdue: {len(report.overdue):,}")


@app.command("progress")
def progress(
    *,
    as_of: str | None = typer.Option(None, "--as-of", help="Day YYYY-MM-DD."),
    overdue: int = typer.Option(
        0, "--overdue", help="Also list this many overdue items."
    ),
    database_url: str | None = DB_OPTION,
    output_format: str = FORMAT_OPTION,
    wide: bool = render.WIDE_OPTION,
) -> None:
    """Progress by hospital and chapter: assigned / qualified / drafts sent, overdue."""
    from giamdinh.services import norms as service  # noqa: PLC0415

    with operator_errors():
        report = service.progress(database_url, as_of=_day(as_of))
    if output_format == "json":
        data = asdict(report)
        data["overdue"] = data["overdue"][:overdue] if overdue else []
        data["overdue_count"] = len(report.overdue)
        data["headline"] = report.headline()
        _emit_json(data)
        return
    _print_progress(report, wide=wide)
    if overdue:
        render.print_table(
            [
                Column("Kỹ thuật", "code"),
                Column("Bệnh viện", "code"),
                Column("Trạng thái"),
                Column("Hạn", "code"),
                Column("Số ngày", "number"),
            ],
            [
                (
                    item.technique_code, item.hospital_code, item.state.label_vi,
                    item.deadline.isoformat(), item.days_overdue,
                )
                for item in report.overdue[:overdue]
            ],
            title="Quá hạn / overdue",
            wide=wide,
        )  # fmt: skip


def _print_cost(subject: str, result: CostBreakdown) -> None:
    rows: list[tuple[object, object]] = [
        (component.label_vi, value) for component, value in result.components.items()
    ]
    rows.append(
        (
            Text("Tổng / unit cost", style="bold"),
            Text(_money(result.unit_cost), style="bold"),
        )
    )
    rows.extend(
        [
            ("Biến đổi / variable", result.variable),
            ("Cố định / fixed", result.fixed),
            ("Ngoài kết cấu giá", result.excluded_from_price),
        ]
    )
    if result.idle_capacity_cost is not None:
        rows.append(
            ("Công suất nhàn rỗi/năm (không tính vào giá)", result.idle_capacity_cost)
        )
    render.print_table(
        [Column("Thành phần"), Column("đồng", "money", places=_PLACES)],
        rows,
        title=f"Chi phí một lần dịch vụ — {subject} ({result.price_book})",
    )
    for machine in result.equipment:
        _print(
            f"  {machine.resource_code}: {_money(machine.cost_per_minute)} đ/phút,"
            f" công suất áp dụng {machine.utilisation_applied:.1%},"
            f" chi phí cố định/năm {_money(machine.annual_fixed_cost)}"
        )
    if result.missing_prices:
        _print(f"[yellow]Thiếu giá:[/] {', '.join(result.missing_prices)}")


@app.command("cost")
def cost(
    *,
    technique: str = typer.Argument(..., help="Technique code, e.g. 12.0344."),
    hospital: str | None = typer.Option(
        None, "--hospital", help="Cost this hospital's latest draft (else national)."
    ),
    price_book: str | None = typer.Option(
        None, "--price-book", help="Price-book code."
    ),
    volume: str | None = typer.Option(
        None, "--volume", help="Annual volume for fixed costs."
    ),
    draft_volume: bool = typer.Option(
        False, "--draft-volume", help="Use the draft's own annual volume."
    ),
    method: str = typer.Option(
        "straight_line", "--method", help="straight_line or annuity."
    ),
    interest: str = typer.Option("0.05", "--interest", help="Annuity interest rate."),
    floor: str = typer.Option("0.5", "--floor", help="Utilisation floor (0-1)."),
    ceiling: str = typer.Option("0.95", "--ceiling", help="Utilisation ceiling (0-1)."),
    curve: list[str] = typer.Option(
        [], "--curve", help="Also cost at this volume (repeat)."
    ),
    database_url: str | None = DB_OPTION,
    output_format: str = FORMAT_OPTION,
) -> None:
    """Cost one service: price components, variable/fixed, idle capacity, curve."""
    from giamdinh.services import norms as service  # noqa: PLC0415

    with operator_errors():
        params = service.cost_params(
            method=method, interest_rate=_decimal(interest, "--interest") or Decimal(0),
            volume=_decimal(volume, "--volume"),
            floor=_decimal(floor, "--floor") or Decimal(0),
            ceiling=_decimal(ceiling, "--ceiling") or Decimal(0),
        )  # fmt: skip
        result = service.cost(
            technique, database_url=database_url, hospital_code=hospital,
            price_book=price_book, params=params, use_draft_volume=draft_volume,
            curve=[v for v in (_decimal(c, "--curve") for c in curve) if v is not None],
        )  # fmt: skip
    if output_format == "json":
        _emit_json(asdict(result))
        return
    _print_cost(f"{technique} {result.subject}", result.breakdown)
    if result.curve:
        render.print_table(
            [
                Column("Sản lượng", "number"),
                Column("Chi phí", "money", places=_PLACES),
                Column("Cố định", "money", places=_PLACES),
                Column("Nhàn rỗi/năm", "money", places=_PLACES),
            ],
            [
                (f"{p.volume:,.0f}", p.unit_cost, p.fixed, p.idle_capacity_cost)
                for p in result.curve
            ],
            title="Chi phí theo sản lượng năm / unit cost by annual volume",
        )


def _print_stats(technique: str, rows: list[LineStats], *, wide: bool) -> None:
    """Per line: n, median, spread, outliers; with ``wide``, every hospital's value."""
    hospitals = sorted({h for row in rows for h in row.values}) if wide else []
    columns = [
        Column("Nhóm", "code"),
        Column("Mã", "code"),
        Column("Đơn vị", "code"),
        *(Column(h, "number") for h in hospitals),
        Column("n", "number"),
        Column("Trung vị", "number"),
        Column("P25–P75", "number"),
        Column("Ngoại lai", "code"),
    ]
    table = []
    for row in rows:
        cells: list[object] = []
        for hospital in hospitals:
            text = _qty(row.values.get(hospital))
            outlier = hospital in row.outliers
            cells.append(Text(f"{text}*", style="red") if outlier else text)
        table.append(
            (
                row.category.value, row.resource_code, row.unit or "", *cells,
                f"{row.n}/{row.n_drafts}", _qty(row.median),
                f"{_qty(row.p25)}–{_qty(row.p75)}", " ".join(row.outliers),
            )
        )  # fmt: skip
    render.print_table(
        columns,
        table,
        title=f"So sánh dự thảo — {technique} (ngoại lai: |x − med| > 3·1.4826·MAD;"
        " --wide: giá trị từng bệnh viện / each hospital's value)",
        wide=wide,
    )


@app.command("compare")
def compare(
    *,
    technique: str = typer.Argument(..., help="Technique code."),
    database_url: str | None = DB_OPTION,
    output_format: str = FORMAT_OPTION,
    wide: bool = render.WIDE_OPTION,
) -> None:
    """Compare the hospitals' drafts line by line: n, spread, outliers marked (*)."""
    from giamdinh.services import norms as service  # noqa: PLC0415

    with operator_errors():
        rows = service.compare_drafts(technique, database_url=database_url)
    if output_format == "json":
        _emit_json([asdict(r) for r in rows])
        return
    _print_stats(technique, rows, wide=wide)


def _parse_override(text: str, by: str) -> Override:
    from giamdinh.norms.consolidate import Override  # noqa: PLC0415
    from giamdinh.norms.model import LineCategory  # noqa: PLC0415

    parts = text.split("=", 1)
    key, _, reason = (parts[1] if len(parts) > 1 else "").partition(":")
    category, _, code = parts[0].partition(":")
    value = _decimal(key, "--override")
    if not code or value is None or not reason.strip():
        msg = f"--override must be CATEGORY:CODE=VALUE:REASON, got {text!r}"
        raise ConfigError(msg)
    try:
        line_category = LineCategory(category)
    except ValueError as exc:
        msg = f"--override category {category!r} is unknown"
        raise ConfigError(msg) from exc
    return Override(
        category=line_category, resource_code=code, value=value, reason=reason, by=by
    )


@app.command("consolidate")
def consolidate(
    *,
    technique: str = typer.Argument(..., help="Technique code."),
    method: str = typer.Option(
        "median",
        "--method",
        help="median, volume_weighted_mean, p25, minimum or trimmed_mean.",
    ),
    override: list[str] = typer.Option(
        [], "--override", help="CATEGORY:CODE=VALUE:REASON (repeat); needs --actor."
    ),
    actor: str = typer.Option("", "--actor", help="Who consolidates (for --record)."),
    record: bool = typer.Option(
        False, "--record", help="Store as the next national norm."
    ),
    price_book: str | None = typer.Option(
        None, "--price-book", help="Price-book code."
    ),
    database_url: str | None = DB_OPTION,
    output_format: str = FORMAT_OPTION,
    wide: bool = render.WIDE_OPTION,
) -> None:
    """Consolidate a national norm per line; money from one price book; volume bands."""
    from giamdinh.services import norms as service  # noqa: PLC0415

    with operator_errors():
        overrides = [_parse_override(text, actor) for text in override]
        result = service.consolidate_technique(
            technique, database_url=database_url, method=method, overrides=overrides,
            price_book=price_book, record=record, actor=actor,
        )  # fmt: skip
    if output_format == "json":
        _emit_json(asdict(result))
        return
    lines = []
    for line in result.consolidation.lines:
        s = line.stats
        note = line.note or ""
        if line.override is not None:
            note = f"điều chỉnh: {line.override.reason} ({line.override.by})"
        lines.append(
            (
                s.category.value, s.resource_code, _qty(line.value),
                f"{s.n}/{s.n_drafts}", _qty(s.median), " ".join(s.outliers), note,
            )
        )  # fmt: skip
    render.print_table(
        [
            Column("Nhóm", "code"),
            Column("Mã", "code"),
            Column("Giá trị", "number"),
            Column("n", "number"),
            Column("Trung vị", "number"),
            Column("Ngoại lai", "code"),
            Column("Ghi chú"),
        ],
        lines,
        title=f"Định mức tổng hợp — {technique} ({method})",
        wide=wide,
    )
    _print_cost(f"{technique} quốc gia", result.cost)
    if result.bands:
        render.print_table(
            [
                Column("Sản lượng/năm", "code"),
                Column("Chi phí/lần", "money", places=_PLACES),
                Column("Phần cố định", "money", places=_PLACES),
            ],
            [(band.label, band.unit_cost, band.fixed) for band in result.bands],
            title="Bậc sản lượng / volume bands",
        )
    if result.version is not None:
        _print(f"Đã lưu định mức quốc gia phiên bản {result.version}.")


@app.command("export")
def export(
    *,
    kind: str = typer.Argument(..., help="template, draft, consolidated or progress."),
    output: Path = typer.Option(
        ..., "--output", "-o", help="Workbook to write (.xlsx)."
    ),
    technique: str | None = typer.Option(None, "--technique", help="Technique code."),
    hospital: str | None = typer.Option(None, "--hospital", help="Hospital code."),
    method: str = typer.Option("median", "--method", help="Consolidation method."),
    as_of: str | None = typer.Option(None, "--as-of", help="Progress day YYYY-MM-DD."),
    database_url: str | None = DB_OPTION,
) -> None:
    """Write a workbook: blank or filled draft template, consolidated norm, progress."""
    from giamdinh.services import norms as service  # noqa: PLC0415

    with operator_errors():
        if kind == "template":
            path = service.export_template(
                output, database_url=database_url, technique_code=technique,
                hospital_code=hospital,
            )  # fmt: skip
        elif kind == "draft":
            if technique is None or hospital is None:
                msg = "export draft needs --technique and --hospital"
                raise ConfigError(msg)
            path = service.export_template(
                output, database_url=database_url, technique_code=technique,
                hospital_code=hospital,
            )  # fmt: skip
        elif kind == "consolidated":
            if technique is None:
                msg = "export consolidated needs --technique"
                raise ConfigError(msg)
            path = service.export_consolidation(
                technique, output, database_url=database_url, method=method
            )
        elif kind == "progress":
            path = service.export_progress(
                output, database_url=database_url, as_of=_day(as_of)
            )
        else:
            msg = (
                f"unknown export {kind!r}; use template, draft, consolidated, progress"
            )
            raise ConfigError(msg)
    _print(f"Đã ghi {escape(str(path))}")


@app.command("transition")
def transition(
    *,
    technique: str = typer.Argument(..., help="Technique code."),
    hospital: str = typer.Argument(..., help="Hospital code."),
    target: str = typer.Argument(..., help="Target state (e.g. qualified, submitted)."),
    actor: str = typer.Option(..., "--actor", help="Who makes the change."),
    reason: str | None = typer.Option(None, "--reason", help="Why (recorded)."),
    criterion: str | None = typer.Option(
        None,
        "--criterion",
        help="For not_qualified: not_approved, not_performed or no_evidence.",
    ),
    database_url: str | None = DB_OPTION,
) -> None:
    """Move an assignment through the workflow (refused moves exit 2 with why)."""
    from giamdinh.services import norms as service  # noqa: PLC0415

    with operator_errors():
        state = service.transition(
            technique, hospital, target, database_url=database_url, actor=actor,
            reason=reason, not_qualified_reason=criterion,
        )  # fmt: skip
    _print(f"{technique} × {hospital}: {state}")


@app.command("comment")
def comment(
    *,
    technique: str = typer.Argument(..., help="Technique code."),
    hospital: str = typer.Argument(..., help="Hospital code."),
    text: str = typer.Argument(..., help="The comment."),
    author: str = typer.Option(..., "--author", help="Reviewer."),
    line: int | None = typer.Option(None, "--line", help="Line number (STT) it is on."),
    database_url: str | None = DB_OPTION,
) -> None:
    """Leave a review comment on a hospital's latest draft, or on one line of it."""
    from giamdinh.services import norms as service  # noqa: PLC0415

    with operator_errors():
        number = service.comment(
            technique, hospital, text, database_url=database_url, author=author,
            line_no=line,
        )  # fmt: skip
    _print(f"Đã ghi nhận xét #{number}")


@app.command("resolve")
def resolve(
    *,
    comment_id: int = typer.Argument(..., help="Comment number (from norms comment)."),
    database_url: str | None = DB_OPTION,
) -> None:
    """Mark a review comment as resolved, so the draft can be consolidated."""
    from giamdinh.services import norms as service  # noqa: PLC0415

    with operator_errors():
        service.resolve_comment(comment_id, database_url=database_url)
    _print(f"Đã xử lý nhận xét / comment resolved #{comment_id}")


@app.command("publish")
def publish(
    *,
    output: Path = typer.Option(
        ..., "--output", "-o", help="Folder for the Parquet files."
    ),
    effective_from: str | None = typer.Option(
        None,
        "--effective-from",
        help="Day YYYY-MM-DD the norms apply from (default: consolidation day).",
    ),
    database_url: str | None = DB_OPTION,
) -> None:
    """Write the norms for assessment: staff minutes, expected supply quantities.

    The files are the reference tables ref_norm_staff_minutes and
    ref_norm_supply_quantities (giamdinh reference show norm_supply CODE --norms DIR).
    """
    from giamdinh.services import norms as service  # noqa: PLC0415

    with operator_errors():
        day = _day(effective_from, "--effective-from")
        tables = service.norm_reference_tables(
            database_url=database_url, effective_from=day
        )
    import pyarrow.parquet as pq  # noqa: PLC0415

    from giamdinh.refdata.norm_tables import NORM_FILES  # noqa: PLC0415

    output.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        pq.write_table(table, output / NORM_FILES[name])
    counts = "; ".join(f"{name}: {t.num_rows} dòng/rows" for name, t in tables.items())
    _print(f"{counts} → {escape(str(output))}")
