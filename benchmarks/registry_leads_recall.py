"""Recall and precision of the unauthorised-practice leads (SG009–SG013).

For each seed: generate a province month with its neighbours' registries
(``giamdinh.synth`` with ``neighbours``), give each province its own registry
database and key, import its ``registries/<code>/`` files on its own feed, serve
the three feeds over HTTP on loopback and pull the neighbours' feeds into the
province's registry (one pull), ingest the claims into a fresh store, compute every
signal with the registry as ``giamdinh signals --province … --registry-url …``
does, and compare the leads with ``ground_truth.csv``.

Per pattern: *recall* is the share of planted lines that are in a lead of the
pattern's signal; *precision* is the share of that signal's leads that hold a
planted line of the pattern (or, for a registration conflict with no line, name a
planted person). A lead whose lines carry another planted pattern that the signal
also sees (SG009 on the province's own suspended or revoked licences,
``practitioner_unlicensed``) is counted apart. SG013 has no planted pattern: every
lead on the generated province (whose claims bill only techniques of the
facility's M05) is a false alarm.

Run: ``.venv/bin/python benchmarks/registry_leads_recall.py --claims 8000``
(``--seeds 1 2 3`` by default).
"""

from __future__ import annotations

import argparse
import csv
import socket
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn

from giamdinh.db import make_engine, upgrade
from giamdinh.services.exchange import add_peer, feed_app, import_files, keygen, pull
from giamdinh.services.ingest import ingest_paths
from giamdinh.services.signals import compute_leads, province_inputs
from giamdinh.signals import leads_from_table
from giamdinh.synth import SynthConfig, generate

if TYPE_CHECKING:
    from collections.abc import Iterator

PATTERN_SIGNAL = {
    "licence_revoked_elsewhere": "SG009",
    "outside_registration": "SG010",
    "registered_two_provinces": "SG011",
    "technique_outside_title": "SG012",
}
#: Planted patterns a signal also (rightly) finds: counted apart.
ALSO_SEEN = {"SG009": ("practitioner_unlicensed",)}
HOME = "79"
NEIGHBOURS = ("75", "74")
Line = tuple[str, int]


@contextmanager
def serving(apps: dict[str, Any]) -> Iterator[dict[str, str]]:
    """Serve each province's feed app on a free loopback port; yield the URLs."""
    servers = []
    urls: dict[str, str] = {}
    try:
        for code, app in apps.items():
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            server = uvicorn.Server(
                uvicorn.Config(app, log_level="warning", lifespan="off", ws="none")
            )
            thread = threading.Thread(
                target=server.run, kwargs={"sockets": [sock]}, daemon=True
            )
            thread.start()
            servers.append((server, thread))
            urls[code] = f"http://127.0.0.1:{sock.getsockname()[1]}"
        while not all(s.started for s, _ in servers):
            time.sleep(0.02)
        yield urls
    finally:
        for server, _ in servers:
            server.should_exit = True
        for _, thread in servers:
            thread.join(timeout=10)


def build_registries(province_dir: Path, root: Path) -> tuple[str, dict[str, int]]:
    """Import each province's registry files on its feed; pull into the home one.

    Returns:
        The home registry's URL and the entries applied per neighbour by the pull.
    """
    urls: dict[str, str] = {}
    keys: dict[str, tuple[Path, str]] = {}
    for code in (HOME, *NEIGHBOURS):
        folder = root / f"registry-{code}"
        folder.mkdir(parents=True)
        url = f"sqlite:///{folder / 'registry.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        key_file = folder / "province.key"
        keys[code] = (key_file, keygen(key_file))
        files = province_dir / "registries" / code
        import_files(
            [files / "licences.csv", files / "M02.csv"],
            province=code,
            key_file=key_file,
            database_url=url,
        )
        urls[code] = url
    apps = {
        code: feed_app(province=code, key_file=keys[code][0], database_url=urls[code])
        for code in NEIGHBOURS
    }
    with serving(apps) as served:
        for code in NEIGHBOURS:
            add_peer(
                province=code,
                url=served[code],
                key=keys[code][1],
                database_url=urls[HOME],
            )
        outcomes = pull(database_url=urls[HOME])
    return urls[HOME], {o.province: o.applied for o in outcomes}


def read_truth(path: Path) -> tuple[dict[str, set[Line]], dict[str, set[str]]]:
    """Return planted lines per pattern and the planted licence numbers."""
    lines: dict[str, set[Line]] = defaultdict(set)
    people: dict[str, set[str]] = defaultdict(set)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["stt"]:
                lines[row["pattern"]].add((row["ma_lk"], int(row["stt"])))
            people[row["pattern"]].add(row["detail"].split()[0])
    return lines, people


def evaluate(seed: int, claims: int, facilities: int, root: Path) -> dict[str, Any]:
    """Generate, exchange, ingest and signal one province; return the outcomes."""
    config = SynthConfig(
        claims=claims,
        seed=seed,
        facilities=facilities,
        province=HOME,
        neighbours=NEIGHBOURS,
    )
    out = root / f"province-{seed}"
    t0 = time.perf_counter()
    generate(config, out)
    t1 = time.perf_counter()
    registry_url, pulled = build_registries(out, root / f"registries-{seed}")
    t2 = time.perf_counter()
    store_dir = root / f"store-{seed}"
    ingest_paths([out / "claims"], store_dir=store_dir)
    inputs = province_inputs(out)
    t3 = time.perf_counter()
    run = compute_leads(
        store_dir=store_dir,
        refs=inputs.refs,
        devices=inputs.devices,
        facilities=inputs.facilities,
        registry_url=registry_url,
        codes=["SG009", "SG010", "SG011", "SG012", "SG013"],
    )
    t4 = time.perf_counter()
    truth, people = read_truth(out / "ground_truth.csv")
    leads = leads_from_table(run.leads)
    outcomes: dict[str, dict[str, Any]] = {}
    for pattern, code in PATTERN_SIGNAL.items():
        mine = [lead for lead in leads if lead.code == code]
        planted = truth.get(pattern, set())
        covered = {(x.ma_lk, x.stt) for lead in mine for x in lead.lines}
        others = set().union(*(truth.get(p, set()) for p in ALSO_SEEN.get(code, ())))
        true_leads = apart = 0
        for lead in mine:
            held = {(x.ma_lk, x.stt) for x in lead.lines}
            names = set((lead.practitioner or "").split(";"))
            if held & planted or (not held and names & people.get(pattern, set())):
                true_leads += 1
            elif held & others:
                apart += 1
        outcomes[pattern] = {
            "planted": len(planted),
            "found": len(planted & covered),
            "leads": len(mine),
            "true_leads": true_leads,
            "apart": apart,
            "missed": [f"{a}#{b}" for a, b in sorted(planted - covered)][:5],
        }
    return {
        "seed": seed,
        "lines": run.inputs.get("lines", 0),
        "pulled": pulled,
        "registry": {k: v for k, v in run.inputs.items() if k.startswith("registry_")},
        "leads": {k: v for k, v in run.counts().items() if v},
        "sg013_leads": sum(1 for lead in leads if lead.code == "SG013"),
        "outcomes": outcomes,
        "seconds": {
            "generate": round(t1 - t0, 1),
            "registries": round(t2 - t1, 1),
            "ingest": round(t3 - t2, 1),
            "signals": round(t4 - t3, 1),
        },
    }


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=8000)
    parser.add_argument("--facilities", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="registry-leads-") as tmp:
        for seed in args.seeds:
            result = evaluate(seed, args.claims, args.facilities, Path(tmp))
            results.append(result)
            print(
                f"seed {seed}: {result['lines']} lines, pulled {result['pulled']}, "
                f"registry {result['registry']}, leads {result['leads']}, "
                f"seconds {result['seconds']}"
            )
            for pattern, o in result["outcomes"].items():
                print(
                    f"  {pattern:26} planted {o['planted']:4} found {o['found']:4} "
                    f"leads {o['leads']:3} true {o['true_leads']:3} apart "
                    f"{o['apart']:3} missed {o['missed'][:3]}"
                )
    print("\npattern                    signal planted found recall leads precision")
    for pattern, code in PATTERN_SIGNAL.items():
        planted = sum(r["outcomes"][pattern]["planted"] for r in results)
        found = sum(r["outcomes"][pattern]["found"] for r in results)
        leads = sum(r["outcomes"][pattern]["leads"] for r in results)
        true_leads = sum(r["outcomes"][pattern]["true_leads"] for r in results)
        apart = sum(r["outcomes"][pattern]["apart"] for r in results)
        recall = found / planted if planted else float("nan")
        judged = leads - apart
        precision = true_leads / judged if judged else float("nan")
        print(
            f"{pattern:26} {code}  {planted:7} {found:5} {recall:6.3f} {leads:5} "
            f"{precision:9.3f}" + (f" ({apart} counted apart)" if apart else "")
        )
    sg013 = sum(r["sg013_leads"] for r in results)
    print(f"SG013 (no planted pattern): {sg013} leads, every one a false alarm")


if __name__ == "__main__":
    main()
