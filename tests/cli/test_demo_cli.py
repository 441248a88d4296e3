"""``giamdinh demo`` end to end on a small province."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from giamdinh.cli.main import app
from giamdinh.domain.money import format_dong
from giamdinh.services.assessment import latest_run, summarise_store
from giamdinh.services.demo import DEMO_ASSESSORS, DEMO_SUPERVISOR, MARKER
from giamdinh.services.review import list_cases, review_position

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("demo") / "demo"
    result = CliRunner().invoke(
        app,
        # Anomalies enough for lines held under review, hence cases to open.
        [
            "demo",
            "--dir",
            str(folder),
            "--claims",
            "150",
            "--seed",
            "5",
            "--anomaly-rate",
            "0.3",
        ],
        env={"COLUMNS": "80"},
    )
    assert result.exit_code == 0, result.output
    return folder, result.stdout


@pytest.fixture(scope="module")
def demo_dir(demo_run: tuple[Path, str]) -> Path:
    return demo_run[0]


def test_the_summary_reads_in_80_columns_with_codes_whole(
    demo_run: tuple[Path, str],
) -> None:
    folder, output = demo_run
    lines = output.splitlines()
    assert not [line for line in lines if cell_len(line) > 80]
    s = summarise_store(folder / "store")
    for f in s.facilities[:5]:
        (row,) = [line for line in lines if line.startswith(f"{f.ma_cskcb} ")]
        assert format_dong(f.claimed) in row.split()
    for r in s.rules:
        assert sum(line.startswith(f"{r.rule_id} ") for line in lines) == 1
    claimed = format_dong(s.totals["claimed"])
    assert any(claimed in line.split() for line in lines)


def test_the_demo_writes_every_part(demo_dir: Path) -> None:
    assert (demo_dir / MARKER).is_file()
    assert any((demo_dir / "province" / "claims").rglob("*.xml"))
    assert (demo_dir / "store" / "CURRENT").is_file()
    assert (demo_dir / "giamdinh.db").is_file()
    runs = sorted((demo_dir / "store" / "assessments").iterdir())
    assert len(runs) == 1


def test_the_summary_adds_up_and_time_never_refuses(demo_dir: Path) -> None:
    s = summarise_store(demo_dir / "store")
    assert 0 < s.claims <= 150
    t = s.totals
    assert t["claimed"] > 0
    assert (
        t["claimed"] == t["payable"] + t["refused"] + t["adjusted"] + t["under_review"]
    )
    assert s.findings == sum(s.by_severity.values())
    assert s.time_money == 0
    assert sum(f.claims for f in s.facilities) <= s.claims


def test_the_demo_opens_the_joint_verification_cases(
    demo_run: tuple[Path, str],
) -> None:
    folder, output = demo_run
    url = f"sqlite:///{folder / 'giamdinh.db'}"
    store = folder / "store"
    rows = list_cases(user=DEMO_SUPERVISOR, database_url=url)
    findings = [r for r in rows if r.origin == "findings"]
    leads = [r for r in rows if r.origin == "lead"]
    lines = pq.read_table(latest_run(store) / "lines.parquet")
    held = Decimal(pa.compute.sum(lines["under_review"]).as_py())
    assert held > 0
    assert sum((r.stake for r in findings), Decimal(0)) == held
    position = review_position(store, database_url=url)
    assert position is not None
    assert position.cases == len(rows)
    assert position.decided_lines == 0
    text = " ".join(output.split())
    assert "6/7 Mở hồ sơ giám định chung / opening joint-verification cases" in text
    lead_stake = sum((r.stake for r in leads), Decimal(0))
    assert (
        f"{len(findings)} hồ sơ từ phát hiện chờ giám định / cases from findings "
        f"under review ({format_dong(held)} đồng), {len(leads)} từ tín hiệu / from "
        f"leads ({format_dong(lead_stake)} đồng); đang mở / open {position.open}"
    ) in text
    assert f"giamdinh review list --as {DEMO_ASSESSORS[0][0]}" in text
    for username, _ in DEMO_ASSESSORS:
        assert list_cases(user=username, database_url=url) == rows
    facility = rows[0].ma_cskcb
    assert list_cases(user=f"cs.{facility}", database_url=url) == [
        r for r in rows if r.ma_cskcb == facility
    ]


def test_the_demo_replays_the_lent_machine_options(demo_run: tuple[Path, str]) -> None:
    folder, output = demo_run
    text = " ".join(output.split())
    assert "7/7 Phát lại phương án máy đặt, mượn A–D" in text
    runs = sorted((folder / "store" / "policy").glob("replay-*"))
    assert len(runs) == 1
    meta = json.loads((runs[0] / "replay.json").read_text(encoding="utf-8"))
    assert [o["id"] for o in meta["options"]] == ["current", "A", "B", "C", "D"]
    table = output[output.index("Phát lại phương án so với") :].splitlines()
    rows: dict[str, list[str]] = {}
    for line in table:
        cells = line.split()
        if cells and cells[0] in {"current", "A", "B", "C", "D"}:
            rows.setdefault(cells[0], cells)
    for option in meta["options"]:
        paid = format_dong(Decimal(option["totals"]["payable"]), places=0)
        assert rows[option["id"]][1] == paid
    assert (runs[0] / "replay.xlsx").is_file()


def test_a_rerun_clears_the_previous_demo(demo_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["demo", "--dir", str(demo_dir), "--claims", "60", "--seed", "6"]
    )
    assert result.exit_code == 0, result.output
    assert "9,033" in result.output
    runs = sorted((demo_dir / "store" / "assessments").iterdir())
    assert len(runs) == 1
    assert summarise_store(demo_dir / "store").claims <= 60


def test_a_foreign_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")
    result = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path)])
    assert result.exit_code == 2
    assert (tmp_path / "mine.txt").read_text(encoding="utf-8") == "keep me"
