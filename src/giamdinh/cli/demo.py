"""``giamdinh demo``: a province generated, ingested, assessed and summarised."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from giamdinh.cli.errors import operator_errors
from giamdinh.services.demo import run_demo

if TYPE_CHECKING:
    from decimal import Decimal

    from giamdinh.services.demo import DemoResult

_out = Console()

_MONEY_LABELS = {
    "claimed": "Đề nghị thanh toán / claimed",
    "payable": "Chấp nhận / payable",
    "refused": "Từ chối / refused",
    "adjusted": "Điều chỉnh / adjusted",
    "under_review": "Chờ giám định chung / under review",
}


def _money(value: Decimal) -> str:
    return f"{value:,.0f}".replace(",", ".")


def _share(part: Decimal, whole: Decimal) -> str:
    return f"{(part / whole * 100):.2f} %" if whole else "-"


def _print(result: DemoResult) -> None:
    s = result.summary
    _out.rule("[bold]Giám định BHYT — tỉnh mẫu / synthetic province[/]")
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    _out.print(
        f"{result.synth.claims} hồ sơ / claims ({result.synth.files} tệp / files, "
        f"{result.synth.lines.get('XML3', 0)} dòng DVKT / service lines, "
        f"{sum(result.synth.labels.values())} bất thường cài sẵn / planted) — {steps}"
    )
    _out.print(
        f"Kho / store: {result.ingest.stats.claims_new} hồ sơ mới / new claims, "
        f"{result.ingest.stats.claims_rejected} từ chối tiếp nhận / rejected"
    )

    money = Table(title="Tiền / money (đồng)", title_justify="left")
    money.add_column("")
    money.add_column("đồng", justify="right")
    money.add_column("%", justify="right")
    for key, label in _MONEY_LABELS.items():
        value = s.totals[key]
        money.add_row(label, _money(value), _share(value, s.totals["claimed"]))
    _out.print(money)

    rules = Table(
        title="Quy tắc nhiều tiền nhất / rules with most money at stake",
        title_justify="left",
    )
    rules.add_column("rule")
    rules.add_column("tên / title", ratio=1, overflow="fold")
    rules.add_column("phát hiện / hits", justify="right")
    rules.add_column("đồng", justify="right")
    for r in s.rules:
        rules.add_row(
            f"{r.rule_id}\n[dim]{r.severity}[/]",
            escape(r.title),
            f"{r.findings} ({r.claims} hồ sơ)",
            _money(r.amount),
        )
    _out.print(rules)

    facilities = Table(
        title="Cơ sở nhiều tiền nhất / facilities with most money at stake",
        title_justify="left",
    )
    facilities.add_column("MA_CSKCB")
    facilities.add_column("hồ sơ", justify="right")
    for col in ("đề nghị / claimed", "từ chối / refused", "điều chỉnh", "chờ / review"):
        facilities.add_column(col, justify="right", no_wrap=True)
    for f in s.facilities[:5]:
        facilities.add_row(
            f.ma_cskcb,
            str(f.claims),
            _money(f.claimed),
            _money(f.refused),
            _money(f.adjusted),
            _money(f.under_review),
        )
    _out.print(facilities)

    leads = Table(
        title="Tín hiệu hàng đầu / top leads (giám định chung, không từ chối)",
        title_justify="left",
    )
    for col in ("code", "entity", "MA_CSKCB", "đồng", "message"):
        leads.add_column(col, overflow="fold")
    for lead in result.leads:
        entity = lead.practitioner or lead.machine or lead.ma_dich_vu or ""
        leads.add_row(
            lead.code,
            entity,
            lead.ma_cskcb or "",
            _money(lead.amount),
            escape(lead.message),
        )
    _out.print(leads)

    _out.print(
        f"Thời gian thực hiện / execution time: {s.time_findings} phát hiện chỉ để "
        f"thông tin / findings for information, {_money(s.time_money)} đồng từ chối "
        "vì thời gian / refused for time (Bộ Y tế 2025: thời gian không phải căn "
        "cứ từ chối / time is never a refusal ground)."
    )
    _out.print(
        f"Định mức KT-KT / norms programme: {result.progress.headline()} "
        f"({len(result.progress.by_hospital)} bệnh viện / hospitals)"
    )
    store = result.folder / "store"
    _out.rule("Xem tiếp / where to look next")
    for step in s.next_steps:
        _out.print(f"  • {escape(step)}")
    _out.print(
        f"  giamdinh signals --store {store} --top 20\n"
        f"  giamdinh rules show {s.rules[0].rule_id if s.rules else 'CT001'}\n"
        f"  giamdinh check {result.folder / 'province' / 'claims'} "
        f"--reference {result.folder / 'province' / 'reference'}\n"
        f"  giamdinh norms progress --database-url sqlite:///"
        f"{result.folder / 'giamdinh.db'}\n"
        "  Kết quả giám định / assessment files: "
        f"{escape(str(result.assessment.folder))}"
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
) -> None:
    """Chạy thử toàn bộ: sinh tỉnh mẫu, tiếp nhận, giám định, tín hiệu, định mức."""
    with operator_errors():
        result = run_demo(
            folder,
            claims=claims,
            seed=seed,
            anomaly_rate=anomaly_rate,
            report=lambda line: _out.print(f"[dim]{escape(line)}[/]"),
        )
    _print(result)
