"""Recall and precision of the signals on generated provinces with planted patterns.

For each seed: generate a province month with ``giamdinh.synth`` (impossible days,
one person in two places, overlapping studies on one machine, an inflated facility
and busy-but-honest radiographers planted at the rates below; the other patterns at
their default share), ingest the claims into a fresh store, compute every signal as
``giamdinh signals --province`` does, and compare the leads with ``ground_truth.csv``.

Per pattern: *recall* is the share of planted lines that are in a lead of the
pattern's signal (for the inflated facility: the planted facility and service named by
a lead); *precision* is the share of that signal's leads that involve a planted line
of the pattern. For the inflated facility a lead is one (facility, service): it is
true when it names the planted facility and service; a lead elsewhere whose lines
carry another planted anomaly (a smear billed three times a day) found a real excess
and is counted apart, out of the precision; every other lead is a false alarm,
including a service of the planted facility that only rose with its patients (the
peer signal compares the same patients, so such services should not be flagged).
Busy-but-honest: no practitioner lead may hold a line labelled ``busy_honest`` (80
X-rays by one radiographer in one day), nor one of the unlabelled practitioner-days
with the most lines.

Run: ``.venv/bin/python benchmarks/signals_recall.py --claims 8000 --seeds 1 2 3``
(prints a table and writes ``signals_recall.json`` in ``--out`` when given).
The goal of issue 7: recall ≥ 0.95 at precision ≥ 0.9 for every pattern.
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from giamdinh.services.ingest import ingest_paths
from giamdinh.services.signals import compute_leads, province_inputs
from giamdinh.signals import leads_from_table
from giamdinh.store import ClaimStore
from giamdinh.synth import ProvinceBuilder, SynthConfig, generate

#: The patterns a signal must find, and the signal that finds each.
PATTERN_SIGNAL = {
    "impossible_day": "SG001",
    "practitioner_two_places": "SG006",
    "machine_overlap": "SG004",
    "volume_outlier": "SG008",
}
#: Planted shares of claims (the generator's other patterns keep their defaults).
RATES = {
    "impossible_day": 0.03,
    "practitioner_two_places": 0.01,
    "volume_outlier": 0.01,
    "machine_overlap": 0.005,
    "busy_honest": 0.02,
}
#: Signals that name a practitioner: none may flag a busy-but-honest line.
PRACTITIONER_SIGNALS = ("SG001", "SG002", "SG006", "SG007")
BUSY_DAYS = 20
Line = tuple[str, int]


@dataclass
class Outcome:
    """What one province gave for one pattern."""

    planted: int = 0
    found: int = 0
    leads: int = 0
    true_leads: int = 0
    exact_leads: int = 0
    other_planted: int = 0
    missed: list[str] = field(default_factory=list)


def write_tiers(out: Path, config: SynthConfig) -> Path:
    """Write ``facilities.csv`` (MA_CSKCB, TIER) of the generated province.

    The generator does not write the tier list; the same configuration rebuilds the
    same province, so its tiers are read from ``ProvinceBuilder``.
    """
    province = ProvinceBuilder(
        seed=config.seed,
        month_start=config.month,
        facilities=config.facilities,
        claims=config.claims,
        province_code=config.province,
    ).build()
    path = out / "facilities.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["MA_CSKCB", "TIER"])
        for facility in province.facilities:
            writer.writerow([facility.ma_cskcb, str(facility.tier)])
    return path


def read_truth(path: Path) -> tuple[dict[str, set[Line]], set[tuple[str, str]]]:
    """Return planted lines per pattern and the inflated (facility, service) pairs."""
    lines: dict[str, set[Line]] = defaultdict(set)
    inflated: set[tuple[str, str]] = set()
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["stt"]:
                lines[row["pattern"]].add((row["ma_lk"], int(row["stt"])))
            elif row["pattern"] == "volume_outlier":
                inflated.add((row["ma_cskcb"], row["detail"].split()[0]))
    return lines, inflated


def busy_days(store_dir: Path, labelled: set[Line]) -> list[tuple[str, str, int]]:
    """Return the unlabelled practitioner-days with the most performed lines."""
    store = ClaimStore.open(store_dir, create=False)
    con = store.connect()
    try:
        rows = con.execute(
            """
            select trim(unnest(string_split(nguoi_thuc_hien, ';'))) as person,
                   cast(coalesce(ngay_th_yl, ngay_yl) as date)::varchar as day,
                   ma_lk, stt::bigint as stt
            from xml3 where nguoi_thuc_hien is not null
            """
        ).fetchall()
    finally:
        con.close()
    per_day: dict[tuple[str, str], list[Line]] = defaultdict(list)
    for person, day, ma_lk, stt in rows:
        per_day[(person, day)].append((ma_lk, int(stt)))
    clean = [
        (person, day, len(items))
        for (person, day), items in per_day.items()
        if not any(item in labelled for item in items)
    ]
    clean.sort(key=lambda x: -x[2])
    return clean[:BUSY_DAYS]


def evaluate_province(
    seed: int, claims: int, facilities: int, root: Path
) -> dict[str, Any]:
    """Generate, ingest and signal one province; return per-pattern outcomes."""
    config = SynthConfig(
        claims=claims, seed=seed, facilities=facilities, rates=dict(RATES)
    )
    out = root / f"province-{seed}"
    t0 = time.perf_counter()
    generate(config, out)
    write_tiers(out, config)
    t1 = time.perf_counter()
    store_dir = root / f"store-{seed}"
    ingest_paths([out / "claims"], store_dir=store_dir)
    t2 = time.perf_counter()
    inputs = province_inputs(out)
    run = compute_leads(
        store_dir=store_dir,
        refs=inputs.refs,
        devices=inputs.devices,
        facilities=inputs.facilities,
    )
    t3 = time.perf_counter()
    truth, inflated = read_truth(out / "ground_truth.csv")
    leads = leads_from_table(run.leads)
    outcomes: dict[str, Outcome] = {}
    for pattern, code in PATTERN_SIGNAL.items():
        mine = [lead for lead in leads if lead.code == code]
        outcome = Outcome(leads=len(mine))
        if pattern == "volume_outlier":
            named = {(lead.ma_cskcb, lead.ma_dich_vu) for lead in mine}
            outcome.planted = len(inflated)
            outcome.found = len(inflated & named)
            outcome.missed = [f"{f} {s}" for f, s in sorted(inflated - named)]
            outcome.exact_leads = sum(
                1 for lead in mine if (lead.ma_cskcb, lead.ma_dich_vu) in inflated
            )
            outcome.true_leads = outcome.exact_leads
        else:
            planted = truth.get(pattern, set())
            covered = {(x.ma_lk, x.stt) for lead in mine for x in lead.lines}
            outcome.planted = len(planted)
            outcome.found = len(planted & covered)
            outcome.missed = [f"{a}#{b}" for a, b in sorted(planted - covered)][:5]
            outcome.true_leads = sum(
                1
                for lead in mine
                if any((x.ma_lk, x.stt) in planted for x in lead.lines)
            )
        outcomes[pattern] = outcome
    labelled = set().union(*truth.values())
    anomalous = set().union(
        *(lines for name, lines in truth.items() if name != "busy_honest")
    )
    # A peer lead that is not the planted (facility, service) but whose lines carry
    # another planted anomaly (a smear billed three times a day, an impossible day's
    # echocardiographies) found a real excess: it is counted apart, neither as a
    # hit of the inflated facility nor as a false alarm.
    outcomes["volume_outlier"].other_planted = sum(
        1
        for lead in leads
        if lead.code == "SG008"
        and (lead.ma_cskcb, lead.ma_dich_vu) not in inflated
        and any((x.ma_lk, x.stt) in anomalous for x in lead.lines)
    )
    honest = truth.get("busy_honest", set())
    honest_flagged = sorted(
        {
            (lead.code, lead.practitioner or "", str(lead.period.start))
            for lead in leads
            if lead.code in PRACTITIONER_SIGNALS
            and any((x.ma_lk, x.stt) in honest for x in lead.lines)
        }
    )
    busy = busy_days(store_dir, labelled)
    flagged_people = {
        (lead.practitioner, day.isoformat())
        for lead in leads
        if lead.practitioner is not None
        for day in _days(lead.period.start, lead.period.end or lead.period.start)
    }
    busy_flagged = [b for b in busy if (_person(b[0]), b[1]) in flagged_people]
    return {
        "seed": seed,
        "claims": claims,
        "lines": run.inputs.get("lines", 0),
        "leads": run.counts(),
        "outcomes": {k: vars(v) for k, v in outcomes.items()},
        "busy_days": busy,
        "busy_flagged": busy_flagged,
        "busy_honest_lines": len(honest),
        "busy_honest_flagged": honest_flagged,
        "seconds": {
            "generate": round(t1 - t0, 1),
            "ingest": round(t2 - t1, 1),
            "signals": round(t3 - t2, 1),
        },
    }


def _person(code: str) -> str:
    return code.split("(", maxsplit=1)[0].strip()


def _days(start: date, end: date) -> list[date]:
    out = []
    day = start
    while day <= end:
        out.append(day)
        day += timedelta(days=1)
    return out


def summarise(results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Return pooled recall and precision per pattern over the provinces."""
    table: dict[str, dict[str, float]] = {}
    for pattern in PATTERN_SIGNAL:
        planted = sum(r["outcomes"][pattern]["planted"] for r in results)
        found = sum(r["outcomes"][pattern]["found"] for r in results)
        leads = sum(r["outcomes"][pattern]["leads"] for r in results)
        true_leads = sum(r["outcomes"][pattern]["true_leads"] for r in results)
        exact = sum(r["outcomes"][pattern]["exact_leads"] for r in results)
        other = sum(r["outcomes"][pattern]["other_planted"] for r in results)
        table[pattern] = {
            "planted": planted,
            "found": found,
            "recall": found / planted if planted else float("nan"),
            "leads": leads,
            "precision": (
                true_leads / (leads - other) if leads - other else float("nan")
            ),
            "exact_precision": exact / leads if leads else float("nan"),
            "other_planted": other,
        }
    return table


def main() -> None:
    """Run the recall benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=8000)
    parser.add_argument("--facilities", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="signals-recall-") as tmp:
        root = args.out or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        results = []
        for seed in args.seeds:
            result = evaluate_province(seed, args.claims, args.facilities, root)
            results.append(result)
            print(
                f"seed {seed}: {result['lines']} lines, leads {result['leads']}, "
                f"seconds {result['seconds']}"
            )
            for pattern, o in result["outcomes"].items():
                print(
                    f"  {pattern:24} planted {o['planted']:4} found {o['found']:4} "
                    f"leads {o['leads']:3} true {o['true_leads']:3} "
                    f"missed {o['missed'][:3]}"
                )
            print(
                f"  busy_honest (labelled): {result['busy_honest_lines']} lines, "
                f"flagged by {result['busy_honest_flagged'] or 'no lead'}"
            )
            counts = [b[2] for b in result["busy_days"]] or [0]
            print(
                f"  busy-but-honest: top {len(result['busy_days'])} clean "
                f"practitioner-days ({max(counts)}–{min(counts)} lines), "
                f"flagged {len(result['busy_flagged'])}"
            )
        summary = summarise(results)
        print("\npattern                  planted found recall  leads precision")
        for pattern, s in summary.items():
            print(
                f"{pattern:24} {s['planted']:7.0f} {s['found']:5.0f} "
                f"{s['recall']:6.3f} {s['leads']:6.0f} {s['precision']:9.3f}"
            )
        exact = summary["volume_outlier"]["exact_precision"]
        other = summary["volume_outlier"]["other_planted"]
        print(
            f"volume_outlier: share of all SG008 leads naming the planted facility "
            f"and service: {exact:.3f}; leads explained by another planted pattern "
            f"(counted apart): {other:.0f}"
        )
        flagged = sum(len(r["busy_flagged"]) for r in results)
        busy = sum(len(r["busy_days"]) for r in results)
        print(f"busy-but-honest practitioner-days flagged: {flagged} of {busy}")
        honest = sum(r["busy_honest_lines"] for r in results)
        honest_flagged = sum(len(r["busy_honest_flagged"]) for r in results)
        print(
            f"busy_honest labelled lines: {honest}; practitioner leads on them: "
            f"{honest_flagged}"
        )
        if args.out:
            (args.out / "signals_recall.json").write_text(
                json.dumps(
                    {"results": results, "summary": summary}, indent=2, default=str
                ),
                encoding="utf-8",
            )


if __name__ == "__main__":
    main()
