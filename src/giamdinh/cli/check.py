"""``giamdinh check`` (pre-check of files) and ``giamdinh assess`` (the store run)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from giamdinh.cli.errors import operator_errors
from giamdinh.cli.options import (
    AS_OF_OPTION,
    OVERRIDES_OPTION,
    REGISTRY_OPTION,
    parse_day,
)
from giamdinh.cli.render import console, money, shorten
from giamdinh.errors import ConfigError

if TYPE_CHECKING:
    from decimal import Decimal

    from rich.console import Console

    from giamdinh.services.check_model import CheckOutput, ClaimOut


FAIL_LEVELS = ("refuse", "adjust", "review", "info", "never")
FORMATS = ("table", "json", "xlsx")


def _money(value: Decimal | None) -> str:
    return "?" if value is None else money(value, places=0)


def _short(text: str, width: int, *, wide: bool) -> str:
    return text if wide else shorten(text, width)


_SEVERITY_VI = {
    "refuse": "từ chối",
    "adjust": "điều chỉnh",
    "review": "giám định",
    "info": "thông tin",
}


def _print_claim(claim: ClaimOut, *, wide: bool, width: int, out: Console) -> None:
    """A claim as a few lines: its keys whole, then one block per problem."""
    state = "CỔNG TỪ CHỐI / portal rejects" if claim.reception == "rejected" else ""
    money = (
        "số tiền không xác định / money not assessable"
        if claim.money == "not_assessable"
        else f"đề nghị {_money(claim.claimed)}, chấp nhận {_money(claim.payable)}"
    )
    out.print(
        f"[bold]{escape(claim.ma_lk)}[/] {escape(claim.ma_cskcb or '')} "
        f"{escape(state)}".rstrip()
    )
    out.print(f"  {money}")
    for err in claim.reception_errors:
        where = " ".join(str(p) for p in (err.table, err.stt, err.field) if p)
        out.print(f"  {err.code} {err.severity.value} {escape(where)}")
        out.print(f"    {escape(_short(err.message, width - 4, wide=wide))}")
    for f in claim.findings:
        where = " ".join(str(p) for p in (f.table, f.stt, f.code) if p)
        out.print(
            f"  {f.rule_id} {_SEVERITY_VI[f.severity.value]} {escape(where)} "
            f"{_money(f.amount)} đ"
        )
        out.print(f"    {escape(_short(f.message, width - 4, wide=wide))}")
    if claim.not_checked:
        ids = sorted({g.rule_id for g in claim.not_checked})
        out.print(
            f"  chưa kiểm tra / not checked: {len(ids)} quy tắc "
            f"({escape(_short(', '.join(ids), width - 40, wide=wide))})"
        )


def _print_text(output: CheckOutput, *, wide: bool) -> None:
    out = console()  # sized by the terminal (or COLUMNS) at this call
    width = out.width
    for file in output.files:
        if not file.errors and file.status == "ok":
            continue
        out.print(f"[bold]{escape(file.path)}[/]: {file.status}")
        for err in file.errors:
            where = " ".join(
                str(p) for p in (err.ma_lk, err.table, err.stt, err.field) if p
            )
            out.print(f"  {err.code} {err.severity.value} {escape(where)}")
            out.print(f"    {escape(_short(err.message, width - 4, wide=wide))}")
    for claim in output.claims:
        if claim.findings or claim.reception_errors or claim.reception == "rejected":
            _print_claim(claim, wide=wide, width=width, out=out)
    problems = output.reference.problems
    if problems:
        out.print(
            f"Tệp tham chiếu: {len(problems)} vấn đề / reference files: "
            f"{len(problems)} problems"
        )
        for p in problems if wide else problems[:10]:
            where = ", ".join(
                str(x) for x in (p.file, p.row and f"dòng {p.row}", p.column) if x
            )
            out.print(f"  {escape(where)}")
            out.print(f"    {escape(_short(p.message, width - 4, wide=wide))}")
        if not wide and len(problems) > 10:  # noqa: PLR2004
            out.print("  … (--wide hoặc --format xlsx/json để xem hết)")
    if output.reference.missing:
        out.print(
            "Thiếu tệp tham chiếu / reference files not given: "
            + ", ".join(output.reference.missing)
        )
    t = output.totals
    out.print(
        f"{t.claims} hồ sơ ({t.claims_rejected_by_portal} cổng từ chối, "
        f"{t.claims_not_assessable} không xác định được số tiền)"
    )
    for label, value in (
        ("đề nghị / claimed", t.claimed),
        ("chấp nhận / payable", t.payable),
        ("từ chối / refused", t.refused),
        ("điều chỉnh / adjusted", t.adjusted),
        ("chờ giám định / under review", t.under_review),
    ):
        out.print(f"  {label:<30}{_money(value):>20} đồng")
    out.print(f"Bộ quy tắc / rule set: {output.rule_set}")


def check(  # noqa: PLR0917 - Typer commands take their options positionally
    paths: list[Path] = typer.Argument(..., help="Envelope files or folders (*.xml)."),
    reference: Path | None = typer.Option(
        None, "--reference", help="The facility's reference folder (M01…M06 …)."
    ),
    as_of: str | None = AS_OF_OPTION,
    output_format: str = typer.Option(
        "table", "--format", help="Output format: table, json or xlsx."
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Where to write (xlsx: default check.xlsx; json: default stdout).",
    ),
    fail_on: str = typer.Option(
        "refuse",
        "--fail-on",
        help=f"Exit 1 at this severity: {', '.join(FAIL_LEVELS)}.",
    ),
    overrides: Path | None = OVERRIDES_OPTION,
    wide: bool = typer.Option(
        False, "--wide", help="Show long messages whole instead of shortened."
    ),
    registry_url: str | None = REGISTRY_OPTION,
) -> None:
    """Pre-check claim files: the portal's checks and the rules (exit 0/1/2).

    One pass reads the files, runs the reception checks of the insurer's portal
    and assesses every claim with the rules against the reference folder.
    """
    from giamdinh.services.check import check_files  # noqa: PLC0415
    from giamdinh.services.check_model import check_json, exit_code  # noqa: PLC0415

    with operator_errors():
        if output_format not in FORMATS:
            msg = f"--format must be one of {', '.join(FORMATS)}, not {output_format!r}"
            raise ConfigError(msg)
        if fail_on not in FAIL_LEVELS:
            raise ConfigError(f"--fail-on must be one of {', '.join(FAIL_LEVELS)}")
        result = check_files(
            paths,
            reference_dir=reference,
            as_of=parse_day(as_of),
            overrides_path=overrides,
            registry_url=registry_url,
        )
        code = exit_code(result, fail_on)
        if output_format == "xlsx":
            from giamdinh.services.check_report import (  # noqa: PLC0415
                write_check_workbook,
            )

            written = write_check_workbook(result, output or Path("check.xlsx"))
            typer.echo(f"→ {written}")
        elif output_format == "json" and output is not None:
            output.write_text(check_json(result) + "\n", encoding="utf-8")
            typer.echo(f"→ {output}")
        elif output_format == "json":
            typer.echo(check_json(result))
        else:
            _print_text(result, wide=wide)
    raise typer.Exit(code=code)


def assess(  # noqa: PLR0917 - Typer commands take their options positionally
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
    registry_url: str | None = REGISTRY_OPTION,
) -> None:
    """Assess every current claim of the store; write findings and decisions to it."""
    from giamdinh.config import get_settings  # noqa: PLC0415
    from giamdinh.services.assessment import assess_store  # noqa: PLC0415

    with operator_errors():
        run = assess_store(
            store or get_settings().store_dir,
            reference_dir=reference,
            as_of=parse_day(as_of),
            overrides_path=overrides,
            memory_limit=memory_limit,
            registry_url=registry_url,
        )
    t = run.totals
    console().print(
        f"{run.claims} hồ sơ, {run.findings} phát hiện ({run.rule_set}); đề nghị "
        f"{_money(t['claimed'])}, chấp nhận {_money(t['payable'])}, từ chối "
        f"{_money(t['refused'])}, điều chỉnh {_money(t['adjusted'])}, chờ giám định "
        f"{_money(t['under_review'])} đồng → {escape(str(run.folder))}"
    )
    from giamdinh.cli.review import print_position  # noqa: PLC0415
    from giamdinh.services.review import review_position  # noqa: PLC0415

    with operator_errors():
        print_position(review_position(run.folder.parent.parent, run=run.folder.name))
