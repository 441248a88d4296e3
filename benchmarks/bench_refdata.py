"""Benchmark: loading reference data and resolving it as of a date.

Run: ``.venv/bin/python benchmarks/bench_refdata.py [--lines 1000000]``

Measures, each in a fresh state:

- national tables built from the packaged CSV files (cold, no cache);
- the same with a Parquet cache: first run (build + write) and later runs (read);
- the in-process memo (hot);
- the real 5,022-row M05 catalogue of facility 92114 and the sample folder;
- one ``lookup`` (SQL filter) and an as-of join of N synthetic service lines
  against ``ref_services`` and ``ref_techniques`` in DuckDB.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from giamdinh.refdata import (
    FILE_SPECS,
    SAMPLES_DIR,
    ReferenceSet,
    as_of_predicate,
    load_file,
    load_national,
)
from giamdinh.refdata import national as national_module

if TYPE_CHECKING:
    from collections.abc import Callable

BUDGET_SECONDS = 5.0
"""Issue 3: loading all national reference data takes under 5 s."""
REAL_M05 = national_module.DATA_DIR / "dvkt_catalogue_M05_sample_facility_92114.csv"


def _time(fn: Callable[[], object], *, repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), min(runs)


def _report(name: str, timing: tuple[float, float]) -> None:
    median, best = timing
    print(f"{name:<58} median {median * 1000:9.1f} ms   best {best * 1000:9.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    repeat = args.repeat

    def cold() -> None:
        national_module.clear_memo()
        load_national()

    cold_timing = _time(cold, repeat=repeat)
    _report("national, cold (CSV -> DuckDB -> Arrow)", cold_timing)
    tables = load_national()
    rows = sum(t.num_rows for t in tables.values())
    print(
        f"  {len(tables)} national tables, {rows:,} rows; median cold load = "
        f"{cold_timing[0] / BUDGET_SECONDS:.2f} x the issue's {BUDGET_SECONDS:.0f} s "
        "budget (must be < 1)"
    )

    cache_root = Path(tempfile.mkdtemp(prefix="gd-refcache-"))
    try:

        def first_cached() -> None:
            national_module.clear_memo()
            shutil.rmtree(cache_root, ignore_errors=True)
            load_national(cache_dir=cache_root)

        _report(
            "national, cold + write Parquet cache", _time(first_cached, repeat=repeat)
        )

        def warm() -> None:
            national_module.clear_memo()
            load_national(cache_dir=cache_root)

        _report("national, warm (read Parquet cache)", _time(warm, repeat=repeat))
    finally:
        shutil.rmtree(cache_root, ignore_errors=True)
    national_module.clear_memo()
    load_national()
    _report("national, hot (in-process memo)", _time(load_national, repeat=repeat))

    _report(
        "real M05 of facility 92114 (5,022 rows, checks+overlaps)",
        _time(lambda: load_file(REAL_M05, FILE_SPECS["M05"]), repeat=repeat),
    )
    sample = SAMPLES_DIR / "facility_99001"
    _report(
        "sample folder 99001 (8 files) + national (hot)",
        _time(lambda: ReferenceSet.load(sample), repeat=repeat),
    )

    refs = ReferenceSet.load(sample)
    refs.lookup("service", "18.0119.0028", date(2026, 3, 2))
    _report(
        "lookup(service, code, as_of) (one SQL filter)",
        _time(
            lambda: refs.lookup("service", "18.0119.0028", date(2026, 3, 2)),
            repeat=repeat * 10,
        ),
    )

    con = duckdb.connect()
    refs.register(con)
    con.execute(
        f"""
        create table lines as
        select i as line,
               (['18.0119.0028', '18.0015.0001', '02.0119.0004', '18.0149.0040'])[
                   1 + (i % 4)::int] as ma_dich_vu,
               date '2025-06-01' + cast(i % 400 as integer) as ngay_yl
        from range({int(args.lines)}) as t(i)
        """  # noqa: S608 - the line count is an int from argparse
    )
    query = f"""
        select count(*), count(s.don_gia), sum(s.don_gia), avg(t.reference_minutes)
        from lines l
        left join ref_services s
          on s.ma_dich_vu = l.ma_dich_vu and {as_of_predicate("s", "l.ngay_yl")}
        left join ref_techniques t
          on t.ma_dich_vu = l.ma_dich_vu and {as_of_predicate("t", "l.ngay_yl")}
    """  # noqa: S608 - predicate built from constants
    result = con.execute(query).fetchone()
    _report(
        f"as-of join of {args.lines:,} lines x services x techniques",
        _time(lambda: con.execute(query).fetchone(), repeat=repeat),
    )
    print(f"  (rows, priced, total, avg minutes) = {result}")
    con.close()
    refs.close()


if __name__ == "__main__":
    main()
