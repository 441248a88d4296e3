"""``giamdinh signals``: compute the inspection leads of a store, show the top ones."""

from __future__ import annotations

import json
from pathlib import Path  # noqa: TC003 - Typer reads the annotations at run time
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from giamdinh.cli.errors import EXIT_USAGE, operator_errors
from giamdinh.config import get_settings
from giamdinh.services.norms import published_norms
from giamdinh.services.signals import (
    SignalInputs,
    compute_leads,
    leads_as_json,
    load_leads,
    province_inputs,
    top_leads,
)

if TYPE_CHECKING:
    from giamdinh.signals import Lead

_out = Console(soft_wrap=True)
_err = Console(stderr=True)
_FORMATS = ("table", "json")


def signals(
    *,
    store: Path | None = typer.Option(
        None, "--store", help="Claim store directory (default: GIAMDINH_STORE_DIR)."
    ),
    top: int = typer.Option(20, "--top", help="Show the N leads with most money."),
    output: str = typer.Option("table", "--format", help="table or json."),
    province: Path | None = typer.Option(
        None,
        "--province",
        help="Province folder (as giamdinh synth writes): its reference/, "
        "device_logs/, dicom/ and facilities.csv.",
    ),
    refs: list[Path] = typer.Option(
        [],
        "--refs",
        help="Reference folder (M02, M06): one facility's, a folder of them, or a "
        "province folder.",
    ),
    devices: list[Path] = typer.Option(
        [],
        "--devices",
        help="Device-log CSV / DICOM files, folders of them, or a province folder.",
    ),
    facilities: Path | None = typer.Option(
        None, "--facilities", help="CSV of facility tiers (MA_CSKCB, TIER)."
    ),
    code: list[str] = typer.Option(
        [], "--code", help="Run only these signals (SG001…); default all."
    ),
    norms: bool = typer.Option(
        False,
        "--norms",
        help="Use the published norms' staff minutes (GIAMDINH_DATABASE_URL).",
    ),
    saved: bool = typer.Option(
        False, "--saved", help="Show the leads computed last, without recomputing."
    ),
) -> None:
    """Tín hiệu giám định: ngày bất khả, máy quá tải, hai nơi, so sánh cùng hạng.

    Leads (impossible days, machine capacity, one person in two places, peers)
    open a joint review with the facility; they never refuse a line. Give the
    reference folders, device records and facility tiers with --province (a folder
    written by giamdinh synth) or --refs/--devices/--facilities; without them the
    signals that need them are skipped, and the command says which.
    """
    if output not in _FORMATS:
        _err.print(f"[red]--format must be one of {', '.join(_FORMATS)}[/]")
        raise typer.Exit(code=EXIT_USAGE)
    settings = get_settings()
    store_dir = store or settings.store_dir
    with operator_errors():
        if saved:
            table = load_leads(store_dir)
            findings = []
        else:
            norm_table = None
            if norms:
                norm_table, _ = published_norms(database_url=settings.database_url)
            inputs = SignalInputs(
                refs=tuple(refs), devices=tuple(devices), facilities=facilities
            )
            if province is not None:
                inputs = inputs.merged(province_inputs(province))
            for vi, en in inputs.missing():
                _err.print(f"[yellow]{escape(vi)} / {escape(en)}[/]")
            run = compute_leads(
                store_dir=store_dir,
                refs=inputs.refs,
                devices=inputs.devices,
                facilities=inputs.facilities,
                norms=norm_table,
                codes=code or None,
            )
            table = run.leads
            findings = run.findings
            _err.print(
                f"{table.num_rows} tín hiệu / leads "
                f"({', '.join(f'{k}: {v}' for k, v in run.counts().items() if v)}) "
                f"trong {run.seconds:.1f} s → {run.path}"
            )
    for finding in findings:
        _err.print(
            f"[yellow]{finding.code}[/] {escape(str(finding.location.file))}: "
            f"{escape(finding.message)}"
        )
    leads = top_leads(table, top=top)
    if output == "json":
        typer.echo(json.dumps(leads_as_json(leads), ensure_ascii=False, indent=2))
        return
    _print_table(leads, english=settings.language == "en")


def _print_table(leads: list[Lead], *, english: bool) -> None:
    table = Table(show_lines=True)
    for column in ("#", "code", "entity", "facility", "period", "money at stake"):
        table.add_column(column)
    table.add_column("evidence", overflow="fold")
    for rank, lead in enumerate(leads, start=1):
        entity = lead.practitioner or lead.machine or lead.ma_dich_vu or ""
        period = lead.period.start.isoformat()
        if lead.period.end is not None and lead.period.end != lead.period.start:
            period += f" – {lead.period.end.isoformat()}"
        table.add_row(
            str(rank),
            lead.code,
            escape(entity),
            escape(lead.ma_cskcb or ""),
            period,
            f"{lead.amount:,.0f}",
            escape(lead.message_en if english else lead.message),
        )
    _out.print(table)
