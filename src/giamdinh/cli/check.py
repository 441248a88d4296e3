"""``giamdinh check`` (pre-check of files) and ``giamdinh assess`` (the store run)."""

from __future__ import annotations

from datetime import date
from pathlib import Path  # noqa: TC003 - Typer reads the annotations at run time

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from giamdinh.cli.errors import operator_errors
from giamdinh.config import get_settings
from giamdinh.errors import ConfigError
from giamdinh.services.assessment import (
    FAIL_LEVELS,
    CheckOutput,
    assess_store,
    check_files,
    check_json,
    exit_code,
)

_out = Console(soft_wrap=True)

OVERRIDES_OPTION = typer.Option(
    None,
    "--overrides",
    envvar="GIAMDINH_RULE_OVERRIDES",
    help="Append-only YAML log of rule overrides of this deployment.",
)
AS_OF_OPTION = typer.Option(
    None,
    "--as-of",
    help="Replay as of this day (YYYY-MM-DD): rules, tables, overrides.",
)


def parse_day(text: str | None) -> date | None:
    """Parse ``--as-of``.

    Raises:
        ConfigError: not a YYYY-MM-DD date.
    """
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"--as-of {text!r}: expected YYYY-MM-DD") from exc


def _money(value: object) -> str:
    return f"{value:,.0f}".replace(",", ".")


def _print_table(output: CheckOutput) -> None:
    for file in output.files:
        if file.errors or file.status != "ok":
            _out.print(f"[bold]{escape(file.path)}[/]: {file.status}")
            for err in file.errors:
                where = " ".join(
                    str(p) for p in (err.ma_lk, err.table, err.stt, err.field) if p
                )
                _out.print(
                    f"  {err.severity.value} {err.code} {escape(where)}: "
                    f"{escape(err.message)}"
                )
    table = Table(title=f"Kết quả kiểm tra ({output.rule_set})")
    for col in ("MA_LK", "bảng", "STT", "mã", "quy tắc", "mức", "số tiền", "lý do"):
        table.add_column(col)
    for claim in output.claims:
        for f in claim.findings:
            table.add_row(
                claim.ma_lk,
                f.table or "",
                str(f.stt or ""),
                f.code or "",
                f.rule_id,
                f.severity.value,
                _money(f.amount),
                escape(f.message),
            )
    _out.print(table)
    totals = {
        k: sum(getattr(c, k) for c in output.claims)
        for k in ("claimed", "payable", "refused", "adjusted", "under_review")
    }
    _out.print(
        f"{len(output.claims)} hồ sơ — đề nghị {_money(totals['claimed'])}, "
        f"chấp nhận {_money(totals['payable'])}, từ chối {_money(totals['refused'])}, "
        f"điều chỉnh {_money(totals['adjusted'])}, "
        f"chờ giám định {_money(totals['under_review'])} (đồng)"
    )


def check(  # noqa: PLR0917 - Typer commands take their options positionally
    paths: list[Path] = typer.Argument(..., help="Envelope files or folders (*.xml)."),
    reference: Path | None = typer.Option(
        None, "--reference", help="The facility's reference folder (M01…M06 …)."
    ),
    as_of: str | None = AS_OF_OPTION,
    output_format: str = typer.Option(
        "table", "--format", help="Output format: table or json."
    ),
    fail_on: str = typer.Option(
        "refuse",
        "--fail-on",
        help=f"Exit 1 at this severity: {', '.join(FAIL_LEVELS)}.",
    ),
    overrides: Path | None = OVERRIDES_OPTION,
) -> None:
    """Pre-check claim files against a reference folder (exit 0 ok, 1 fail, 2 error)."""
    with operator_errors():
        if output_format not in {"table", "json"}:
            raise ConfigError(f"--format must be table or json, not {output_format!r}")
        if fail_on not in FAIL_LEVELS:
            raise ConfigError(f"--fail-on must be one of {', '.join(FAIL_LEVELS)}")
        output = check_files(
            paths,
            reference_dir=reference,
            as_of=parse_day(as_of),
            overrides_path=overrides,
        )
        code = exit_code(output, fail_on)
    if output_format == "json":
        typer.echo(check_json(output))
    else:
        _print_table(output)
    raise typer.Exit(code=code)


def assess(
    store: Path | None = typer.Option(
        None, "--store", help="Claim store directory (default: GIAMDINH_STORE_DIR)."
    ),
    reference: Path | None = typer.Option(
        None, "--reference", help="A facility reference folder (national data always)."
    ),
    as_of: str | None = AS_OF_OPTION,
    overrides: Path | None = OVERRIDES_OPTION,
    memory_limit: str | None = typer.Option(
        None,
        "--memory-limit",
        help=(
            "Bộ nhớ tối đa của DuckDB, vượt thì ghi tạm ra đĩa (vd. 4GB) / "
            "DuckDB memory limit, spilling to disk beyond it (e.g. 4GB)."
        ),
    ),
) -> None:
    """Assess every current claim of the store; write findings and decisions to it."""
    with operator_errors():
        run = assess_store(
            store or get_settings().store_dir,
            reference_dir=reference,
            as_of=parse_day(as_of),
            overrides_path=overrides,
            memory_limit=memory_limit,
        )
    t = run.totals
    _out.print(
        f"{run.claims} hồ sơ, {run.findings} phát hiện ({run.rule_set}); đề nghị "
        f"{_money(t['claimed'])}, chấp nhận {_money(t['payable'])}, từ chối "
        f"{_money(t['refused'])}, điều chỉnh {_money(t['adjusted'])}, chờ giám định "
        f"{_money(t['under_review'])} đồng → {escape(str(run.folder))}"
    )
