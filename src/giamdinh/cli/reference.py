"""``giamdinh reference``: check a reference folder; show a code as of a day."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path  # noqa: TC003 - Typer reads the annotations at run time
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from giamdinh.cli.errors import operator_errors
from giamdinh.refdata.reference_set import today
from giamdinh.services.reference import (
    check_reference_folder,
    open_reference,
    show_reference,
)

if TYPE_CHECKING:
    from giamdinh.services.reference import FolderCheck, Shown

app = typer.Typer(
    help="Dữ liệu tham chiếu (danh mục 01/DM–06/DM, ICD-10, kỹ thuật) theo ngày.",
    no_args_is_help=True,
)
_out = Console(soft_wrap=True)


@app.command("load")
def load(
    folder: Path = typer.Argument(..., help="Reference folder (M01…M06, licences…)."),
    ma_cskcb: str | None = typer.Option(
        None, "--ma-cskcb", help="Facility code for rows without MA_CSKCB."
    ),
) -> None:
    """Check a reference folder: rows, periods, problems per file (exit 1 on errors)."""
    with operator_errors():
        result = check_reference_folder(folder, ma_cskcb=ma_cskcb)
    _print_check(result)
    if not result.ok:
        raise typer.Exit(code=1)


@app.command("show")
def show(
    *,
    kind: str = typer.Argument(
        ...,
        help="service, practitioner, machine, licence, department, drug, supply, "
        "equipment_source, icd10, technique, norm_staff or norm_supply.",
    ),
    code: str = typer.Argument(..., help="The code (e.g. 18.0119.0028, J20.9)."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Day YYYY-MM-DD (default: today in Vietnam)."
    ),
    reference: Path | None = typer.Option(
        None, "--reference", help="Facility reference folder (else national only)."
    ),
    norms: Path | None = typer.Option(
        None,
        "--norms",
        help="Folder written by 'giamdinh norms publish' (norm_staff, norm_supply).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a code as valid on a day: e.g. a service with its approved price."""
    with operator_errors():
        day = _parse_day(as_of)
        refs = open_reference(reference, norms=norms)
        try:
            shown = show_reference(refs, kind=kind, code=code, as_of=day)
        finally:
            refs.close()
    if as_json:
        typer.echo(json.dumps(_shown_dict(shown), ensure_ascii=False, default=str))
    else:
        _print_shown(shown)
    if not shown.rows:
        raise typer.Exit(code=1)


def _parse_day(text: str | None) -> date:
    if text is None:
        return today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        from giamdinh.errors import ConfigError  # noqa: PLC0415

        msg = f"--as-of {text!r} is not a day YYYY-MM-DD"
        raise ConfigError(msg) from None


def _print_check(result: FolderCheck) -> None:
    table = Table(title=f"Thư mục tham chiếu / reference folder {result.folder}")
    for col in (
        "tệp / file",
        "bảng / table",
        "dòng / rows",
        "mã / keys",
        "đã đóng / closed",
        "từ / from",
        "đến / to",
        "lỗi / problems",
    ):
        table.add_column(col)
    for r in result.reports:
        if r.missing:
            table.add_row(
                r.name, r.table, "—", "—", "—", "—", "—", "chưa kiểm tra / not checked"
            )
            continue
        table.add_row(
            r.file or r.name,
            r.table,
            str(r.rows),
            str(r.keys),
            str(r.closed_periods),
            str(r.first_day or ""),
            str(r.last_day or "mở / open"),
            str(len(r.problems)),
        )
    _out.print(table)
    for r in result.reports:
        for note in r.notes:
            _out.print(f"[dim]{escape(f'{r.file}: {note}')}[/]")
        for p in r.problems:
            _out.print(f"[red]✗[/] {escape(p.describe())}")
    if result.not_checked:
        _out.print(
            "Không có tệp, quy tắc cần chúng báo 'chưa kiểm tra' / missing files, "
            "the rules that need them report 'not checked': "
            + ", ".join(result.not_checked)
        )
    status = (
        "OK"
        if result.ok
        else f"{result.problem_count} lỗi / problem(s); sửa rồi nạp lại / fix and load"
        " again"
    )
    _out.print(f"[bold]{status}[/]")


def _shown_dict(shown: Shown) -> dict[str, Any]:
    return {
        "kind": shown.kind.value,
        "code": shown.code,
        "as_of": shown.as_of.isoformat(),
        "rows": shown.rows,
        "history": shown.history,
        "related": shown.related,
        "notes": shown.notes,
    }


def _print_rows(title: str, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        table = Table(title=escape(title), show_header=False)
        table.add_column("field", style="bold")
        table.add_column("value")
        for key, value in row.items():
            table.add_row(key, escape(str(value)))
        _out.print(table)


def _print_listing(title: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if len(rows) == 1:
        _print_rows(title, rows)
        return
    cols = [c for c in rows[0] if c not in {"ma_dich_vu", "valid_from", "valid_to"}]
    table = Table(title=escape(title))
    for col in cols:
        table.add_column(col)
    for row in rows:
        table.add_row(*(escape(str(row.get(c, ""))) for c in cols))
    _out.print(table)


def _print_shown(shown: Shown) -> None:
    head = f"{shown.kind.value} {shown.code} as of {shown.as_of.isoformat()}"
    if not shown.rows:
        _out.print(
            f"[red]{escape(head)}: không có hoặc chưa/hết hiệu lực ngày đó / "
            "not found / not valid on that day[/]"
        )
    _print_listing(head, shown.rows)
    if shown.history:
        hist = Table(title="lịch sử / history (all periods)")
        cols = list(shown.history[0])
        for col in cols:
            hist.add_column(col)
        for row in shown.history:
            hist.add_row(*(escape(str(row.get(c, ""))) for c in cols))
        _out.print(hist)
    for title, rows in shown.related.items():
        _print_listing(title, rows)
    for note in shown.notes:
        _out.print(f"[dim]{escape(note)}[/]")
