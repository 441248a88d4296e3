"""``giamdinh policy``: list, show, replay and the lent-machine register."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from tests.site import copy_site
from typer.testing import CliRunner

from giamdinh.cli.main import app

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()


@pytest.fixture(scope="module")
def folder(site: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_site(site, tmp_path_factory.mktemp("policy-cli") / "site").folder


def test_list_shows_the_built_in_options_with_their_texts() -> None:
    result = runner.invoke(app, ["policy", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    options = {o["id"]: o for o in json.loads(result.output)}
    assert {"A", "B", "C", "D", "V", "baseline"} <= set(options)
    assert any("1261/BHXH-CSYT" in b for b in options["A"]["basis"])
    assert options["baseline"]["changes"] == []
    assert "TB006: tắt / off" in options["C"]["changes"]


def test_show_validates_and_names_a_bad_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["policy", "show", "D"])
    assert result.exit_code == 0, result.output
    assert "convert_by" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'id = "X"\ntitle = "t"\ntitle_en = "t"\nsevrity = 1\n', encoding="utf-8"
    )
    result = runner.invoke(app, ["policy", "show", str(bad)])
    assert result.exit_code == 2
    assert "bad.toml" in result.output
    assert "sevrity" in result.output
    result = runner.invoke(app, ["policy", "show", "Z"])
    assert result.exit_code == 2
    assert "A, B, C, D" in result.output


def test_replay_prints_the_options_and_writes_the_run(folder: Path) -> None:
    args = [
        "policy",
        "replay",
        "A",
        "C",
        "--store",
        str(folder / "store"),
        "--reference",
        str(folder / "province" / "reference"),
    ]
    result = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    table = [line for line in lines if line.startswith(("current", "A ", "C "))]
    assert len(table) == 3
    assert all(len(line) <= 80 for line in lines)
    assert "replay.xlsx" in result.output
    result = runner.invoke(app, [*args, "--format", "json"])
    meta = json.loads(result.output)
    assert [o["id"] for o in meta["options"]] == ["current", "A", "C"]


def test_replay_needs_both_ends_of_a_period(folder: Path) -> None:
    result = runner.invoke(
        app,
        [
            "policy",
            "replay",
            "A",
            "--store",
            str(folder / "store"),
            "--from",
            "2026-01-01",
        ],
    )
    assert result.exit_code == 2
    assert "--to" in result.output


def test_machines_lists_the_register_and_the_overdue(folder: Path) -> None:
    reference = str(folder / "province" / "reference")
    result = runner.invoke(
        app,
        [
            "policy",
            "machines",
            "--reference",
            reference,
            "--store",
            str(folder / "store"),
            "--on",
            "2026-03-31",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    machines = json.loads(result.output)
    assert machines
    assert all(m["ma_cskcb"] for m in machines)
    overdue = runner.invoke(
        app,
        [
            "policy",
            "machines",
            "--reference",
            reference,
            "--overdue",
            "--deadline",
            "2025-12-31",
            "--on",
            "2026-03-31",
            "--format",
            "json",
        ],
    )
    assert {m["ma_may"] for m in json.loads(overdue.output)} <= {
        m["ma_may"] for m in machines
    }
    table = runner.invoke(app, ["policy", "machines", "--reference", reference])
    assert table.exit_code == 0, table.output
    assert "Máy đặt, mượn" in table.output
