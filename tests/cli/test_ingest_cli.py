"""The ingest, validate and store commands, and a real ingest killed mid-batch."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from rich.cells import cell_len
from tests.support import envelope, make_claim
from typer.testing import CliRunner

from giamdinh.cli.main import app
from giamdinh.services.ingest import ingest_paths
from giamdinh.standard.writer import write_envelope
from giamdinh.store import ClaimStore

if TYPE_CHECKING:
    from pathlib import Path


def snapshot(root: Path, *, skip: tuple[str, ...] = ()) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.relative_to(root).as_posix().startswith(skip)
    }


def test_ingest_prints_a_summary_and_store_show_the_content(tmp_path: Path) -> None:
    envelope(tmp_path / "a.xml", [make_claim(1), make_claim(2)])
    store = tmp_path / "store"
    result = CliRunner().invoke(
        app, ["ingest", str(tmp_path / "a.xml"), "--store", str(store)]
    )
    assert result.exit_code == 0, result.output
    assert "Hồ sơ mới / new claims" in result.output
    assert "XML3 6" in result.output
    again = CliRunner().invoke(app, ["ingest", str(tmp_path), "--store", str(store)])
    assert again.exit_code == 0
    assert "1 đã có" in again.output
    shown = CliRunner().invoke(app, ["store", "show", "--store", str(store)])
    assert shown.exit_code == 0, shown.output
    assert "99001" in shown.output
    assert "2026-03" in shown.output


def test_store_show_on_a_missing_store_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["store", "show", "--store", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "no claim store" in result.output


def test_validate_exit_codes_and_json(tmp_path: Path) -> None:
    good = envelope(tmp_path / "good.xml", [make_claim(1)])
    bad = envelope(tmp_path / "bad.xml", [make_claim(2, MA_LOAI_RV="9")])
    ok = CliRunner().invoke(app, ["validate", str(good)])
    assert ok.exit_code == 0, ok.output
    refused = CliRunner().invoke(
        app, ["validate", str(good), str(bad), "--format", "json"]
    )
    assert refused.exit_code == 1
    data = json.loads(refused.output)
    assert data["rejected"] is True
    assert data["by_code"] == {"RC130": 1}
    (finding,) = data["files"][1]["findings"]
    assert finding["ma_lk"] == "LK000002"
    assert finding["field"] == "MA_LOAI_RV"
    assert finding["evidence"]["value"] == "9"
    table = CliRunner().invoke(app, ["validate", str(bad)])
    assert table.exit_code == 1
    assert "RC130" in table.output


def test_validate_usage_errors_exit_2(tmp_path: Path) -> None:
    good = envelope(tmp_path / "good.xml", [make_claim(1)])
    assert (
        CliRunner().invoke(app, ["validate", str(good), "--format", "xml"]).exit_code
        == 2
    )
    missing = CliRunner().invoke(app, ["validate", str(tmp_path / "nope.xml")])
    assert missing.exit_code == 2
    assert "not found" in missing.output


def _staged_parquet(store: Path) -> bool:
    staging = store / "_staging"
    return staging.exists() and any(staging.rglob("*.parquet"))


def test_a_killed_ingest_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = tmp_path / "first"
    first.mkdir()
    envelope(first / "a.xml", [make_claim(1), make_claim(2)])
    ingest_paths([first], store_dir=store)
    before = snapshot(store)
    batch = tmp_path / "batch"
    batch.mkdir()
    for n in range(8):
        claims = [make_claim(1000 * (n + 1) + k, lines=4) for k in range(40)]
        envelope(batch / f"f{n:02d}.xml", claims)
    code = "from giamdinh.cli.main import app; app()"
    args = ["ingest", str(batch), "--store", str(store), "--chunk-mb", "1"]
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "120"},
    )
    try:
        deadline = time.monotonic() + 60
        while not _staged_parquet(store):
            assert proc.poll() is None, "ingest ended before it staged anything"
            assert time.monotonic() < deadline, "no staged files after 60 s"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # What readers see (everything but the staging area) is untouched ...
    assert snapshot(store, skip=("_staging",)) == before
    # ... and opening the store removes the leftovers: byte for byte as before.
    reopened = ClaimStore.open(store)
    assert snapshot(store) == before
    assert not (store / "_staging").exists()
    con = reopened.connect()
    try:
        assert con.execute("select count(*) from claims").fetchall() == [(2,)]
    finally:
        con.close()
    summary = ingest_paths([batch], store_dir=store)
    assert summary.stats.claims_new == 320


def _narrow(result_output: str) -> list[str]:
    lines = result_output.splitlines()
    too_long = [line for line in lines if cell_len(line) > 80]
    assert not too_long, too_long
    return lines


LONG_MA_LK = "LK2026030212345678901"


def test_outputs_read_in_80_columns_with_codes_whole(tmp_path: Path) -> None:
    claims = [
        make_claim(1, MA_CSKCB="01929"),
        make_claim(2, MA_CSKCB="01929", MA_LOAI_RV="9"),
    ]
    for table in claims[1].values():
        for record in table:
            record["MA_LK"] = LONG_MA_LK
    path = tmp_path / "a.xml"
    write_envelope(claims, ma_cskcb="01929", ngay_lap="20260303", out=path)
    (tmp_path / "broken.xml").write_bytes(b"<not xml")
    env = {"COLUMNS": "80"}
    checked = CliRunner().invoke(app, ["validate", str(tmp_path)], env=env)
    assert checked.exit_code == 1, checked.output
    lines = _narrow(checked.stdout)
    (row,) = [line for line in lines if line.startswith("RC130")]
    assert LONG_MA_LK in row
    assert "XML1[1].MA_LOAI_RV" in row
    assert row.endswith("…")  # the message is shortened to fit the line
    assert "MA_CSKCB=01929" in checked.stdout
    assert "1 hồ sơ / claims, 1 tệp / files" in " ".join(lines)
    whole = CliRunner().invoke(app, ["validate", str(path), "--wide"], env=env)
    _narrow(whole.stdout)
    assert "không có trong danh mục MA_LOAI_RV" in " ".join(whole.stdout.split())
    store = tmp_path / "store"
    ingested = CliRunner().invoke(
        app, ["ingest", str(tmp_path), "--store", str(store)], env=env
    )
    assert ingested.exit_code == 0, ingested.output
    _narrow(ingested.stdout)
    shown = CliRunner().invoke(app, ["store", "show", "--store", str(store)], env=env)
    assert shown.exit_code == 0, shown.output
    _narrow(shown.stdout)
    assert any(line.startswith("01929 ") for line in shown.stdout.splitlines())
    for output in (ingested.stdout, shown.stdout):
        assert "Hồ sơ bị từ chối / claims rejected  1" in output
        assert "Tệp bị từ chối / files rejected     1" in output


def test_the_ingest_summary_counts_accepted_rows(tmp_path: Path) -> None:
    path = envelope(tmp_path / "a.xml", [make_claim(1), make_claim(2, MA_LOAI_RV="9")])
    result = CliRunner().invoke(
        app, ["ingest", str(path), "--store", str(tmp_path / "store")]
    )
    assert result.exit_code == 0, result.output
    assert "XML1 1, XML3 3" in result.stdout


def test_validate_json_keeps_the_facility_code(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    claims = [make_claim(1, MA_CSKCB="01929", MA_LOAI_RV="9")]
    write_envelope(claims, ma_cskcb="01929", ngay_lap="20260303", out=path)
    result = CliRunner().invoke(app, ["validate", str(path), "--format", "json"])
    data = json.loads(result.stdout)
    assert data["files"][0]["ma_cskcb"] == "01929"
    assert data["files"][0]["findings"][0]["ma_cskcb"] == "01929"
    assert (data["claims_rejected"], data["files_rejected"]) == (1, 0)
