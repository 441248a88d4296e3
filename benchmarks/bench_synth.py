"""Synthetic province benchmark: speed and memory of ``giamdinh synth`` at two sizes.

Run::

    python benchmarks/bench_synth.py --steps 5000,50000

For each size it generates a province month (seed 1, 20 facilities, the default
anomaly rate, one claim per file as hospitals send them) into a temporary folder, in
a fresh process, and prints wall time, CPU time, claims/s, XML3 service lines/s and
the peak resident memory (``ru_maxrss``) of that process. Goals (issue 4): a
province-month of about 50,000 claims in under 2 minutes, and memory flat as the
run grows (peak RSS of the large run within 1.25x of the small one), which is what
lets it scale to 10 million service lines. The output folder is deleted after each
size unless ``--keep`` is given.

One claim per file makes the run as much a file-system benchmark as a generator one:
``--dir /dev/shm`` (tmpfs) measures the generator alone, ``--claims-per-file 100``
the batched layout. The figures of each run are printed with the machine's load
average, since a shared machine slows every one of them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_SECONDS = 120.0
GOAL_CLAIMS = 50_000
MEMORY_RATIO = 1.25


def child(claims: int, out: Path, claims_per_file: int) -> None:
    """Generate one province and print its figures as JSON (run in a fresh process)."""
    from giamdinh.synth import SynthConfig, generate

    wall = time.perf_counter()
    cpu = time.process_time()
    result = generate(
        SynthConfig(claims=claims, seed=1, claims_per_file=claims_per_file), out
    )
    figures = {
        "claims": result.claims,
        "files": result.files,
        "xml3": result.lines["XML3"],
        "labels": sum(result.labels.values()),
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    print(json.dumps(figures))


def main() -> int:
    """Run the sizes and print the table; exit 1 when a goal is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--steps", default="5000,50000", help="claims per run")
    parser.add_argument("--claims-per-file", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the output")
    parser.add_argument(
        "--dir", type=Path, default=None, help="where to write (default: system temp)"
    )
    parser.add_argument("--child", nargs=2, metavar=("CLAIMS", "OUT"))
    args = parser.parse_args()
    if args.child:
        child(int(args.child[0]), Path(args.child[1]), args.claims_per_file)
        return 0
    steps = [int(x) for x in args.steps.split(",")]
    rows: list[dict[str, float]] = []
    root = Path(tempfile.mkdtemp(prefix="bench-synth-", dir=args.dir))
    try:
        for claims in steps:
            out = root / f"p{claims}"
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--claims-per-file",
                    str(args.claims_per_file),
                    "--child",
                    str(claims),
                    str(out),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
            if not args.keep:
                shutil.rmtree(out)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs")
    print(
        f"{'claims':>8} {'files':>7} {'XML3 lines':>10} {'wall s':>7} {'cpu s':>7} "
        f"{'claims/s':>8} {'lines/s':>8} {'peak MiB':>8}"
    )
    for r in rows:
        print(
            f"{r['claims']:>8} {r['files']:>7} {r['xml3']:>10} {r['wall']:>7.1f} "
            f"{r['cpu']:>7.1f} {r['claims'] / r['wall']:>8.0f} "
            f"{r['xml3'] / r['wall']:>8.0f} {r['peak_kib'] / 1024:>8.0f}"
        )
    ok = True
    for r in rows:
        if r["claims"] >= GOAL_CLAIMS:
            scaled = r["wall"] * GOAL_CLAIMS / r["claims"]
            met = scaled < GOAL_SECONDS
            ok &= met
            print(
                f"{GOAL_CLAIMS} claims: {scaled:.1f} s wall "
                f"(goal < {GOAL_SECONDS:.0f} s) {'ok' if met else 'MISSED'}"
            )
    if len(rows) > 1:
        ratio = rows[-1]["peak_kib"] / rows[0]["peak_kib"]
        size = rows[-1]["claims"] / rows[0]["claims"]
        met = ratio <= MEMORY_RATIO
        ok &= met
        print(
            f"peak memory ×{ratio:.2f} for ×{size:.0f} claims "
            f"(goal ≤ ×{MEMORY_RATIO}) {'ok' if met else 'MISSED'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
