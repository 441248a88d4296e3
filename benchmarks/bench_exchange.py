"""Benchmark: pulling and applying a neighbour's feed (signature checks included).

Run: ``.venv/bin/python benchmarks/bench_exchange.py [--entries 1000000]``

A publishing province (Đồng Nai, 75) holds N signed, chained entries in its
SQLite registry (80% licences granted, 10% suspensions of earlier licences, 10%
registrations), served by ``giamdinh exchange serve`` in a subprocess. This
process (HCMC, 79) pulls them over HTTP with the cursor, page by page, verifying
every hash, signature and chain link and applying every fact to its own SQLite
registry, as ``giamdinh exchange pull`` does. Printed: entries per second of the
pull, the puller's peak resident memory, and the verification alone (canonical
form, SHA-256 and Ed25519 verify) per entry for comparison.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from giamdinh.db import make_engine, make_session_factory, upgrade
from giamdinh.db.models.registry import RegistryFeedEntry
from giamdinh.exchange.feed import (
    GENESIS,
    Entry,
    entries_after,
    load_private_key,
    parse_public_key,
    sign_entry,
    verify_entry,
)
from giamdinh.exchange.registry import LicenceFact, RegistrationFact, StatusFact
from giamdinh.services.exchange import add_peer, keygen, pull

BATCH = 10_000


def _fact(i: int) -> tuple[str, dict[str, Any]]:
    person = f"075{i:09d}"
    if i % 10 == 8 and i > 10:
        return "licence_status", StatusFact(
            macchn=f"{i - 8:07d}/DNA-GPHN",
            issuing_province="75",
            status="suspended",
            valid_from=date(2025, 6, 1),
            valid_to=date(2025, 8, 31),
            decision_no=f"{i}/QĐ-SYT",
            decision_date=date(2025, 5, 20),
        ).to_json()
    if i % 10 == 9:
        return "registration", RegistrationFact(
            ma_cskcb=f"75{i % 500:03d}",
            ma_khoa="K01",
            so_dinh_danh=f"075{i - 9:09d}",
            ho_ten="NGƯỜI HÀNH NGHỀ",
            macchn=f"{i - 9:07d}/DNA-GPHN",
            full_time=True,
            days="12345",
            hour_from="07:00",
            hour_to="17:00",
            valid_from=date(2025, 1, 1),
            valid_to=None,
        ).to_json()
    return "licence", LicenceFact(
        macchn=f"{i:07d}/DNA-GPHN",
        so_dinh_danh=person,
        ho_ten="NGƯỜI HÀNH NGHỀ",
        issuing_province="75",
        chuc_danh="Bác sỹ y khoa",
        pham_vi="Khám bệnh, chữa bệnh đa khoa",
        ngay_cap=date(2024, 1, 1) + timedelta(days=i % 365),
        ngay_het_han=None,
    ).to_json()


def build_feed(url: str, key_file: Path, entries: int) -> float:
    """Write N signed, chained entries into the publisher's feed; return seconds."""
    key = load_private_key(key_file)
    engine = make_engine(url)
    upgrade(engine)
    start = time.perf_counter()
    prev = GENESIS
    now = datetime(2026, 3, 1, tzinfo=UTC).isoformat()
    rows: list[dict[str, Any]] = []
    import json

    with engine.begin() as connection:
        for i in range(entries):
            kind, fact = _fact(i)
            entry = sign_entry(
                key,
                province="75",
                seq=i + 1,
                prev_hash=prev,
                recorded_at=now,
                kind=kind,
                fact=fact,
            )
            prev = entry.hash
            rows.append(
                {
                    "province": "75",
                    "seq": entry.seq,
                    "prev_hash": entry.prev_hash,
                    "hash": entry.hash,
                    "recorded_at": entry.recorded_at,
                    "kind": entry.kind,
                    "fact": json.dumps(fact, ensure_ascii=False, sort_keys=True),
                    "signature": entry.signature,
                    "outcome": "applied",
                }
            )
            if len(rows) == BATCH:
                connection.execute(insert(RegistryFeedEntry), rows)
                rows = []
        if rows:
            connection.execute(insert(RegistryFeedEntry), rows)
    engine.dispose()
    return time.perf_counter() - start


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/key", timeout=1).raise_for_status()
        except httpx.HTTPError:
            time.sleep(0.1)
        else:
            return
    msg = f"feed server at {url} did not start"
    raise RuntimeError(msg)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="giamdinh-bench-exchange-") as tmp:
        root = Path(tmp)
        pub_url = f"sqlite:///{root / 'dong-nai.db'}"
        own_url = f"sqlite:///{root / 'hcmc.db'}"
        public = keygen(root / "75.key")
        seconds = build_feed(pub_url, root / "75.key", args.entries)
        print(f"feed written: {args.entries:,} entries in {seconds:.1f} s (signing)")

        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "GIAMDINH_REGISTRY_URL": pub_url}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "giamdinh.cli.main",
                "exchange",
                "serve",
                "--port",
                str(port),
                "--province",
                "75",
                "--key-file",
                str(root / "75.key"),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait(base)
            upgrade(own_url)
            add_peer(province="75", url=base, key=public, database_url=own_url)
            before = _peak_rss_mb()
            start = time.perf_counter()
            (outcome,) = pull(database_url=own_url, page=args.page)
            elapsed = time.perf_counter() - start
        finally:
            server.terminate()
            server.wait(timeout=30)
        if outcome.error or outcome.applied + outcome.refused != args.entries:
            msg = f"pull failed: {outcome}"
            raise SystemExit(msg)
        print(
            f"pull + verify + apply: {args.entries:,} entries in {elapsed:.1f} s = "
            f"{args.entries / elapsed:,.0f} entries/s (page {args.page}); "
            f"applied {outcome.applied:,}, refused {outcome.refused:,}"
        )
        print(
            f"puller peak RSS: {_peak_rss_mb():.0f} MB (before the pull "
            f"{before:.0f} MB); registry file "
            f"{(root / 'hcmc.db').stat().st_size / 1e6:.0f} MB"
        )

        key = parse_public_key(public)
        sample = make_session_factory(make_engine(pub_url))
        with sample() as session:
            entries: list[Entry] = entries_after(session, "75", after=0, limit=20_000)
        start = time.perf_counter()
        for entry in entries:
            verify_entry(entry, province="75", key=key)
        verify = (time.perf_counter() - start) / len(entries)
        print(
            f"verify alone (canonical + SHA-256 + Ed25519): {verify * 1e6:.0f} µs "
            f"per entry ({1 / verify:,.0f} entries/s)"
        )
        del entries


if __name__ == "__main__":
    main()
