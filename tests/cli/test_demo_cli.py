"""``giamdinh demo`` end to end on a small province."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from giamdinh.cli.main import app
from giamdinh.domain.money import format_dong
from giamdinh.services.assessment import summarise_store
from giamdinh.services.demo import MARKER

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("demo") / "demo"
    result = CliRunner().invoke(
        app,
        ["demo", "--dir", str(folder), "--claims", "150", "--seed", "5"],
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
