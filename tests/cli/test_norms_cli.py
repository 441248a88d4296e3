"""``giamdinh db`` and ``giamdinh norms`` through the command line (SQLite demo)."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import TYPE_CHECKING

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook
from rich.cells import cell_len
from typer.testing import CliRunner

from giamdinh.cli.main import app

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'demo.db'}"
    result = runner.invoke(app, ["norms", "demo", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "9,033 kỹ thuật" in result.output
    return url


def test_db_upgrade_and_status(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    status = runner.invoke(app, ["db", "status", "--database-url", url])
    assert status.exit_code == 1
    assert "needs `giamdinh db upgrade`" in status.output
    result = runner.invoke(app, ["db", "upgrade", "--database-url", url])
    assert result.exit_code == 0, result.output
    from giamdinh.db.migrate import head_revision

    assert f"revision: {head_revision()}" in result.output
    assert runner.invoke(app, ["db", "status", "--database-url", url]).exit_code == 0


def test_bad_database_url_is_an_operator_error() -> None:
    result = runner.invoke(app, ["db", "upgrade", "--database-url", "mysql://x/y"])
    assert result.exit_code == 2


def test_progress_json_shows_seed_figures(demo_url: str) -> None:
    result = runner.invoke(
        app, ["norms", "progress", "--as-of", "2025-11-11", "--format", "json",
              "--database-url", demo_url],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["headline"] == "assigned 9,033 / qualified 5,386 / drafts sent 2,790"
    assert len(data["by_hospital"]) == 17
    assert sum(row["drafts_sent"] for row in data["by_hospital"]) == 2790


def test_progress_table(demo_url: str) -> None:
    result = runner.invoke(
        app, ["norms", "progress", "--as-of", "2025-11-11", "--overdue", "2",
              "--database-url", demo_url],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "assigned 9,033 / qualified 5,386 / drafts sent 2,790" in result.output


def test_compare_consolidate_cost(demo_url: str) -> None:
    compare = runner.invoke(
        app, ["norms", "compare", "12.0344", "--database-url", demo_url]
    )
    assert compare.exit_code == 0, compare.output
    consolidated = runner.invoke(
        app, ["norms", "consolidate", "12.0344", "--method", "p25", "--format", "json",
              "--override", "labour:BS=5:hội đồng chuyên môn đề nghị", "--actor", "hd",
              "--record", "--database-url", demo_url],
    )  # fmt: skip
    assert consolidated.exit_code == 0, consolidated.output
    data = json.loads(consolidated.output)
    assert data["version"] == 2  # the demo recorded version 1
    bs = next(
        line for line in data["consolidation"]["lines"]
        if line["stats"]["resource_code"] == "BS"
    )  # fmt: skip
    assert bs["value"] == "5"
    assert bs["override"]["reason"] == "hội đồng chuyên môn đề nghị"
    cost = runner.invoke(
        app, ["norms", "cost", "12.0344", "--curve", "6250", "--curve", "30000",
              "--method", "annuity", "--database-url", demo_url],
    )  # fmt: skip
    assert cost.exit_code == 0, cost.output
    assert "Chi phí khấu hao TSCĐ" in cost.output
    bad = runner.invoke(
        app, ["norms", "consolidate", "12.0344", "--override", "labour:BS=5",
              "--database-url", demo_url],
    )  # fmt: skip
    assert bad.exit_code == 2


def test_exports_and_import_round_trip(demo_url: str, tmp_path: Path) -> None:
    template = tmp_path / "t.xlsx"
    result = runner.invoke(
        app, ["norms", "export", "draft", "-o", str(template), "--technique", "18.0165",
              "--hospital", "CHORAY", "--database-url", demo_url],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert load_workbook(template)["ThongTin"]["B2"].value == "18.0165"
    # the assignment is submitted: a new version is refused until it is reviewed
    refused = runner.invoke(
        app,
        ["norms", "import", str(template), "--actor", "cr", "--database-url", demo_url],
    )
    assert refused.exit_code == 1
    assert "NM140" in refused.output
    moved = runner.invoke(
        app, ["norms", "transition", "18.0165", "CHORAY", "reviewed", "--actor", "cuc",
              "--database-url", demo_url],
    )  # fmt: skip
    assert moved.exit_code == 0, moved.output
    imported = runner.invoke(
        app, ["norms", "import", str(template), "--actor", "cr", "--submit",
              "--database-url", demo_url, "--format", "json"],
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.output)[0]["state"] == "submitted"
    for kind, extra in (("progress", []), ("consolidated", ["--technique", "18.0165"]),
                        ("template", [])):  # fmt: skip
        out = tmp_path / f"{kind}.xlsx"
        done = runner.invoke(
            app,
            [
                "norms",
                "export",
                kind,
                "-o",
                str(out),
                *extra,
                "--database-url",
                demo_url,
            ],
        )
        assert done.exit_code == 0, done.output
        assert out.exists()


def test_refused_transition_exits_2(demo_url: str) -> None:
    result = runner.invoke(
        app, ["norms", "transition", "12.0344", "BACHMAI", "approved", "--actor", "x",
              "--database-url", demo_url],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "cannot go from" in result.output


def test_publish_parquet(demo_url: str, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["norms", "publish", "-o", str(tmp_path), "--database-url", demo_url,
              "--effective-from", "2026-01-01"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    staff = pq.read_table(tmp_path / "norm_staff_minutes.parquet")
    assert staff.column_names[:3] == ["technique_code", "title", "minutes"]
    assert staff.num_rows > 0
    supplies = pq.read_table(tmp_path / "norm_supply_quantities.parquet")
    assert set(supplies.column("valid_from").to_pylist()) == {date(2026, 1, 1)}
    # The published folder is a reference table the CLI (and the engine) reads.
    shown = runner.invoke(
        app, ["reference", "show", "norm_supply", "18.0165.0043", "--norms",
              str(tmp_path), "--as-of", "2026-01-01", "--json"],
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    rows = json.loads(shown.output)["rows"]
    assert {r["resource_code"] for r in rows} >= {"VT.PHIM"}
    before = runner.invoke(
        app, ["reference", "show", "norm_supply", "18.0165", "--norms",
              str(tmp_path), "--as-of", "2025-12-31", "--json"],
    )  # fmt: skip
    assert before.exit_code == 1
    assert json.loads(before.output)["rows"] == []


def test_publish_bad_day_exit_2(demo_url: str, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["norms", "publish", "-o", str(tmp_path), "--database-url", demo_url,
              "--effective-from", "01/07/2026"],
    )  # fmt: skip
    assert result.exit_code == 2


def test_assign_and_prices_start_a_programme(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'real.db'}"
    listing = tmp_path / "phan_cong.csv"
    listing.write_text(
        "MA_KY_THUAT;TEN_KY_THUAT;MA_BENH_VIEN;TEN_BENH_VIEN;DAU_MOI;HAN_NOP\n"
        "12.0344;Xạ trị bằng máy gia tốc;K;Bệnh viện K;1;20251031\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["norms", "assign", str(listing), "--actor", "cuc", "--database-url", url]
    )
    assert result.exit_code == 0, result.output
    assert "1 mới / new" in result.output
    progress = runner.invoke(
        app, ["norms", "progress", "--format", "json", "--database-url", url]
    )
    assert json.loads(progress.output)["headline"] == (
        "assigned 1 / qualified 0 / drafts sent 0"
    )
    prices = tmp_path / "gia.csv"
    prices.write_text("LOAI,MA,DON_GIA\nlabour,KTV,1300\nwage,BS,1950\n")
    refused = runner.invoke(
        app, ["norms", "prices", str(prices), "--code", "QG", "--name", "x",
              "--valid-from", "2026-01-01", "--database-url", url],
    )  # fmt: skip
    assert refused.exit_code == 1
    assert "gia.csv › BangGia › STT=3 › LOAI" in refused.output
    prices.write_text("LOAI,MA,DON_GIA\nlabour,KTV,1300\nlabour,BS,1950\n")
    loaded = runner.invoke(
        app, ["norms", "prices", str(prices), "--code", "QG", "--name", "x",
              "--valid-from", "2026-01-01", "--database-url", url],
    )  # fmt: skip
    assert loaded.exit_code == 0, loaded.output
    assert "2 mới / new" in loaded.output


def _narrow(output: str) -> list[str]:
    lines = output.splitlines()
    assert not [line for line in lines if cell_len(line) > 80], output
    return lines


def test_progress_reads_in_80_columns_one_line_per_hospital(demo_url: str) -> None:
    result = runner.invoke(
        app, ["norms", "progress", "--as-of", "2025-11-11", "--overdue", "2",
              "--database-url", demo_url],
        env={"COLUMNS": "80"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = _narrow(result.stdout)
    data = json.loads(
        runner.invoke(
            app, ["norms", "progress", "--as-of", "2025-11-11", "--format", "json",
                  "--database-url", demo_url],
        ).stdout
    )  # fmt: skip
    for row in data["by_hospital"]:
        (line,) = [x for x in lines if x.startswith(f"{row['key']} ")]
        assert line.split()[-6].replace(",", "") == str(row["assigned"])
    long = max(data["by_hospital"], key=lambda r: len(r["name"]))
    assert long["name"] not in result.stdout  # shortened: one line, not five
    wide = runner.invoke(
        app, ["norms", "progress", "--as-of", "2025-11-11", "--wide",
              "--database-url", demo_url],
        env={"COLUMNS": "80"},
    )  # fmt: skip
    _narrow(wide.stdout)
    assert "…" not in wide.stdout
    assert set(long["name"].split()) <= set(wide.stdout.split())


def test_compare_consolidate_cost_read_in_80_columns(demo_url: str) -> None:
    env = {"COLUMNS": "80"}
    compare = runner.invoke(
        app, ["norms", "compare", "12.0344", "--database-url", demo_url], env=env
    )
    assert compare.exit_code == 0, compare.output
    lines = _narrow(compare.stdout)
    assert any(line.split()[:2] == ["labour", "KTV"] for line in lines)
    wide = runner.invoke(
        app, ["norms", "compare", "12.0344", "--wide", "--database-url", demo_url],
        env=env,
    )  # fmt: skip
    assert "BACHMAI" in wide.stdout  # each hospital's value
    consolidated = runner.invoke(
        app, ["norms", "consolidate", "12.0344", "--database-url", demo_url], env=env
    )
    assert consolidated.exit_code == 0, consolidated.output
    _narrow(consolidated.stdout)
    cost = runner.invoke(
        app, ["norms", "cost", "12.0344", "--curve", "6250", "--database-url",
              demo_url],
        env=env,
    )  # fmt: skip
    assert cost.exit_code == 0, cost.output
    lines = _narrow(cost.stdout)
    total = next(line for line in lines if line.startswith("Tổng / unit cost"))
    # đồng with two decimals, the Vietnamese way (the one money formatter)
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*,\d{2}", total.split()[-1])
