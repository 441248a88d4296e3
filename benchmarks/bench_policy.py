"""Policy replay benchmark: four options over N service lines vs one assessment.

Run::

    .venv/bin/python benchmarks/bench_policy.py --steps 1000000 10000000

The claims are those of ``bench_engine.py`` (the same template province, tiled to
the number of service lines asked, as Parquet; cached in the temporary folder).
For each size, in a fresh process (so the peak RSS is that run's), with DuckDB
limited to ``--memory-limit``:

(a) **assess**: one assessment of the rule set in force over the Parquet files
    (``bench_engine.py``'s engine measurement);
(b) **replay**: what ``giamdinh policy replay A B C D`` does over a store: the
    claim views from the Parquet files (the columns the rules and the comparison
    read), the reference views with ``ref_machine_milestones`` from the template's
    reference folder, the baseline then options A, B, C and D
    (``giamdinh.policy.replay.replay``): rules changed by each option rerun,
    lines decided again, compared with the baseline, aggregated, the changed
    lines written to Parquet. The comparison run's files (``replay.json``,
    workbook, chart) are timed apart (``write run``).

It prints seconds, lines/s and peak RSS of both, the ratio (b)/(a) (goal: well
under 4, the cost of four assessments), the lines each option changes, and the
seconds of each phase of the replay (``--phases``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench_engine import (
    CACHE,
    PROVINCE,
    child,
    claim_relations,
    reference_tables,
    template,
    tiled,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

OPTIONS = ("A", "B", "C", "D")


class Phases:
    """Seconds per (scenario, phase) of one replay, from the calls it makes.

    Only the outermost call is timed (a rule run's own queries count as rules).
    The scenario moves on after each scenario's third aggregate query.
    """

    def __init__(self, scenarios: list[str]) -> None:
        self.seconds: dict[tuple[str, str], float] = defaultdict(float)
        self.cpu: dict[tuple[str, str], float] = defaultdict(float)
        self._scenarios = scenarios
        self._at = "setup"
        self._depth = 0
        self._queries = 0

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time the block as ``name`` of the current scenario (outermost only)."""
        self._depth += 1
        start, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self.seconds[(self._at, name)] += time.perf_counter() - start
                self.cpu[(self._at, name)] += time.process_time() - cpu

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """Return ``function`` timed as ``name``."""

        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.phase(name):
                return function(*args, **kwargs)

        return timed

    def backend_call(self, method: str, first: str) -> str:
        """Name the phase of a backend call; move on to the next scenario."""
        if self._depth:
            return method
        if method == "materialise" and first == "_policy_cmp":
            if self._at == "setup":
                self._at = self._scenarios[0]
            return "compare"
        if method == "materialise":
            return {
                "_policy_base": "base lines",
                "_policy_line_info": "line info",
                "_policy_priced": "prices",
            }.get(first, "tables")
        if method == "write_parquet":
            return "write changed"
        if method == "query":
            return "aggregates"
        return method

    def after_query(self) -> None:
        """Count an outer aggregate query; the third ends the scenario."""
        if self._depth or self._at == "setup":
            return
        self._queries += 1
        if self._queries % 3 == 0:
            done = self._scenarios.index(self._at)
            if done + 1 < len(self._scenarios):
                self._at = self._scenarios[done + 1]


def _timed_backend(phases: Phases, **kwargs: Any) -> Any:
    from giamdinh.backends.duck import DuckDBBackend

    class TimedBackend(DuckDBBackend):
        def materialise(self, name: str, sql: str) -> None:
            with phases.phase(phases.backend_call("materialise", name)):
                super().materialise(name, sql)

        def write_parquet(self, sql: str, path: Path) -> int:
            with phases.phase(phases.backend_call("write_parquet", "")):
                return super().write_parquet(sql, path)

        def query(self, sql: str) -> Any:
            outer = phases.backend_call("query", "")
            with phases.phase(outer):
                out = super().query(sql)
            phases.after_query()
            return out

    return TimedBackend(**kwargs)


def replay_child(lines: int, threads: int, memory: str) -> dict[str, Any]:
    """Replay the baseline and options A-D in this process; return the figures."""
    import giamdinh.policy.replay as replay_module
    from giamdinh.engine.sql import referenced_columns
    from giamdinh.engine.views import logical_views
    from giamdinh.policy.milestones import VIEW, read_milestones
    from giamdinh.policy.options import load_option
    from giamdinh.rules.registry import load_rule_set
    from giamdinh.services.policy import EXTRA_COLUMNS, _write_run

    rule_set = load_rule_set()
    label = rule_set.version
    folder = template()
    claims, total = tiled(lines)
    views = logical_views(
        claims={}, reference=reference_tables(folder), edits=rule_set.tables
    )
    milestones, problems = read_milestones(PROVINCE / "reference")
    views[VIEW] = milestones
    loaded = [load_option(o) for o in OPTIONS]
    spill = CACHE / f"spill-{os.getpid()}"
    spill.mkdir(parents=True, exist_ok=True)
    out_dir = spill.with_suffix(".replay")
    phases = Phases([replay_module.CURRENT, *OPTIONS])
    for name in ("prepare_views", "run_rules", "decide_all"):
        label_of = {"prepare_views": "views", "run_rules": "rules"}
        setattr(
            replay_module,
            name,
            phases.wrap(label_of.get(name, "decide"), getattr(replay_module, name)),
        )
    backend = _timed_backend(
        phases, threads=threads, memory_limit=memory, work_dir=spill
    )
    backend.con.execute(f"set temp_directory = '{spill}'")
    start, cpu = time.perf_counter(), time.process_time()
    scenarios = [replay_module.baseline_scenario(rule_set, label)]
    scenarios += [replay_module.resolve(o, rule_set, label, views) for o in loaded]
    every = [r for s in scenarios for r in s.rules.rules]
    read = referenced_columns(every)
    relations = claim_relations(claims, None if read is None else read | EXTRA_COLUMNS)
    results = replay_module.replay(
        backend, views, scenarios, out_dir=out_dir, relations=relations
    )
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    backend.close()
    start = time.perf_counter()
    _write_run(
        out_dir,
        results,
        loaded,
        inputs={"rule_set": label, "period": None},
        at=datetime.now(tz=UTC),
        problems=problems,
    )
    write_run = time.perf_counter() - start
    shutil.rmtree(out_dir, ignore_errors=True)
    shutil.rmtree(spill, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "mode": "replay",
        "lines": total,
        "seconds": seconds,
        "lines_per_s": total / seconds,
        "cpu_seconds": cpu,
        "write_run_seconds": write_run,
        "peak_rss": peak,
        "changed": {r.scenario.id: r.changed_lines for r in results},
        "rules_run": {r.scenario.id: list(r.rules_run) for r in results},
        "payable_change": {
            r.scenario.id: str(r.total("payable_change")) for r in results
        },
        "refused_change": {
            r.scenario.id: str(r.total("refused_change")) for r in results
        },
        "lent_lines": _lent_lines(claims, views),
        "milestones": milestones.num_rows,
        "phases": [
            {"scenario": s, "phase": p, "seconds": v, "cpu_seconds": phases.cpu[(s, p)]}
            for (s, p), v in phases.seconds.items()
        ],
    }


def _lent_lines(claims: Path, views: dict[str, Any]) -> int:
    """Count the XML3 lines naming a machine ever lent by a supplier (any day)."""
    import duckdb

    from giamdinh.policy.register import LENT

    con = duckdb.connect()
    try:
        con.register("sources", views["ref_equipment_sources"])
        found = con.execute(
            f"""
            select count(*) from read_parquet('{claims / "XML3.parquet"}') as l
            where exists (
                select 1 from unnest(string_split(l.ma_may, ';')) as x(code)
                join sources as s on s.ma_may = trim(x.code)
                where s.hinh_thuc = '{LENT}'
            )
            """  # noqa: S608
        ).fetchall()
        return int(found[0][0])
    finally:
        con.close()


def _run(mode: str, lines: int, threads: int, memory: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", mode]
    cmd += ["--steps", str(lines), "--threads", str(threads), "--memory-limit", memory]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        msg = f"{mode} {lines}: child failed"
        raise SystemExit(msg)
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def _cell(value: tuple[float, float] | None) -> str:
    return "-" if value is None else f"{value[0]:.1f} ({value[1]:.1f})"


def _print_phases(replay: dict[str, Any]) -> None:
    table: dict[str, dict[str, tuple[float, float]]] = defaultdict(dict)
    names: list[str] = []
    sys.stdout.write("    replay phases, seconds (CPU seconds)\n")
    for row in replay["phases"]:
        table[row["scenario"]][row["phase"]] = (row["seconds"], row["cpu_seconds"])
        if row["phase"] not in names:
            names.append(row["phase"])
    sys.stdout.write(f"    {'':<8}" + "".join(f"{n:>15}" for n in names) + "\n")
    for scenario, values in table.items():
        cells = "".join(f"{_cell(values.get(n)):>15}" for n in names)
        sys.stdout.write(f"    {scenario:<8}{cells}\n")


def main() -> None:
    """Parse arguments; run every step in fresh processes; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="2GB", help="DuckDB's limit.")
    parser.add_argument("--child", choices=["assess", "replay", "tile"])
    parser.add_argument("--phases", action="store_true", help="Print replay phases.")
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()
    if args.child == "tile":
        _, total = tiled(args.steps[0])
        sys.stdout.write(json.dumps({"lines": total}) + "\n")
        return
    if args.child:
        lines, threads, memory = args.steps[0], args.threads, args.memory_limit
        if args.child == "assess":
            cpu = time.process_time()
            figures = child("engine", lines, threads, memory)
            # NOTE: includes loading the rule set and reference (under a second).
            figures["cpu_seconds"] = time.process_time() - cpu
        else:
            figures = replay_child(lines, threads, memory)
        sys.stdout.write(json.dumps(figures) + "\n")
        return
    template()
    for lines in args.steps:
        # NOTE: tiled in a child process, as in bench_engine.py, so the peak RSS
        # of the measurements does not include it.
        _run("tile", lines, args.threads, args.memory_limit)
    rows = []
    for lines in args.steps:
        assess = _run("assess", lines, args.threads, args.memory_limit)
        replay = _run("replay", lines, args.threads, args.memory_limit)
        rows.append({"assess": assess, "replay": replay})
        changed = ", ".join(f"{k} {v:,}" for k, v in replay["changed"].items())
        sys.stdout.write(
            f"{replay['lines']:>11,} lines ({replay['lent_lines']:,} on lent machines)"
            f" | assess {assess['seconds']:7.2f} s "
            f"{assess['lines_per_s']:>10,.0f} lines/s peak "
            f"{assess['peak_rss'] / 2**30:5.2f} GiB | replay of {len(OPTIONS)} options "
            f"{replay['seconds']:7.2f} s {replay['lines_per_s']:>10,.0f} lines/s "
            f"peak {replay['peak_rss'] / 2**30:5.2f} GiB | ratio "
            f"{replay['seconds'] / assess['seconds']:4.2f}x (goal: well under "
            f"{len(OPTIONS)}x; CPU {replay['cpu_seconds']:.1f} s / "
            f"{assess['cpu_seconds']:.1f} s = "
            f"{replay['cpu_seconds'] / assess['cpu_seconds']:4.2f}x) | write run "
            f"{replay['write_run_seconds']:5.2f} s\n"
            f"    lines changed: {changed}\n"
        )
        if args.phases:
            _print_phases(replay)
        sys.stdout.flush()
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
