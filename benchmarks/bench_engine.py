"""Engine benchmark: the full rule set over 1 M and 10 M service lines vs a bare join.

Run::

    .venv/bin/python benchmarks/bench_engine.py --steps 1000000 10000000

A template province is generated once with the synthetic generator (seeded;
cached in a temporary folder) and read with the real reader; its claims are then
tiled by DuckDB, straight to Parquet as the claim store keeps them, to the number of
service lines asked (XML2 + XML3 lines), each copy with its own ``MA_LK`` and
patient identifiers, so every claim is a new one and the rules see the same mix of
content at every size.

For each size, in a fresh process (so the peak RSS is that run's), with DuckDB
limited to ``--memory-limit`` (it spills to a temporary folder beyond it):

(a) **bare**: load XML1, XML2 and XML3 from the Parquet files and run one
    scan-and-join: every XML2 and XML3 line joined to its claim (XML1) and to the
    facility price list (``ref_services``), aggregated;
(b) **engine**: what ``giamdinh assess`` does over a store: the claim views read
    from the Parquet files (only the columns some rule reads,
    ``giamdinh.engine.sql.referenced_columns``) into a working DuckDB file, the
    derived views, the rule set in passes, line and claim decisions, and the line
    decisions written to Parquet.

It prints lines/s of both, the ratio (b)/(a), findings, and the peak RSS of each
process. Goals (2-core machine): engine ≥ 1 M lines/s, 10 M costs ≤ 11x 1 M,
peak RSS < 4 GB at 10 M.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

CACHE = Path(tempfile.gettempdir()) / "giamdinh-bench-engine"
PROVINCE = CACHE / "province"
"""The generated template province (its ``reference`` folder holds the CSV files)."""
TEMPLATE_CLAIMS = 600
IDENTITY = ("ma_lk", "ma_bn", "ma_the_bhyt", "so_cccd", "ho_ten")


def template() -> Path:
    """Generate (once) the template province and save its tables as Parquet."""
    done = CACHE / "template" / "DONE"
    if done.is_file():
        return done.parent
    from giamdinh.services.check import collect_inputs
    from giamdinh.services.province import load_reference
    from giamdinh.services.synth import run_synth
    from giamdinh.standard.reader import read_batch

    out = PROVINCE
    if out.exists():
        shutil.rmtree(out)
    run_synth(claims=TEMPLATE_CLAIMS, seed=1, out=out, facilities=5, dicom_files=0)
    batch = read_batch([str(p) for p in collect_inputs([out / "claims"])])
    folder = CACHE / "template"
    (folder / "claims").mkdir(parents=True, exist_ok=True)
    (folder / "reference").mkdir(parents=True, exist_ok=True)
    for name, table in batch.tables.items():
        pq.write_table(table, folder / "claims" / f"{name}.parquet")
    for name, table in load_reference(out / "reference").tables().items():
        pq.write_table(table, folder / "reference" / f"{name}.parquet")
    done.write_text("ok\n", encoding="utf-8")
    return folder


def tiled(lines: int) -> tuple[Path, int]:
    """Write (once) the claim tables tiled to about ``lines`` service lines.

    The copies are made by DuckDB straight from the template's Parquet files into
    Parquet, as the claim store keeps them, so no process of the benchmark holds
    the tiled tables in memory.
    """
    folder = template()
    out = CACHE / f"tiled-{lines}"
    done = out / "DONE"
    if done.is_file():
        return out, int(done.read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("set memory_limit = '2GB'")
    con.execute("set preserve_insertion_order = false")
    paths = sorted((folder / "claims").glob("*.parquet"))
    base_lines = sum(
        pq.read_metadata(p).num_rows for p in paths if p.stem in ("XML2", "XML3")
    )
    copies = max(1, math.ceil(lines / base_lines))
    for path in paths:
        names = pq.read_schema(path).names
        renamed = ", ".join(
            f'"{c}" || \'-\' || cast(i as varchar) as "{c}"'
            for c in names
            if c.lower() in IDENTITY
        )
        select = (
            f"select * replace ({renamed}) from t, range({copies}) as r(i)"  # noqa: S608
            if renamed
            else f"select t.* from t, range({copies}) as r(i)"  # noqa: S608
        )
        target = out / path.name
        con.execute(
            f"create or replace view t as select * from read_parquet('{path}')"  # noqa: S608
        )
        con.execute(f"copy ({select}) to '{target}' (format parquet)").fetchall()
    con.close()
    total = base_lines * copies
    done.write_text(str(total), encoding="utf-8")
    return out, total


def reference_tables(folder: Path) -> dict[str, pa.Table]:
    """Return the template's reference tables (``ref_*``) from its Parquet files."""
    return {
        p.stem: pq.read_table(p)
        for p in sorted((folder / "reference").glob("*.parquet"))
    }


def claim_relations(claims: Path, keep: frozenset[str] | None) -> dict[str, str]:
    """Return the claim views as SQL over the tiled Parquet files (columns ``keep``)."""
    from giamdinh.engine.views import claim_view_sql

    return {
        path.stem.lower(): claim_view_sql(
            path.stem,
            f"read_parquet('{path}')",
            pq.read_schema(path).names,
            keep=keep,
        )
        for path in sorted(claims.glob("XML*.parquet"))
    }


BARE = """
with l as (
    select ma_lk, ma_dich_vu as code, t_bhtt, cast(ngay_yl as date) as d from xml3
    union all
    select ma_lk, ma_thuoc as code, t_bhtt, cast(ngay_yl as date) as d from xml2
)
select count(*), sum(l.t_bhtt), count(p.don_gia)
from l
join xml1 as h on h.ma_lk = l.ma_lk
left join ref_services as p
  on p.ma_cskcb = h.ma_cskcb and p.ma_dich_vu = l.code
 and l.d >= p.valid_from and (p.valid_to is null or l.d <= p.valid_to)
"""


def child(mode: str, lines: int, threads: int, memory: str) -> dict[str, Any]:
    """Run one measurement in this process and return its figures."""
    from giamdinh.backends.duck import DuckDBBackend
    from giamdinh.engine.run import assess
    from giamdinh.engine.sql import referenced_columns
    from giamdinh.engine.views import logical_views
    from giamdinh.rules.registry import load_rule_set

    rule_set = load_rule_set()
    folder = template()
    claims, total = tiled(lines)
    reference = reference_tables(folder)
    spill = CACHE / f"spill-{os.getpid()}"
    spill.mkdir(parents=True, exist_ok=True)
    backend = DuckDBBackend(
        threads=threads,
        memory_limit=memory,
        work_dir=spill if mode == "engine" else None,
    )
    backend.con.execute(f"set temp_directory = '{spill}'")
    start = time.perf_counter()
    if mode == "bare":
        for name in ("XML1", "XML2", "XML3"):
            backend.materialise(
                name.lower(),
                f"select * from read_parquet('{claims / (name + '.parquet')}')",  # noqa: S608
            )
        backend.register("ref_services", reference["ref_services"])
        backend.query(BARE)
        findings = 0
    else:
        relations = claim_relations(claims, referenced_columns(rule_set.rules))
        views = logical_views(claims={}, reference=reference, edits=rule_set.tables)
        result = assess(
            backend, views, rule_set, relations=relations, fetch_lines=False
        )
        backend.write_parquet(
            "select * from _line_decisions order by ma_lk, tbl, stt",
            spill.with_suffix(".lines.parquet"),
        )
        findings = result.findings.num_rows
    seconds = time.perf_counter() - start
    backend.close()
    spill.with_suffix(".lines.parquet").unlink(missing_ok=True)
    shutil.rmtree(spill, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "mode": mode,
        "lines": total,
        "seconds": seconds,
        "lines_per_s": total / seconds,
        "findings": findings,
        "peak_rss": peak,
        "rules": len(rule_set.rules),
        "rule_set": rule_set.version,
    }


def _run(mode: str, lines: int, threads: int, memory: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", mode, "--steps", str(lines)]
    cmd += ["--threads", str(threads), "--memory-limit", memory]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        msg = f"{mode} {lines}: child failed"
        raise SystemExit(msg)
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    """Parse arguments; run every step in fresh processes; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="2GB", help="DuckDB's limit.")
    parser.add_argument("--child", choices=["bare", "engine", "tile"])
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()
    if args.child == "tile":
        _, total = tiled(args.steps[0])
        sys.stdout.write(json.dumps({"lines": total}) + "\n")
        return
    if args.child:
        figures = child(args.child, args.steps[0], args.threads, args.memory_limit)
        sys.stdout.write(json.dumps(figures) + "\n")
        return
    template()
    for lines in args.steps:
        # NOTE: in a child process: Linux keeps a process's peak RSS across fork
        # and exec, so tiling here would show in every measurement's peak.
        _run("tile", lines, args.threads, args.memory_limit)
    rows = []
    for lines in args.steps:
        bare = _run("bare", lines, args.threads, args.memory_limit)
        engine = _run("engine", lines, args.threads, args.memory_limit)
        rows.append({"bare": bare, "engine": engine})
        sys.stdout.write(
            f"{engine['lines']:>11,} lines | engine {engine['seconds']:7.2f} s "
            f"{engine['lines_per_s']:>12,.0f} lines/s peak "
            f"{engine['peak_rss'] / 2**30:5.2f} GiB, {engine['findings']:,} findings "
            f"({engine['rules']} rule versions) | bare {bare['seconds']:6.2f} s "
            f"{bare['lines_per_s']:>12,.0f} lines/s peak "
            f"{bare['peak_rss'] / 2**30:5.2f} GiB | ratio "
            f"{engine['seconds'] / bare['seconds']:5.1f}x\n"
        )
        sys.stdout.flush()
    if len(rows) > 1:
        first, last = rows[0]["engine"], rows[-1]["engine"]
        scale = last["lines"] / first["lines"]
        cost = last["seconds"] / first["seconds"]
        sys.stdout.write(
            f"{scale:.1f}x the lines cost {cost:.1f}x the time "
            f"(goal: at most {1.1 * scale:.1f}x)\n"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
