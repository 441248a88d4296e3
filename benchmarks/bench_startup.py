"""Startup benchmark: how long the ``giamdinh`` command takes before it does any work.

Run::

    python benchmarks/bench_startup.py --runs 7

It writes one small envelope file (one claim that passes the portal's reception
checks, with the standard's writer) into a temporary folder, then times, each in a
fresh process and ``--runs`` times, the wall time of:

- ``python -c pass`` (the interpreter alone: the floor);
- ``giamdinh --help``;
- ``giamdinh CMD --help`` for a few commands;
- ``giamdinh validate FILE`` on the small file.

``giamdinh`` is run as the console script runs it (``from giamdinh.cli.main import
app; app()``) with the same interpreter, so the figures do not depend on what is on
``PATH``. It prints the median and the fastest run of each, the ratio of the
median to that of ``python -c pass``, and the median CPU seconds of the process
(user + system): on a busy machine wall time includes waiting for a CPU, CPU time
does not. Goal: every one of them well under a second (the CLI imports
scikit-learn, SciPy, SQLAlchemy, DuckDB and the like only inside the commands that
use them). The load average is printed too.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_SECONDS = 1.0
_CLI = "import sys; from giamdinh.cli.main import app; sys.exit(app())"
_HELP_COMMANDS = ("validate", "ingest", "norms", "signals", "rules", "check")


def write_sample(folder: Path) -> Path:
    """Write one envelope with one clean claim into ``folder``; return its path."""
    from bench_ingest import make_claim

    from giamdinh.standard.writer import write_envelope

    path = folder / "one.xml"
    claim = make_claim(1, lines=3, facility="79001", month=3)
    write_envelope([claim], ma_cskcb="79001", ngay_lap="20260401", out=path)
    return path


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(argv: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``runs`` fresh processes running ``argv``."""
    seconds: list[float] = []
    cpu: list[float] = []
    env = {**os.environ, "COLUMNS": "80"}
    for _ in range(runs):
        cpu_before = _children_cpu()
        started = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, env=env, check=False)
        seconds.append(time.perf_counter() - started)
        cpu.append(_children_cpu() - cpu_before)
        if done.returncode not in (0, 1):
            msg = f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()}"
            raise RuntimeError(msg)
    return seconds, cpu


def _load() -> str:
    if not hasattr(os, "getloadavg"):
        return "n/a"
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each command")
    args = parser.parse_args()
    runs = max(args.runs, 1)
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="giamdinh-bench-startup-") as tmp:
        sample = write_sample(Path(tmp))
        cases: list[tuple[str, list[str]]] = [
            ("python -c pass", [python, "-c", "pass"]),
            ("giamdinh --help", [python, "-c", _CLI, "--help"]),
            *(
                (f"giamdinh {name} --help", [python, "-c", _CLI, name, "--help"])
                for name in _HELP_COMMANDS
            ),
            (
                "giamdinh validate one.xml",
                [python, "-c", _CLI, "validate", str(sample)],
            ),
        ]
        print(f"{runs} runs each, wall time of a fresh process; {python}")
        print(f"load average before: {_load()}")
        print(
            f"{'command':<28} {'median s':>9} {'fastest s':>10} {'× python':>9} "
            f"{'CPU s':>6}"
        )
        floor = 0.0
        slow: list[str] = []
        for label, argv in cases:
            seconds, cpu = _time(argv, runs)
            median = statistics.median(seconds)
            floor = floor or median
            print(
                f"{label:<28} {median:>9.3f} {min(seconds):>10.3f} "
                f"{median / floor:>9.1f} {statistics.median(cpu):>6.2f}",
                flush=True,
            )
            if median >= GOAL_SECONDS:
                slow.append(label)
        print(f"load average after: {_load()}")
        goal = "met" if not slow else f"missed by: {', '.join(slow)}"
        print(f"goal (median under {GOAL_SECONDS:.0f} s): {goal}")


if __name__ == "__main__":
    main()
