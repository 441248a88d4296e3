"""``giamdinh synth`` from the command line: output, options and operator errors."""

from __future__ import annotations

import csv
import json
from typing import TYPE_CHECKING

from typer.testing import CliRunner

from giamdinh.cli.main import app

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()


def test_synth_writes_a_province(tmp_path: Path) -> None:
    out = tmp_path / "p"
    args = ["synth", "--claims", "60", "--seed", "5", "--out", str(out)]
    args += ["--facilities", "5", "--anomaly-rate", "0", "--dicom", "2"]
    args += ["--rate", "duplicate_line=0.1", "--claims-per-file", "10"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "60 hồ sơ / claims" in result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["claims_per_file"] == 10
    assert manifest["labels"]["duplicate_line"] == 6
    assert sum(manifest["labels"].values()) == 6
    with (out / "ground_truth.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["pattern"] for r in rows} == {"duplicate_line"}
    assert len(list(out.glob("dicom/*.dcm"))) == 2
    assert len(list(out.glob("claims/*/*.xml"))) < 60


def test_synth_refuses_a_used_folder(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("x", encoding="utf-8")
    result = runner.invoke(
        app, ["synth", "--claims", "5", "--out", str(tmp_path)], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert "must be new or empty" in result.output


def test_synth_names_an_unknown_pattern(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["synth", "--claims", "5", "--out", str(tmp_path / "p"), "--rate", "nope=0.1"],
    )
    assert result.exit_code == 2
    assert "unknown pattern 'nope'" in result.output
    assert "duplicate_line" in result.output


def test_synth_rejects_rates_above_one(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["synth", "--claims", "5", "--out", str(tmp_path / "p"), "--anomaly-rate", "2"],
    )
    assert result.exit_code == 2
    assert "--anomaly-rate" in result.output
