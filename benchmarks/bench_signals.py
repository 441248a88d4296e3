"""Benchmark: every signal over N generated service lines (default 10 million).

The data are generated directly as Arrow and written to Parquet (the claim store's
format), then exposed as the logical views ``xml1``, ``xml3``, ``xml4`` over
``read_parquet`` with DuckDB limited to 2 threads, so the run reads from disk as the
real store does. Shape of the province: 200 facilities, one claim per 4 lines,
~4 lines per performer-day, 300 imaging/procedure techniques with reference minutes,
machines booked study after study (one study in 2,000 planted to overlap),
one reader (XML4) for half of the lines, device logs for one machine in ten, an M02
row per practitioner.

Run: ``.venv/bin/python benchmarks/bench_signals.py --lines 10000000`` (prints the
seconds per phase); ``pytest benchmarks`` runs a 200,000-line version.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from giamdinh.signals import run_signals

EPOCH = 1772323200  # 2026-03-01 00:00 (naive local clock), seconds
DAYS = 30
GROUPS = ("XQ", "SA", "CL", "MRI", "NS", "ĐT")
MINUTES = {"XQ": 6, "SA": 20, "CL": 20, "MRI": 40, "NS": 30, "ĐT": 10}


def _strings(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    text = pc.utf8_lpad(
        pa.array(numbers.astype(np.int64)).cast(pa.string()), width, "0"
    )
    return pc.binary_join_element_wise(pa.scalar(prefix), text, "")


def _pick(values: list[str], index: np.ndarray) -> pa.Array:
    return pa.DictionaryArray.from_arrays(
        pa.array(index.astype(np.int32)), pa.array(values)
    ).cast(pa.string())


def _schedule(
    rng: np.random.Generator,
    machine: np.ndarray,
    day: np.ndarray,
    code: np.ndarray,
    code_group: list[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Book each machine's studies one after the other from 07:00, as a real room.

    Each study takes its reference minutes plus a 1–10 minute gap, so a clean
    machine-day never overlaps; one study in 2,000 is planted to start during the
    previous one (an overlap for SG004 to find).
    """
    lines = len(machine)
    minutes = np.array([MINUTES[g] for g in code_group])[code] * 60
    order = np.lexsort((rng.random(lines), day, machine))
    slot = minutes[order] + rng.integers(60, 600, lines)
    key = machine[order].astype(np.int64) * DAYS + day[order]
    cum = np.cumsum(slot)
    first = np.r_[0, np.flatnonzero(np.diff(key)) + 1]
    base = np.repeat(cum[first] - slot[first], np.diff(np.r_[first, lines]))
    offset = cum - slot - base
    planted = rng.random(lines) < 1 / 2000
    planted[first] = False
    moved = np.flatnonzero(planted)
    offset[moved] = offset[moved - 1] + 30
    start = np.empty(lines, dtype=np.int64)
    start[order] = EPOCH + day[order] * 86400 + 7 * 3600 + offset
    result = start + minutes + rng.integers(60, 900, lines)
    return start, result


def generate(lines: int, folder: Path, *, seed: int = 7) -> dict[str, int]:
    """Write xml1/xml3/xml4/ref/device Parquet files for ``lines`` service lines."""
    rng = np.random.default_rng(seed)
    facilities = 200
    claims = max(lines // 4, 1)
    practitioners = max(lines // (4 * DAYS), 50)
    machines = max(practitioners // 4, 20)
    codes = [f"18.{i:04d}.0001" for i in range(300)]
    code_group = [GROUPS[i % len(GROUPS)] for i in range(300)]

    claim_fac = rng.integers(0, facilities, claims)
    xml1 = pa.table(
        {
            "ma_lk": _strings("LK", np.arange(claims), 9),
            "ma_cskcb": _strings("9", 1000 + claim_fac, 4),
        }
    )
    pq.write_table(xml1, folder / "xml1.parquet")

    claim_of_line = rng.integers(0, claims, lines)
    fac = claim_fac[claim_of_line]
    # performers and machines belong to a facility (block of ids per facility)
    per_fac_p = max(practitioners // facilities, 1)
    per_fac_m = max(machines // facilities, 1)
    performer = fac * per_fac_p + rng.integers(0, per_fac_p, lines)
    machine = fac * per_fac_m + rng.integers(0, per_fac_m, lines)
    code = rng.integers(0, len(codes), lines)
    day = rng.integers(0, DAYS, lines)
    start, result = _schedule(rng, machine, day, code, code_group)
    stt = np.ones(lines, dtype=np.int64)
    machine_codes = [
        f"{code_group[i % 300]}.1.{1000 + i // per_fac_m:05d}.S{i}"
        for i in range(facilities * per_fac_m)
    ]
    xml3 = pa.table(
        {
            "ma_lk": xml1.column("ma_lk").take(pa.array(claim_of_line)),
            "stt": pa.array(stt),
            "ma_dich_vu": _pick(codes, code),
            "nguoi_thuc_hien": _strings("", performer, 6),
            "ma_may": _pick(machine_codes, machine),
            "ngay_yl": pa.array(start - 600, pa.timestamp("s")),
            "ngay_th_yl": pa.array(start, pa.timestamp("s")),
            "ngay_kq": pa.array(result, pa.timestamp("s")),
            "t_bhtt": pa.array(rng.integers(50, 2000, lines) * 1000, pa.int64())
            .cast(pa.decimal128(38, 3))
            .cast(pa.decimal128(18, 3)),
        }
    )
    # STT unique within a claim: rank of the line inside its claim
    order = np.argsort(claim_of_line, kind="stable")
    ranks = np.empty(lines, dtype=np.int64)
    sorted_claims = claim_of_line[order]
    first = np.r_[0, np.flatnonzero(np.diff(sorted_claims)) + 1]
    run_start = np.repeat(first, np.diff(np.r_[first, lines]))
    ranks[order] = np.arange(lines) - run_start + 1
    xml3 = xml3.set_column(1, "stt", pa.array(ranks))
    pq.write_table(xml3, folder / "xml3.parquet")

    half = rng.random(lines) < 0.5
    readers = fac * per_fac_p + rng.integers(0, per_fac_p, lines)
    xml4 = pa.table(
        {
            "ma_lk": xml3.column("ma_lk").filter(pa.array(half)),
            "ma_dich_vu": xml3.column("ma_dich_vu").filter(pa.array(half)),
            "ma_bs_doc_kq": _strings("", readers[half], 6),
            "ngay_kq": pa.array(result[half], pa.timestamp("s")),
        }
    )
    pq.write_table(xml4, folder / "xml4.parquet")

    logged = (machine % 10) == 0
    n_logged = int(logged.sum())
    pq.write_table(
        pa.table(
            {
                "ma_may": xml3.column("ma_may").filter(pa.array(logged)),
                "study_uid": pa.nulls(n_logged, pa.string()),
                "ma_lk": xml3.column("ma_lk").filter(pa.array(logged)),
                "stt": xml3.column("stt").filter(pa.array(logged)),
                "t_start": pa.array(start[logged], pa.timestamp("s")),
                "t_end": pa.array(start[logged] + 120, pa.timestamp("s")),
                "source": pa.array(["csv"] * n_logged),
                "file": pa.array(["bench.csv"] * n_logged),
            }
        ),
        folder / "device_log.parquet",
    )
    people = np.arange(facilities * per_fac_p)
    pq.write_table(
        pa.table(
            {
                "macchn": _strings("", people, 6),
                "ma_cskcb": _strings("9", 1000 + people // per_fac_p, 4),
                "thoigian_dk": pa.array(["1"] * len(people)),
                "thoigian_ngay": pa.array(["07:00-16:30"] * len(people)),
                "cskcb_khac": pa.nulls(len(people), pa.string()),
                "valid_from": pa.array([19000] * len(people), pa.date32()),
                "valid_to": pa.nulls(len(people), pa.date32()),
            }
        ),
        folder / "ref_practitioners.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "ma_dich_vu": codes,
                "reference_minutes": [MINUTES[g] for g in code_group],
                "machine_group": code_group,
                "valid_from": pa.array([19000] * len(codes), pa.date32()),
                "valid_to": pa.nulls(len(codes), pa.date32()),
            }
        ),
        folder / "ref_techniques.parquet",
    )
    return {
        "lines": lines,
        "claims": claims,
        "practitioners": len(people),
        "xml4": xml4.num_rows,
        "device_records": n_logged,
    }


def run(folder: Path, *, threads: int = 2) -> tuple[float, pa.Table]:
    """Expose the Parquet files as the logical views and time ``run_signals``.

    Prints the CPU seconds of the process (all DuckDB threads) and the load average
    too: on a shared machine the wall time alone says little.
    """
    con = duckdb.connect(config={"threads": threads})
    for name in (
        "xml1",
        "xml3",
        "xml4",
        "device_log",
        "ref_practitioners",
        "ref_techniques",
    ):
        con.read_parquet(str(folder / f"{name}.parquet")).create_view(name)
    load = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()
    timings: dict[str, float] = {}
    leads = run_signals(con, timings=timings)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    con.close()
    for phase, spent in timings.items():
        print(f"  {phase:32} {spent:6.1f} s")
    print(
        f"signals CPU {cpu:.1f} s (user+sys, all threads); load average "
        f"{load:.1f} → {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    return seconds, leads


def test_signals_benchmark(tmp_path: Path) -> None:
    """A 200,000-line run for ``pytest benchmarks`` (prints the time)."""
    generate(200_000, tmp_path)
    seconds, leads = run(tmp_path)
    print(f"200,000 lines: {seconds:.2f} s, {leads.num_rows} leads")


def main() -> None:
    """Generate and time a run from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="keep the generated files here and reuse them on the next run",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = args.data or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "xml3.parquet").is_file():
            t0 = time.perf_counter()
            sizes = generate(args.lines, folder)
            print(f"generated {sizes} in {time.perf_counter() - t0:.1f} s")
        lines = pq.ParquetFile(folder / "xml3.parquet").metadata.num_rows
        print(f"{lines:,} service lines in {folder}")
        seconds, leads = run(folder, threads=args.threads)
        counts = pc.value_counts(leads.column("code")).to_pylist()
        print(f"signals: {seconds:.1f} s on {args.threads} threads; leads: {counts}")


if __name__ == "__main__":
    main()
