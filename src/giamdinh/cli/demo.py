"""``giamdinh demo``: a province generated, ingested, assessed and summarised."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.text import Text

from giamdinh.cli import render
from giamdinh.cli.errors import operator_errors
from giamdinh.cli.render import Column

if TYPE_CHECKING:
    from decimal import Decimal

    from giamdinh.services.demo import DemoResult

_MONEY_LABELS = {
    "claimed": "Đề nghị thanh toán / claimed",
    "payable": "Chấp nhận / payable",
    "refused": "Từ chối / refused",
    "adjusted": "Điều chỉnh / adjusted",
    "under_review": "Chờ giám định chung / under review",
}


def _share(part: Decimal, whole: Decimal) -> str:
    return f"{(part / whole * 100):.2f} %" if whole else "-"


def _print(result: DemoResult, *, wide: bool) -> None:
    out = render.console()
    s = result.summary
    out.rule("[bold]Giám định BHYT — tỉnh mẫu / synthetic province[/]")
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    out.print(
        f"{result.synth.claims} hồ sơ / claims ({result.synth.files} tệp / files, "
        f"{result.synth.lines.get('XML3', 0)} dòng DVKT / service lines, "
        f"{sum(result.synth.labels.values())} bất thường cài sẵn / planted) — {steps}"
    )
    out.print(
        f"Kho / store: {result.ingest.stats.claims_new} hồ sơ mới / new claims, "
        f"{result.ingest.claims_rejected} hồ sơ bị từ chối / claims rejected, "
        f"{result.ingest.files_rejected} tệp bị từ chối / files rejected"
    )
    render.print_table(
        [Column(""), Column("đồng", "money"), Column("%", "number")],
        [
            (label, s.totals[key], _share(s.totals[key], s.totals["claimed"]))
            for key, label in _MONEY_LABELS.items()
        ],
        title="Tiền / money (đồng)",
        wide=wide,
        out=out,
    )
    render.print_table(
        [
            Column("rule", "code"),
            Column("mức", "code"),
            Column("tên / title"),
            Column("phát hiện / hits", "number"),
            Column("đồng", "money"),
        ],
        [
            (
                r.rule_id,
                r.severity,
                r.title,
                f"{r.findings} ({r.claims} hồ sơ)",
                r.amount,
            )
            for r in s.rules
        ],
        title="Quy tắc nhiều tiền nhất / rules with most money at stake",
        wide=wide,
        out=out,
    )
    render.print_table(
        [
            Column("MA_CSKCB", "code"),
            Column("hồ sơ", "number"),
            Column("đề nghị", "money"),
            Column("từ chối", "money"),
            Column("điều chỉnh", "money"),
            Column("chờ GĐ", "money"),
        ],
        [
            (
                f.ma_cskcb,
                f.claims,
                f.claimed,
                f.refused,
                f.adjusted,
                f.under_review,
            )
            for f in s.facilities[:5]
        ],
        title="Cơ sở nhiều tiền nhất / facilities with most money at stake "
        "(đồng: đề nghị / claimed, từ chối / refused, điều chỉnh / adjusted, "
        "chờ giám định / under review)",
        wide=wide,
        out=out,
    )
    render.print_table(
        [
            Column("code", "code"),
            Column("entity", "code"),
            Column("MA_CSKCB", "code"),
            Column("đồng", "money"),
            Column("message"),
        ],
        [
            (
                lead.code,
                lead.practitioner or lead.machine or lead.ma_dich_vu or "",
                lead.ma_cskcb or "",
                lead.amount,
                lead.message,
            )
            for lead in result.leads
        ],
        title="Tín hiệu hàng đầu / top leads (giám định chung, không từ chối)",
        wide=wide,
        out=out,
    )
    out.print(
        f"Thời gian thực hiện / execution time: {s.time_findings} phát hiện chỉ để "
        f"thông tin / findings for information, {render.money(s.time_money)} đồng "
        "từ chối vì thời gian / refused for time (Bộ Y tế 2025: thời gian không "
        "phải căn cứ từ chối / time is never a refusal ground)."
    )
    out.print(
        f"Định mức KT-KT / norms programme: {result.progress.headline()} "
        f"({len(result.progress.by_hospital)} bệnh viện / hospitals)"
    )
    if result.opened:
        from_findings, from_leads = result.opened
        position = result.review
        out.print(
            f"Giám định chung / joint verification: "
            f"{len(from_findings.opened)} hồ sơ từ phát hiện chờ giám định / cases "
            f"from findings under review ({render.money(from_findings.stake)} đồng), "
            f"{len(from_leads.opened)} từ tín hiệu / from leads "
            f"({render.money(from_leads.stake)} đồng)"
            + (
                f"; đang mở / open {position.open}, đến hạn tuần này / due this week "
                f"{position.due_this_week}, quá hạn / overdue {position.overdue}"
                if position is not None
                else ""
            )
        )
    if result.replay is not None:
        from giamdinh.cli.policy import print_replay  # noqa: PLC0415

        print_replay(result.replay, wide=wide, out=out)
        out.print(
            f"  Bảng tính, biểu đồ / workbook and chart: {result.replay.workbook}, "
            f"{result.replay.chart}"
        )
    store = result.folder / "store"
    out.rule("Xem tiếp / where to look next")
    for step in s.next_steps:
        out.print(Text(f"  • {step}"))
    out.print(
        Text(
            f"  giamdinh signals --store {store} --top 20\n"
            f"  giamdinh rules show {s.rules[0].rule_id if s.rules else 'CT001'}\n"
            f"  giamdinh check {result.folder / 'province' / 'claims'} "
            f"--reference {result.folder / 'province' / 'reference'}\n"
            f"  giamdinh norms progress --database-url sqlite:///"
            f"{result.folder / 'giamdinh.db'}\n"
            f"  giamdinh review list --as gdv.an --database-url sqlite:///"
            f"{result.folder / 'giamdinh.db'}\n"
            f"  giamdinh policy machines --reference "
            f"{result.folder / 'province' / 'reference'} --store {store}\n"
            "  Kết quả giám định / assessment files: "
            f"{result.assessment.folder}"
        )
    )


def demo(
    folder: Path = typer.Option(
        Path("demo"), "--dir", help="Folder for the province, store and database."
    ),
    claims: int = typer.Option(3000, "--claims", help="Claims in the province month."),
    seed: int = typer.Option(2026, "--seed", help="Random seed of the generator."),
    anomaly_rate: float = typer.Option(
        0.05, "--anomaly-rate", help="Share of claims with one planted anomaly."
    ),
    wide: bool = render.WIDE_OPTION,
) -> None:
    """Chạy thử toàn bộ: sinh tỉnh mẫu, tiếp nhận, giám định, tín hiệu, định mức."""
    from giamdinh.services.demo import run_demo  # noqa: PLC0415 - see cli.main

    out = render.console()
    with operator_errors():
        result = run_demo(
            folder,
            claims=claims,
            seed=seed,
            anomaly_rate=anomaly_rate,
            report=lambda line: out.print(f"[dim]{escape(line)}[/]"),
        )
    _print(result, wide=wide)
