"""``giamdinh ingest``, ``giamdinh validate`` and ``giamdinh store show``."""

from __future__ import annotations

import json
from pathlib import Path  # noqa: TC003 - Typer reads the annotations at run time
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from giamdinh.cli.errors import EXIT_USAGE, operator_errors
from giamdinh.services.ingest import (
    collect_paths,
    ingest_paths,
    store_overview,
    validate_paths,
)

if TYPE_CHECKING:
    from giamdinh.domain import Finding
    from giamdinh.services.ingest import IngestSummary, StoreOverview, ValidationReport

_out = Console(soft_wrap=True)
_err = Console(stderr=True)

store_app = typer.Typer(
    help="Kho hồ sơ (Parquet + DuckDB): xem nội dung.", no_args_is_help=True
)

_PATHS = typer.Argument(..., help="Claim files or folders (searched for *.xml).")
_STORE = typer.Option(
    None, "--store", help="Claim store directory (default: GIAMDINH_STORE_DIR)."
)


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_err,
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
) -> None:
    """Check files as the portal would (exit 1 when a file would be rejected)."""
    if output not in ("table", "json"):
        _err.print(
            f"[bold red]Lỗi[/]: --format must be 'table' or 'json', not {output!r}"
        )
        raise typer.Exit(code=EXIT_USAGE)
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
        _print_report(report)
    if report.rejected:
        raise typer.Exit(code=1)


@store_app.command("show")
def show(store: Path | None = _STORE) -> None:
    """Show what the store holds: claims, versions, rejections, partitions."""
    with operator_errors():
        overview = store_overview(store)
    _print_overview(overview)


# ------------------------------------------------------------------ output


def _print_summary(summary: IngestSummary) -> None:
    s = summary.stats
    claims = s.claims_new + s.claims_superseded + s.claims_unchanged + s.claims_rejected
    rate = (claims / summary.seconds) if summary.seconds else 0.0
    table = Table(title=f"Kho: {escape(str(summary.store))}", show_header=False)
    table.add_row(
        "Tệp / files",
        f"{s.files} ({s.files_unchanged} đã có, {s.files_rejected} bị từ chối)",
    )
    table.add_row("Hồ sơ mới / new claims", str(s.claims_new))
    table.add_row("Phiên bản mới / superseding", str(s.claims_superseded))
    table.add_row("Không đổi / unchanged", str(s.claims_unchanged))
    table.add_row("Bị từ chối / rejected", str(s.claims_rejected))
    table.add_row(
        "Dòng / rows", ", ".join(f"{k} {v}" for k, v in sorted(s.rows.items()))
    )
    table.add_row("Lô / batch", s.batch_id if s.committed else "(không thay đổi)")
    table.add_row(
        "Thời gian / time",
        f"{summary.seconds:.1f} s ({rate:.0f} hồ sơ/giây / claims/s)",
    )
    _out.print(table)
    if s.findings_by_code:
        codes = Table(title="Phát hiện theo mã / findings by code")
        codes.add_column("code")
        codes.add_column("count", justify="right")
        for code, count in sorted(s.findings_by_code.items()):
            codes.add_row(code, str(count))
        _out.print(codes)


def _finding_json(f: Finding) -> dict[str, Any]:
    loc = f.location
    return {
        "code": f.code,
        "severity": f.severity.value,
        "message": f.message,
        "message_en": f.message_en,
        "file": loc.file,
        "ma_lk": loc.ma_lk,
        "table": loc.table,
        "stt": loc.stt,
        "field": loc.field,
        "evidence": f.evidence,
    }


def _report_json(report: ValidationReport) -> dict[str, Any]:
    return {
        "rejected": report.rejected,
        "files": [
            {
                "path": r.path,
                "claims": r.claims,
                "rejected": r.rejected,
                "findings": [_finding_json(f) for f in r.findings],
            }
            for r in report.files
        ],
        "by_code": dict(sorted(report.by_code().items())),
    }


def _print_report(report: ValidationReport) -> None:
    findings = report.findings
    if findings:
        table = Table(title="Kết quả kiểm tra / reception findings")
        for col in ("code", "severity", "where", "message"):
            table.add_column(col)
        for f in findings:
            table.add_row(
                f.code,
                f.severity.value,
                escape(f.location.describe()),
                escape(f.message),
            )
        _out.print(table)
    bad = sum(1 for r in report.files if r.rejected)
    _out.print(
        f"{len(report.files)} tệp, {len(findings)} phát hiện, "
        f"{bad} tệp sẽ bị từ chối / would be rejected"
    )


def _print_overview(o: StoreOverview) -> None:
    table = Table(title=f"Kho: {escape(str(o.store))}", show_header=False)
    table.add_row("Lô / batches", str(o.batches))
    table.add_row("Tệp / files", str(o.files))
    table.add_row("Hồ sơ hiện hành / current claims", str(o.claims))
    table.add_row("Phiên bản / versions", f"{o.versions} ({o.superseded} bị thay thế)")
    table.add_row("Bị từ chối / rejected", str(o.rejected))
    table.add_row("Dòng / rows", ", ".join(f"{k} {v}" for k, v in o.rows.items()))
    _out.print(table)
    if o.partitions:
        parts = Table(title="Hồ sơ theo cơ sở × tháng / claims by facility × month")
        for col in ("MA_CSKCB", "month", "claims"):
            parts.add_column(col)
        for cskcb, month, count in o.partitions:
            parts.add_row(cskcb, month, str(count))
        _out.print(parts)
    if o.findings_by_code:
        _out.print(
            "Phát hiện / findings: "
            + ", ".join(f"{k} {v}" for k, v in o.findings_by_code.items())
        )
