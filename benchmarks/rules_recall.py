"""Rule recall and precision on a generated province with planted anomalies.

Run::

    python benchmarks/rules_recall.py --claims 3000 --facilities 6 --anomaly-rate 0.2

Generates a province month with the synthetic generator (``giamdinh.synth``), then
runs the full rule set through the check service
(``giamdinh.services.check.check_files``) once per facility, with that
facility's reference folder, as a hospital's pre-check or the insurer's
reception would. The planted anomalies are labelled by claim and line in
``ground_truth.csv``; ``PATTERN_RULES`` names the rules meant to catch each
pattern. Per pattern it prints:

* planted: labelled lines (table, ``MA_LK``, ``STT``);
* caught: labelled lines with a finding of one of the pattern's rules;
* recall: caught / planted;
* precision: lines hit by the pattern's rules that carry that pattern's label,
  over all lines those rules hit (hits on lines not labelled with the pattern
  are false positives, whatever other label they carry);
* precision on clean lines: the same, counting as false positives only hits on
  lines with no label at all (a hit on a line planted for another pattern can be
  a true second finding: an extra abdominal ultrasound planted for unbundling
  also has no diagnosis indicating it);

and the number of lines refused or adjusted by a rule whose evidence is
execution or machine time, which must be zero (MoH position, 2025). Patterns
without rules (caught by the signals, not the rule set) are listed as such.
Goal (issue 6): recall ≥ 0.98 and precision ≥ 0.98 for every mapped pattern.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

from giamdinh.errors import GiamdinhError
from giamdinh.rules.registry import load_rule_set
from giamdinh.services.check import check_files
from giamdinh.synth import PATTERN_NAMES, SynthConfig, generate

#: Pattern → ids of the rules meant to catch it. Each rule helper adds its own.
PATTERN_RULES: dict[str, tuple[str, ...]] = {
    # Thematic rules of CV 266/2025, indication, steps and results, duplicates.
    "unbundling_cv266": ("TH002",),
    "ct_contrast_without_drug": ("TH001",),
    "biopsy_without_histology": ("TH003",),
    "frequency_over_limit": ("TH005",),
    "diagnosis_not_supporting": ("CD005",),
    "result_missing": ("RS002",),
    "order_after_discharge": ("RS004",),
    "duplicate_line": ("TR001",),
    # Card, price, facility, practitioner and equipment rules (items 1-5).
    "price_above_approved": ("CT001",),
    "service_not_in_catalogue": ("CT002",),
    "practitioner_unlicensed": ("NV002",),
    "practitioner_out_of_scope": ("NV003",),
    "machine_undeclared": ("TB003",),
    "machine_outside_period": ("TB004",),
    "machine_lent_after_stop": ("TB006",),
}
#: Patterns that are leads for the signals, not line decisions of the rule set.
SIGNAL_PATTERNS = (
    "impossible_day",
    "practitioner_two_places",
    "volume_outlier",
    "machine_overlap",
    "busy_honest",
)
"""Patterns that signals (issue 7) look for, not rules; busy_honest is clean."""

LineKey = tuple[str, str, int]  # (MA_LK, table, STT)


def read_truth(path: Path) -> dict[LineKey, str]:
    """Return the planted pattern of every labelled line."""
    truth: dict[LineKey, str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["stt"]:
                truth[(row["ma_lk"], row["table"], int(row["stt"]))] = row["pattern"]
    return truth


def run_checks(
    province: Path,
) -> tuple[dict[str, set[LineKey]], list[tuple[str, str, LineKey]], list[str]]:
    """Check each facility's claims against its reference folder.

    Returns:
        (lines hit by each rule, (rule, severity, line) of every line finding,
        errors per facility that could not be checked).
    """
    hits: dict[str, set[LineKey]] = defaultdict(set)
    findings: list[tuple[str, str, LineKey]] = []
    errors: list[str] = []
    for folder in sorted((province / "claims").iterdir()):
        reference = province / "reference" / folder.name
        try:
            output = check_files([folder], reference_dir=reference)
        except GiamdinhError as exc:
            errors.append(f"{folder.name}: {exc}")
            continue
        for claim in output.claims:
            for finding in claim.findings:
                if finding.stt is None or finding.table is None:
                    continue
                key = (claim.ma_lk, finding.table, finding.stt)
                hits[finding.rule_id].add(key)
                findings.append((finding.rule_id, finding.severity.value, key))
    return hits, findings, errors


def main(argv: list[str] | None = None) -> int:
    """Generate, check and print the table; exit 1 when a goal is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=3000)
    parser.add_argument("--facilities", type=int, default=6)
    parser.add_argument("--anomaly-rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--claims-per-file", type=int, default=100)
    parser.add_argument("--province", type=Path, help="reuse a generated province")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="rules-recall-") as tmp:
        province = args.province or Path(tmp) / "province"
        started = time.perf_counter()
        if args.province is None:
            generate(
                SynthConfig(
                    claims=args.claims,
                    seed=args.seed,
                    month=date(2026, 3, 1),
                    facilities=args.facilities,
                    anomaly_rate=args.anomaly_rate,
                    claims_per_file=args.claims_per_file,
                    dicom_files=0,
                ),
                province,
            )
        generated = time.perf_counter()
        truth = read_truth(province / "ground_truth.csv")
        hits, findings, errors = run_checks(province)
        checked = time.perf_counter()

    rules = load_rule_set()
    time_rules = {r.id for r in rules if any(e.is_time for e in r.evidence)}
    time_money = {
        key
        for rule_id, severity, key in findings
        if rule_id in time_rules and severity in {"refuse", "adjust"}
    }
    known = set(rules.ids())

    print(f"claims {args.claims}, facilities {args.facilities}, seed {args.seed}")
    print(f"generate {generated - started:.1f}s, check {checked - generated:.1f}s")
    for error in errors:
        print(f"NOT CHECKED {error}")
    head = f"{'pattern':28} {'rules':18} {'planted':>7} {'caught':>7}"
    print(f"{head} {'recall':>7} {'precision':>9} {'prec.clean':>10}")
    missed = False
    for pattern in PATTERN_NAMES:
        planted = {k for k, p in truth.items() if p == pattern}
        ids = PATTERN_RULES.get(pattern, ())
        if not ids:
            kind = "signals" if pattern in SIGNAL_PATTERNS else "no rule yet"
            print(f"{pattern:28} {kind:18} {len(planted):7d}")
            continue
        absent = [i for i in ids if i not in known]
        hit = set().union(*(hits.get(i, set()) for i in ids))
        caught = planted & hit
        recall = len(caught) / len(planted) if planted else float("nan")
        precision = len(caught) / len(hit) if hit else float("nan")
        on_clean = {k for k in hit if k not in truth}
        clean = (
            len(caught) / (len(caught) + len(on_clean))
            if caught or on_clean
            else float("nan")
        )
        label = ",".join(ids) + (" (missing)" if absent else "")
        print(
            f"{pattern:28} {label:18} {len(planted):7d} {len(caught):7d} "
            f"{recall:7.3f} {precision:9.3f} {clean:10.3f}"
        )
        missed |= not (recall >= 0.98 and precision >= 0.98)
    print(f"lines refused/adjusted by a time-evidence rule: {len(time_money)}")
    return 1 if missed or time_money or errors else 0


if __name__ == "__main__":
    sys.exit(main())
