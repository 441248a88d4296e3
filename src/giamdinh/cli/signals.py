"""``giamdinh signals``: compute the inspection leads of a store, show the top ones."""

from __future__ import annotations

import json
from pathlib import Path  # noqa: TC003 - Typer reads the annotations at run time
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from giamdinh.cli import render
from giamdinh.cli.errors import EXIT_USAGE, operator_errors
from giamdinh.cli.render import Column

if TYPE_CHECKING:
    from giamdinh.signals import Lead

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
    registry_url: str | None = typer.Option(
        None,
        "--registry-url",
        help="Licence registry database (default: GIAMDINH_REGISTRY_URL): "
        "SG009–SG012 set the claims against every connected province's licences "
        "and registrations.",
    ),
    saved: bool = typer.Option(
        False, "--saved", help="Show the leads computed last, without recomputing."
    ),
    wide: bool = render.WIDE_OPTION,
) -> None:
    """Tín hiệu giám định: ngày bất khả, máy quá tải, hai nơi, so sánh cùng hạng.

    Leads (impossible days, machine capacity, one person in two places, peers,
    practice against the licence registry) open a joint review with the facility;
    they never refuse a line. Give the reference folders, device records and
    facility tiers with --province (a folder written by giamdinh synth) or
    --refs/--devices/--facilities, and the licence registry with --registry-url;
    without them the signals that need them are skipped, and the command says which.
    """
    _err = render.console(stderr=True)
    if output not in _FORMATS:
        _err.print(f"[red]--format must be one of {', '.join(_FORMATS)}[/]")
        raise typer.Exit(code=EXIT_USAGE)
    # NOTE: imported here, not at the top: see giamdinh.cli.main.
    from giamdinh.config import get_settings  # noqa: PLC0415
    from giamdinh.services.norms import published_norms  # noqa: PLC0415
    from giamdinh.services.signals import (  # noqa: PLC0415
        SignalInputs,
        compute_leads,
        leads_as_json,
        load_leads,
        province_inputs,
        top_leads,
    )

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
                refs=tuple(refs),
                devices=tuple(devices),
                facilities=facilities,
                registry=registry_url or settings.registry_url,
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
                registry_url=inputs.registry,
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
    _print_table(leads, english=settings.language == "en", wide=wide)


def _period(lead: Lead) -> str:
    """``2026-03-02``, or ``2026-03-02→03-05`` for a span (the year written once)."""
    start, end = lead.period.start, lead.period.end
    if end is None or end == start:
        return start.isoformat()
    tail = end.strftime("%m-%d") if end.year == start.year else end.isoformat()
    return f"{start.isoformat()}→{tail}"


def _print_table(leads: list[Lead], *, english: bool, wide: bool) -> None:
    render.print_table(
        [
            Column("code", "code"),
            Column("entity", "code"),
            Column("MA_CSKCB", "code"),
            Column("kỳ / period", "code"),
            Column("đồng", "money"),
            Column("bằng chứng / evidence"),
        ],
        [
            (
                lead.code,
                lead.practitioner or lead.machine or lead.ma_dich_vu or "",
                lead.ma_cskcb or "",
                _period(lead),
                lead.amount,
                lead.message_en if english else lead.message,
            )
            for lead in leads
        ],
        wide=wide,
    )
