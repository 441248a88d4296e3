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

from tests.support import envelope, make_claim
from typer.testing import CliRunner

from giamdinh.cli.main import app
from giamdinh.services.ingest import ingest_paths
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
