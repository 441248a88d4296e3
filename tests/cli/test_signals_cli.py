"""``giamdinh signals``: computes, stores and shows the leads; JSON and table output."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pyarrow as pa
from rich.cells import cell_len
from typer.testing import CliRunner

from giamdinh.cli.main import app
from giamdinh.store import ClaimStore, SourceFile

if TYPE_CHECKING:
    from pathlib import Path

T0 = datetime(2026, 3, 2, 8, 0)  # noqa: DTZ001 - claim times are naive local clock


def _store(root: Path) -> Path:
    """Practitioner 000007 at two facilities at 08:00 and 08:05 (ultrasound)."""
    keys = ["A", "B"]
    facilities = ["99001", "99002"]
    starts = [T0, T0 + timedelta(minutes=5)]
    prov = {
        "_file": pa.array(["a.xml", "a.xml"]),
        "_hoso": pa.array([0, 1], pa.int32()),
        "_envelope_cskcb": pa.array(facilities),
    }
    xml1 = pa.table(
        {
            "MA_LK": keys,
            "STT": pa.array([1, 2], pa.int64()),
            "MA_CSKCB": facilities,
            "NGAY_VAO": pa.array(starts, pa.timestamp("s")),
            **prov,
        }
    )
    xml3 = pa.table(
        {
            "MA_LK": keys,
            "STT": pa.array([1, 1], pa.int64()),
            "MA_DICH_VU": ["18.0001.0001", "18.0001.0001"],
            "NGUOI_THUC_HIEN": ["000007/BYT-CCHN"] * 2,
            "NGAY_TH_YL": pa.array(starts, pa.timestamp("s")),
            "NGAY_KQ": pa.array(
                [s + timedelta(minutes=40) for s in starts], pa.timestamp("s")
            ),
            "T_BHTT": pa.array([200000, 300000], pa.decimal128(18, 3)),
            **prov,
        }
    )
    store = ClaimStore.open(root)
    with store.begin() as batch:
        batch.add(
            {"XML1": xml1, "XML3": xml3},
            sources={"a.xml": SourceFile(path="a.xml", sha256="a")},
        )
    return root


def test_json_output_and_saved_leads(tmp_path: Path) -> None:
    store = _store(tmp_path / "store")
    runner = CliRunner()
    result = runner.invoke(app, ["signals", "--store", str(store), "--format", "json"])
    assert result.exit_code == 0, result.output
    start = result.stdout.index("[")
    (lead,) = json.loads(result.stdout[start:])
    assert lead["code"] == "SG006"
    assert lead["ma_cskcb"] == "99001;99002"
    assert lead["severity"] == "review"
    assert lead["amount"] == "200000.00"
    saved = runner.invoke(app, ["signals", "--store", str(store), "--saved"])
    assert saved.exit_code == 0, saved.output
    assert "SG006" in saved.stdout
    assert "200.000" in saved.stdout  # đồng the Vietnamese way


def test_operator_errors_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["signals", "--store", str(tmp_path / "none")])
    assert missing.exit_code == 2
    store = _store(tmp_path / "store")
    bad = runner.invoke(app, ["signals", "--store", str(store), "--code", "SG999"])
    assert bad.exit_code == 2
    assert "SG999" in bad.output
    fmt = runner.invoke(app, ["signals", "--store", str(store), "--format", "xml"])
    assert fmt.exit_code == 2


def test_missing_inputs_are_said_and_province_folder_is_read(tmp_path: Path) -> None:
    store = _store(tmp_path / "store")
    runner = CliRunner()
    bare = runner.invoke(app, ["signals", "--store", str(store)])
    assert bare.exit_code == 0, bare.output
    assert "--refs" in bare.stderr
    assert "--devices" in bare.stderr
    assert "--facilities" in bare.stderr
    province = tmp_path / "province"
    (province / "device_logs").mkdir(parents=True)
    (province / "device_logs" / "x.csv").write_text(
        "MA_MAY,MA_LK,STT,START,END\n", encoding="utf-8"
    )
    (province / "facilities.csv").write_text(
        "MA_CSKCB,TIER\n99001,district\n99002,district\n", encoding="utf-8"
    )
    given = runner.invoke(
        app, ["signals", "--store", str(store), "--province", str(province)]
    )
    assert given.exit_code == 0, given.output
    assert "--refs" in given.stderr
    assert "--devices" not in given.stderr
    assert "--facilities" not in given.stderr
    wrong = runner.invoke(
        app, ["signals", "--store", str(store), "--province", str(tmp_path / "no")]
    )
    assert wrong.exit_code == 2
    assert "--province" in wrong.output


def test_table_reads_in_80_columns_with_codes_whole(tmp_path: Path) -> None:
    store = _store(tmp_path / "store")
    runner = CliRunner()
    assert runner.invoke(app, ["signals", "--store", str(store)]).exit_code == 0
    for wide in ([], ["--wide"]):
        result = runner.invoke(
            app, ["signals", "--store", str(store), "--saved", *wide],
            env={"COLUMNS": "80"},
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert not [line for line in lines if cell_len(line) > 80]
        (row,) = [line for line in lines if line.startswith("SG006")]
        for code in ("000007/BYT-CCHN", "99001;99002", "2026-03-02", "200.000"):
            assert code in row
        if wide:
            text = " ".join(result.stdout.split())
            assert "99002 2026-03-02 08:05–08:12" in text
        else:
            assert row.endswith("…")
