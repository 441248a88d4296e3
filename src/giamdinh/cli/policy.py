"""``giamdinh policy``: replay payment-policy options over stored claims; lent machines.

Services are imported inside the commands (see ``giamdinh.cli.main``).
"""

from __future__ import annotations

import json
from pathlib import Path  # noqa: TC003 - Typer reads the annotations at run time
from typing import TYPE_CHECKING

import typer
from rich.text import Text

from giamdinh.cli import render
from giamdinh.cli.errors import operator_errors
from giamdinh.cli.options import OVERRIDES_OPTION, parse_day
from giamdinh.cli.render import WIDE_OPTION, Column
from giamdinh.errors import ConfigError

if TYPE_CHECKING:
    from rich.console import Console

    from giamdinh.services.policy import ReplayRun

app = typer.Typer(
    help="Phương án chính sách: phát lại trên hồ sơ đã lưu; máy đặt, mượn, chuyển đổi.",
    no_args_is_help=True,
)

STORE_OPTION = typer.Option(
    None, "--store", help="Claim store directory (default: GIAMDINH_STORE_DIR)."
)
REFERENCE_OPTION = typer.Option(
    None,
    "--reference",
    help="Reference folder: one facility's, or a folder of them "
    "(equipment_sources.csv, machine_milestones.csv, M06).",
)


def _store(store: Path | None) -> Path:
    from giamdinh.config import get_settings  # noqa: PLC0415

    return store or get_settings().store_dir


SUMMARY_COLUMNS = (
    Column("PA\nOption", "code"),
    Column("Thanh toán\nPaid", "money", places=0),
    Column("Từ chối\nRefused", "money", places=0),
    Column("Chờ GĐ\nReview", "money", places=0),
    Column("Δ thanh toán\nΔ paid", "money", places=0),
    Column("Dòng\nLines", "number"),
    Column("NB\nPat.", "number"),
    Column("CS\nFac.", "number"),
)


def print_replay(
    run: ReplayRun, *, wide: bool = False, out: Console | None = None
) -> None:
    """Print the options' table of a replay (also used by ``giamdinh demo``).

    One row per option (``current`` is the rules in force): money paid, refused
    and held for review; the change of money paid against the rules in force;
    the lines, patients and facilities whose money changes. The options' titles
    follow the table.
    """
    target = out or render.console()
    render.print_table(
        SUMMARY_COLUMNS,
        [
            (
                t.id,
                t.totals["payable"],
                t.totals["refused"],
                t.totals["under_review"],
                t.changes["payable"],
                t.lines_changed,
                t.patients_changed,
                t.facilities_changed,
            )
            for t in run.options
        ],
        title="Phát lại phương án so với quy định hiện hành (đồng) / options replayed "
        "against the rules in force (đồng)",
        wide=wide,
        out=target,
    )
    for t in run.options:
        target.print(Text(f"  {t.id}: {t.title} / {t.title_en}"))


@app.command("replay")
def replay(
    *,
    options: list[str] = typer.Argument(
        ..., help="Options: built-in ids (A, B, C, D, baseline) or .toml files."
    ),
    store: Path | None = STORE_OPTION,
    reference: Path | None = REFERENCE_OPTION,
    start: str | None = typer.Option(
        None, "--from", help="First day of claims' end (NGAY_RA) to replay, YYYY-MM-DD."
    ),
    end: str | None = typer.Option(
        None, "--to", help="Last day of claims' end (NGAY_RA) to replay, YYYY-MM-DD."
    ),
    overrides: Path | None = OVERRIDES_OPTION,
    memory_limit: str | None = typer.Option(
        None, "--memory-limit", help="DuckDB memory limit, e.g. 2GB (spills beyond)."
    ),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="Operational database with the national norms, for price options from "
        "norms (default: GIAMDINH_DATABASE_URL).",
    ),
    output: str = typer.Option("table", "--format", help="table or json."),
    wide: bool = WIDE_OPTION,
) -> None:
    """Phát lại các phương án trên hồ sơ đã lưu, so với quy định hiện hành.

    Replays each option over the stored claims (the rules in force are the
    baseline) and writes a comparison run under <store>/policy/: money payable,
    refused and under review by facility, month, rule and machine, the lines
    whose decision changes, a workbook and a chart.
    """
    from giamdinh.services.policy import replay_store  # noqa: PLC0415

    with operator_errors():
        first, last = parse_day(start, "--from"), parse_day(end, "--to")
        if (first is None) != (last is None):
            raise ConfigError(
                "--from and --to go together / --from và --to đi cùng nhau"
            )
        run = replay_store(
            _store(store),
            options,
            reference_dir=reference,
            period=(first, last) if first and last else None,
            overrides_path=overrides,
            memory_limit=memory_limit,
            database_url=database_url,
        )
    if output == "json":
        typer.echo((run.folder / "replay.json").read_text(encoding="utf-8"))
        return
    print_replay(run, wide=wide)
    out = render.console()
    for problem in run.milestone_problems:
        out.print(
            f"[yellow]{problem.file}, dòng {problem.row}, {problem.column}="
            f"{problem.value!r}: {problem.message} / {problem.message_en}[/]"
        )
    out.print(f"Kết quả / results: {run.folder}")
    out.print(
        f"  {run.workbook.name}, {run.chart.name}, replay.json "
        f"(fingerprint {run.fingerprint[:12]})"
    )


@app.command("list")
def list_options(
    output: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Các phương án có sẵn / the built-in options, with what they change."""
    from giamdinh.services.policy import list_options as listed  # noqa: PLC0415

    with operator_errors():
        infos = listed()
    if output == "json":
        typer.echo(
            json.dumps(
                [
                    {
                        "id": i.id,
                        "title": i.title,
                        "title_en": i.title_en,
                        "sha256": i.sha256,
                        "changes": list(i.changes),
                        "basis": list(i.basis),
                    }
                    for i in infos
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    render.print_table(
        (
            Column("Mã / Id", "code"),
            Column("Tên / Title"),
            Column("Thay đổi / Changes"),
            Column("Căn cứ / Texts"),
        ),
        [(i.id, i.title, "; ".join(i.changes), "; ".join(i.basis)) for i in infos],
        title="Phương án có sẵn / built-in options",
    )


@app.command("show")
def show(
    option: str = typer.Argument(..., help="A built-in id or a .toml file."),
) -> None:
    """Xem một phương án (kiểm tra khi tải) / show one option, validated."""
    from giamdinh.services.policy import describe_option  # noqa: PLC0415

    with operator_errors():
        info = describe_option(option)
    render.print_pairs(
        [
            ("Mã / Id", info.id),
            ("Tên", info.title),
            ("Title", info.title_en),
            ("Tệp / File", str(info.path)),
            ("SHA-256", info.sha256),
            ("Thay đổi / Changes", "\n".join(info.changes) or "—"),
            ("Căn cứ / Texts", "\n".join(info.basis) or "—"),
        ],
        title=f"Phương án {info.id}",
    )


@app.command("machines")
def machines(
    *,
    reference: Path | None = REFERENCE_OPTION,
    store: Path | None = typer.Option(
        None, "--store", help="Claim store: money billed on each machine by month."
    ),
    overdue: bool = typer.Option(
        False, "--overdue", help="Only machines not converted by the deadline."
    ),
    deadline: str | None = typer.Option(
        None,
        "--deadline",
        help="Conversion deadline, YYYY-MM-DD (default: option D's).",
    ),
    on: str | None = typer.Option(
        None, "--on", help="Read statuses on this day (default today)."
    ),
    output: str = typer.Option("table", "--format", help="table or json."),
    wide: bool = WIDE_OPTION,
) -> None:
    """Sổ theo dõi máy đặt, mượn của nhà thầu và việc chuyển đổi theo NĐ 151/2017.

    Each machine placed by a reagent supplier: facility, supplier, contract, the
    day its reagents ran out, the steps of its conversion (joint venture, lease,
    purchase), and the money billed on it each month while still lent.
    """
    from giamdinh.services.policy import machine_register  # noqa: PLC0415

    with operator_errors():
        entries, problems = machine_register(
            reference,
            store_dir=store,
            on=parse_day(on, "--on"),
            deadline=parse_day(deadline, "--deadline"),
            overdue_only=overdue,
        )
    if output == "json":
        typer.echo(
            json.dumps(
                [
                    {
                        "ma_may": e.ma_may,
                        "ma_cskcb": e.ma_cskcb,
                        "supplier": e.supplier,
                        "contract_from": str(e.contract_from)
                        if e.contract_from
                        else None,
                        "contract_to": str(e.contract_to) if e.contract_to else None,
                        "stock_until": str(e.stock_until) if e.stock_until else None,
                        "converted_on": str(e.converted_on) if e.converted_on else None,
                        "converted_to": e.converted_to,
                        "target_form": e.target_form,
                        "status": e.status.value,
                        "overdue": e.overdue,
                        "milestones": [
                            {
                                "step": m.step,
                                "day": str(m.day),
                                "form": m.form,
                                "document": m.document,
                            }
                            for m in e.milestones
                        ],
                        "months": [
                            {"month": m.month, "lines": m.lines, "money": str(m.money)}
                            for m in e.months
                        ],
                        "at_stake": str(e.at_stake),
                    }
                    for e in entries
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    render.print_table(
        (
            Column("Cơ sở / Facility", "code"),
            Column("Máy / Machine", "code"),
            Column("Nhà thầu / Supplier"),
            Column("Hợp đồng / Contract"),
            Column("Hết vật tư / Stock until", "code"),
            Column("Tình trạng / Status"),
            Column("Các mốc / Steps"),
            Column("Quá hạn / Overdue", "code"),
            Column("Tiền khi còn mượn / Billed while lent", "money", places=0),
        ),
        [
            (
                e.ma_cskcb,
                e.ma_may,
                e.supplier,
                f"{e.contract_from or ''} → {e.contract_to or ''}",
                str(e.stock_until or ""),
                e.status.label
                + (f" ({e.converted_to}, {e.converted_on})" if e.converted_on else ""),
                ", ".join(f"{m.step} {m.day}" for m in e.milestones),
                "x" if e.overdue else "",
                e.at_stake,
            )
            for e in entries
        ],
        title=f"Máy đặt, mượn / machines lent by suppliers: {len(entries)}",
        wide=wide,
    )
    out = render.console()
    for problem in problems:
        out.print(
            f"[yellow]{problem.file}, dòng {problem.row}, {problem.column}="
            f"{problem.value!r}: {problem.message} / {problem.message_en}[/]"
        )
