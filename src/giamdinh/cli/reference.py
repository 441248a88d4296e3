"""``giamdinh reference``: check a reference folder; show a code as of a day."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path  # noqa: TC003 - Typer reads the annotations at run time
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from giamdinh.cli import render
from giamdinh.cli.errors import operator_errors
from giamdinh.cli.render import Column, Kind
from giamdinh.errors import ConfigError

if TYPE_CHECKING:
    from rich.console import Console

    from giamdinh.services.reference import FolderCheck, Shown

# NOTE: reference data (DuckDB, pyarrow) is imported inside each command: see
# giamdinh.cli.main.

app = typer.Typer(
    help="Dữ liệu tham chiếu (danh mục 01/DM–06/DM, ICD-10, kỹ thuật) theo ngày.",
    no_args_is_help=True,
)


@app.command("load")
def load(
    folder: Path = typer.Argument(..., help="Reference folder (M01…M06, licences…)."),
    ma_cskcb: str | None = typer.Option(
        None, "--ma-cskcb", help="Facility code for rows without MA_CSKCB."
    ),
    wide: bool = render.WIDE_OPTION,
) -> None:
    """Check a reference folder: rows, periods, problems per file (exit 1 on errors)."""
    from giamdinh.services.reference import check_reference_folder  # noqa: PLC0415

    with operator_errors():
        result = check_reference_folder(folder, ma_cskcb=ma_cskcb)
    _print_check(result, wide=wide)
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
    wide: bool = render.WIDE_OPTION,
) -> None:
    """Show a code as valid on a day: e.g. a service with its approved price."""
    from giamdinh.services.reference import (  # noqa: PLC0415
        open_reference,
        show_reference,
    )

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
        _print_shown(shown, wide=wide)
    if not shown.rows:
        raise typer.Exit(code=1)


def _parse_day(text: str | None) -> date:
    if text is None:
        from giamdinh.refdata.reference_set import today  # noqa: PLC0415

        return today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        msg = f"--as-of {text!r} is not a day YYYY-MM-DD"
        raise ConfigError(msg) from None


def _print_check(result: FolderCheck, *, wide: bool) -> None:
    out = render.console()
    rows: list[tuple[object, ...]] = []
    for r in result.reports:
        if r.missing:
            rows.append((r.name, r.table, None, None, None, "chưa kiểm tra", None))
            continue
        end = r.last_day.isoformat() if r.last_day else "…"
        start = r.first_day.isoformat() if r.first_day else ""
        rows.append(
            (
                r.file or r.name,
                r.table,
                r.rows,
                r.keys,
                r.closed_periods,
                f"{start}→{end}",
                len(r.problems),
            )
        )
    render.print_table(
        [
            Column("tệp / file", "code"),
            Column("bảng / table"),
            Column("rows", "number"),
            Column("keys", "number"),
            Column("closed", "number"),
            Column("hiệu lực / valid", "code"),
            Column("lỗi", "number"),
        ],
        rows,
        title=f"Thư mục tham chiếu / reference folder {result.folder}",
        wide=wide,
        out=out,
    )
    for r in result.reports:
        for note in r.notes:
            out.print(f"[dim]{escape(f'{r.file}: {note}')}[/]")
        for p in r.problems:
            out.print(f"[red]✗[/] {escape(p.describe())}")
    if result.not_checked:
        out.print(
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
    out.print(f"[bold]{status}[/]")


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


_CODE_NAMES = ("ma_", "icd", "code", "valid_", "kind", "strength", "stt", "chuong")
_MONEY_NAMES = ("don_gia", "gia_", "thanh_tien", "price")


def _is_money(name: str, value: object) -> bool:
    return isinstance(value, Decimal | int) and name.lower().startswith(_MONEY_NAMES)


def _value(name: str, value: object) -> object:
    """A reference value as shown: money in đồng, ``None`` as empty."""
    if value is None:
        return ""
    if isinstance(value, Decimal | int) and _is_money(name, value):
        return render.money(value)
    return value


def _kind(name: str, values: list[Any]) -> Kind:
    """How to show a reference column: codes and days whole, numbers right."""
    present = [v for v in values if v is not None and v != ""]
    if present and all(_is_money(name, v) for v in present):
        return "money"
    if present and all(
        isinstance(v, int | Decimal) and not isinstance(v, bool) for v in present
    ):
        return "number"
    if name.lower().startswith(_CODE_NAMES) or name.lower().endswith(
        ("_code", "_from", "_to", "_date")
    ):
        return "code"
    if present and all(isinstance(v, date) for v in present):
        return "code"
    return "text"


def _print_rows(title: str, rows: list[dict[str, Any]], *, out: Console) -> None:
    for row in rows:
        render.print_pairs(
            [(key, _value(key, value)) for key, value in row.items()],
            title=title,
            out=out,
        )


def _print_listing(
    title: str, rows: list[dict[str, Any]], *, wide: bool, out: Console
) -> None:
    if not rows:
        return
    if len(rows) == 1:
        _print_rows(title, rows, out=out)
        return
    names = [c for c in rows[0] if c not in {"ma_dich_vu", "valid_from", "valid_to"}]
    _print_dicts(title, names=names, rows=rows, wide=wide, out=out)


def _print_dicts(
    title: str,
    *,
    names: list[str],
    rows: list[dict[str, Any]],
    wide: bool,
    out: Console,
) -> None:
    render.print_table(
        [Column(n, _kind(n, [row.get(n) for row in rows])) for n in names],
        [[row.get(n) for n in names] for row in rows],
        title=title,
        wide=wide,
        out=out,
    )


def _print_shown(shown: Shown, *, wide: bool) -> None:
    out = render.console()
    head = f"{shown.kind.value} {shown.code} as of {shown.as_of.isoformat()}"
    if not shown.rows:
        out.print(f"[red]{escape(head)}: không có / not found[/]")
        out.print("[red]hoặc chưa/hết hiệu lực ngày đó / or not valid on that day[/]")
    _print_listing(head, shown.rows, wide=wide, out=out)
    if shown.history:
        _print_dicts(
            "lịch sử / history (all periods)",
            names=list(shown.history[0]),
            rows=shown.history,
            wide=wide,
            out=out,
        )
    for title, rows in shown.related.items():
        _print_listing(title, rows, wide=wide, out=out)
    for note in shown.notes:
        out.print(f"[dim]{escape(note)}[/]")
