"""``giamdinh ingest``, ``giamdinh validate`` and ``giamdinh store show``.

"Rejected" is counted one way in all three (``giamdinh.services.ingest``): claims
rejected (a ``HOSO`` refused) and files rejected (no claim readable) are shown apart.
"""

from __future__ import annotations

import json
from pathlib import Path  # noqa: TC003 - Typer reads the annotations at run time
from typing import TYPE_CHECKING, Any

import typer

from giamdinh.cli import render
from giamdinh.cli.errors import EXIT_USAGE, operator_errors
from giamdinh.cli.render import Column

if TYPE_CHECKING:
    from rich.progress import Progress

    from giamdinh.domain import Finding
    from giamdinh.services.ingest import (
        FileReport,
        IngestSummary,
        StoreOverview,
        ValidationReport,
    )

store_app = typer.Typer(
    help="Kho hồ sơ (Parquet + DuckDB): xem nội dung.", no_args_is_help=True
)

_PATHS = typer.Argument(..., help="Claim files or folders (searched for *.xml).")
_STORE = typer.Option(
    None, "--store", help="Claim store directory (default: GIAMDINH_STORE_DIR)."
)


def _progress() -> Progress:
    from rich.progress import (  # noqa: PLC0415 - only while files are read
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=render.console(stderr=True),
        transient=True,
    )


def ingest(
    paths: list[Path] = _PATHS,
    store: Path | None = _STORE,
    chunk_mb: int = typer.Option(
        16,
        "--chunk-mb",
        min=1,
        help="Read and write about this many MB of files at a time (bounds memory).",
    ),
) -> None:
    """Ingest claim files into the store (one atomic batch) and print a summary."""
    from giamdinh.services.ingest import collect_paths, ingest_paths  # noqa: PLC0415

    with operator_errors():
        total = len(collect_paths(paths))
        with _progress() as bar:
            task = bar.add_task("Nạp hồ sơ", total=total)
            summary = ingest_paths(
                paths,
                store_dir=store,
                chunk_bytes=chunk_mb * 1024 * 1024,
                progress=lambda n: bar.advance(task, n),
            )
    _print_summary(summary)


def validate(
    paths: list[Path] = _PATHS,
    output: str = typer.Option(
        "table", "--format", help="Output format: table or json."
    ),
    wide: bool = render.WIDE_OPTION,
) -> None:
    """Check files as the portal would (exit 1 if a claim or a file is refused)."""
    if output not in ("table", "json"):
        render.console(stderr=True).print(
            f"[bold red]Lỗi[/]: --format must be 'table' or 'json', not {output!r}"
        )
        raise typer.Exit(code=EXIT_USAGE)
    from giamdinh.services.ingest import collect_paths, validate_paths  # noqa: PLC0415

    with operator_errors():
        if output == "json":
            report = validate_paths(paths)
        else:
            total = len(collect_paths(paths))
            with _progress() as bar:
                task = bar.add_task("Kiểm tra", total=total)
                report = validate_paths(paths, progress=lambda n: bar.advance(task, n))
    if output == "json":
        typer.echo(json.dumps(_report_json(report), ensure_ascii=False, indent=2))
    else:
        _print_report(report, wide=wide)
    if report.rejected:
        raise typer.Exit(code=1)


@store_app.command("show")
def show(
    store: Path | None = _STORE,
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="Operational store of the review cases (default: GIAMDINH_DATABASE_URL).",
    ),
) -> None:
    """Show what the store holds: claims, versions, rejections, partitions."""
    from giamdinh.cli.review import print_position, print_run_totals  # noqa: PLC0415
    from giamdinh.config import get_settings  # noqa: PLC0415
    from giamdinh.services.ingest import store_overview  # noqa: PLC0415
    from giamdinh.services.review import (  # noqa: PLC0415
        latest_run_totals,
        review_position,
    )

    with operator_errors():
        overview = store_overview(store)
        store_dir = store or get_settings().store_dir
        totals = latest_run_totals(store_dir)
        position = (
            review_position(store_dir, database_url=database_url) if totals else None
        )
    _print_overview(overview)
    if totals is not None:
        print_run_totals(*totals)
    print_position(position)


# ------------------------------------------------------------------ output


def _rows_text(rows: dict[str, int]) -> str:
    return ", ".join(f"{table} {count}" for table, count in rows.items()) or "0"


def _print_summary(summary: IngestSummary) -> None:
    s = summary.stats
    claims = s.claims_new + s.claims_superseded + s.claims_unchanged + s.claims_rejected
    rate = (claims / summary.seconds) if summary.seconds else 0.0
    render.print_pairs(
        [
            ("Tệp / files", f"{s.files} ({s.files_unchanged} đã có / already stored)"),
            ("Hồ sơ mới / new claims", s.claims_new),
            ("Phiên bản mới / superseding", s.claims_superseded),
            ("Không đổi / unchanged", s.claims_unchanged),
            ("Hồ sơ bị từ chối / claims rejected", summary.claims_rejected),
            ("Tệp bị từ chối / files rejected", summary.files_rejected),
            ("Dòng nhận / rows accepted", _rows_text(summary.rows)),
            ("Lô / batch", s.batch_id if s.committed else "(không thay đổi)"),
            (
                "Thời gian / time",
                f"{summary.seconds:.1f} s ({rate:.0f} hồ sơ/giây / claims/s)",
            ),
        ],
        title=f"Kho / store: {summary.store}",
    )
    if s.findings_by_code:
        render.print_table(
            [Column("mã / code", "code"), Column("số / count", "number")],
            sorted(s.findings_by_code.items()),
            title="Phát hiện theo mã / findings by code",
        )


def _finding_json(f: Finding) -> dict[str, Any]:
    loc = f.location
    return {
        "code": f.code,
        "severity": f.severity.value,
        "message": f.message,
        "message_en": f.message_en,
        "file": loc.file,
        "ma_cskcb": f.ma_cskcb,
        "ma_lk": loc.ma_lk,
        "table": loc.table,
        "stt": loc.stt,
        "field": loc.field,
        "evidence": f.evidence,
    }


def _report_json(report: ValidationReport) -> dict[str, Any]:
    return {
        "rejected": report.rejected,
        "claims": report.claims,
        "claims_rejected": report.claims_rejected,
        "files_rejected": report.files_rejected,
        "files": [
            {
                "path": r.path,
                "ma_cskcb": r.ma_cskcb,
                "claims": r.claims,
                "claims_rejected": r.claims_rejected,
                "unreadable": r.unreadable,
                "rejected": r.rejected,
                "findings": [_finding_json(f) for f in r.findings],
            }
            for r in report.files
        ],
        "by_code": dict(sorted(report.by_code().items())),
    }


def _where(f: Finding) -> str:
    """Table, line and field of a finding, e.g. ``XML3[2].MA_DICH_VU``."""
    loc = f.location
    text = loc.table or ""
    if loc.stt is not None:
        text += f"[{loc.stt}]"
    if loc.field:
        text += f".{loc.field}" if text else loc.field
    return text


def _file_heading(r: FileReport) -> str:
    facility = f"MA_CSKCB={r.ma_cskcb}, " if r.ma_cskcb else ""
    if r.unreadable:
        state = "tệp bị từ chối / file rejected"
    else:
        state = f"{r.claims_rejected} bị từ chối / rejected"
    return f"{r.path} ({facility}{r.claims} hồ sơ / claims, {state})"


def _print_report(report: ValidationReport, *, wide: bool) -> None:
    out = render.console()
    columns = [
        Column("mã / code", "code"),
        Column("mức", "code"),
        Column("MA_LK", "code"),
        Column("vị trí / where", "code"),
        Column("lý do / message"),
    ]
    for r in report.files:
        if not r.findings:
            continue
        render.print_table(
            columns,
            [
                (f.code, f.severity.value, f.location.ma_lk, _where(f), f.message)
                for f in r.findings
            ],
            title=_file_heading(r),
            wide=wide,
            out=out,
        )
    out.print(
        f"{len(report.files)} tệp / files, {report.claims} hồ sơ / claims, "
        f"{len(report.findings)} phát hiện / findings; sẽ bị từ chối / would be "
        f"rejected: {report.claims_rejected} hồ sơ / claims, "
        f"{report.files_rejected} tệp / files"
    )


def _print_overview(o: StoreOverview) -> None:
    render.print_pairs(
        [
            ("Lô / batches", o.batches),
            ("Tệp / files", o.files),
            ("Hồ sơ hiện hành / current claims", o.claims),
            ("Phiên bản / versions", f"{o.versions} ({o.superseded} bị thay thế)"),
            ("Hồ sơ bị từ chối / claims rejected", o.claims_rejected),
            ("Tệp bị từ chối / files rejected", o.files_rejected),
            ("Dòng / rows", _rows_text(o.rows)),
        ],
        title=f"Kho / store: {o.store}",
    )
    if o.partitions:
        render.print_table(
            [
                Column("MA_CSKCB", "code"),
                Column("tháng / month", "code"),
                Column("hồ sơ / claims", "number"),
            ],
            o.partitions,
            title="Hồ sơ theo cơ sở × tháng / claims by facility × month",
        )
    if o.findings_by_code:
        render.print_table(
            [Column("mã / code", "code"), Column("số / count", "number")],
            o.findings_by_code.items(),
            title="Phát hiện theo mã / findings by code",
        )
