"""Ingest benchmark: full ingest against the bare cost of the same bytes.

Run::

    python benchmarks/bench_ingest.py --claims 100000

Generates claims of about ten XML3 lines each with the standard writer (cached in a
temporary folder, so a second run starts at once), then, for 10k, 50k and 100k claims
(or the ``--steps`` given), measures in a fresh process pinned to one CPU:

(a) **bare**: read each file, lxml-parse the envelope, base64-decode every
    ``NOIDUNGFILE`` and lxml-parse the inner file — nothing else;
(b) **ingest**: ``giamdinh.services.ingest.ingest_paths`` into a fresh store
    (reader, reception checks, Parquet partitions, ledger, catalogue).

It prints claims/s of both, the ratio (b)/(a) and the peak RSS of each process, to
show that ingest streams in bounded chunks (memory flat as the batch grows). Goals:
ingest within 3x the bare parse and at least 1,500 claims/s on one core.

On a shared machine CPU seconds are the fairer figure (wall time includes waiting for
the CPU), but contention slows both; the load average is printed before and after.
``--repeat N`` measures each step N times (alternating bare and ingest) and keeps the
fastest of each, which damps the noise of other processes.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

Claim = dict[str, list[dict[str, str]]]

_SERVICES = (
    ("02.03", "13", "Khám Nội tổng hợp", 45000),
    ("18.0119.0028", "2", "Chụp X-quang ngực thẳng", 73300),
    ("18.0015.0001", "2", "Siêu âm ổ bụng", 58600),
    ("23.0166.1596", "1", "Định lượng Glucose", 21500),
    ("21.0014.1778", "3", "Điện tim thường", 32800),
)


def make_claim(i: int, *, lines: int, facility: str, month: int) -> Claim:
    """One claim that passes the portal's reception checks."""
    ma_lk = f"BL{i:09d}"
    day = f"2026{month:02d}{1 + i % 28:02d}"
    total = Decimal(0)
    xml3: list[dict[str, str]] = []
    for n in range(1, lines + 1):
        code, group, name, price = _SERVICES[(i + n) % len(_SERVICES)]
        amount = Decimal(price)
        total += amount
        xml3.append(
            {
                "MA_LK": ma_lk,
                "STT": str(n),
                "MA_DICH_VU": code,
                "MA_NHOM": group,
                "TEN_DICH_VU": name,
                "DON_VI_TINH": "Lần",
                "PHAM_VI": "1",
                "SO_LUONG": "1",
                "DON_GIA_BV": str(amount),
                "DON_GIA_BH": str(amount),
                "TYLE_TT_DV": "100",
                "TYLE_TT_BH": "100",
                "THANH_TIEN_BV": str(amount),
                "THANH_TIEN_BH": str(amount),
                "MUC_HUONG": "80",
                "T_NGUONKHAC_NSNN": "0",
                "T_NGUONKHAC_VTNN": "0",
                "T_NGUONKHAC_VTTN": "0",
                "T_NGUONKHAC_CL": "0",
                "T_NGUONKHAC": "0",
                "T_BNTT": "0",
                "T_BNCCT": str(amount * Decimal("0.2")),
                "T_BHTT": str(amount * Decimal("0.8")),
                "MA_KHOA": "K01",
                "MA_BAC_SI": "000001/HNO-CCHN",
                "NGUOI_THUC_HIEN": "000002/HNO-CCHN",
                "NGAY_YL": f"{day}0805",
                "NGAY_TH_YL": f"{day}0810",
                "NGAY_KQ": f"{day}0830",
                "MA_PTTT": "1",
                "MA_MAY": "XQ.1.99001.SYNXQ0001",
            }
        )
    head = {
        "MA_LK": ma_lk,
        "STT": "1",
        "MA_BN": f"BN{i:09d}",
        "HO_TEN": "NGUYỄN VĂN MẪU",
        "SO_CCCD": "001090000001",
        "NGAY_SINH": "199001010000",
        "GIOI_TINH": str(1 + i % 2),
        "MA_QUOCTICH": "000",
        "MA_DANTOC": "01",
        "MA_NGHE_NGHIEP": "00000",
        "DIA_CHI": "Số 1 phố Giả Định, phường Mẫu, thành phố Hà Nội",
        "MATINH_CU_TRU": "01",
        "MAHUYEN_CU_TRU": "001",
        "MAXA_CU_TRU": "00001",
        "MA_THE_BHYT": "GD4019900000001",
        "MA_DKBD": facility,
        "GT_THE_TU": "20260101",
        "GT_THE_DEN": "20261231",
        "LY_DO_VV": "Ho, sốt 3 ngày",
        "CHAN_DOAN_VAO": "Viêm phế quản cấp",
        "CHAN_DOAN_RV": "Viêm phế quản cấp, không đặc hiệu",
        "MA_BENH_CHINH": "J20.9",
        "MA_DOITUONG_KCB": "1.1",
        "NGAY_VAO": f"{day}0800",
        "NGAY_RA": f"{day}1000",
        "SO_NGAY_DTRI": "0",
        "KET_QUA_DTRI": "2",
        "MA_LOAI_RV": "1",
        "NGAY_TTOAN": f"{day}1005",
        "T_THUOC": "0",
        "T_VTYT": "0",
        "T_TONGCHI_BV": str(total),
        "T_TONGCHI_BH": str(total),
        "T_BNTT": "0",
        "T_BNCCT": str(total * Decimal("0.2")),
        "T_BHTT": str(total * Decimal("0.8")),
        "T_NGUONKHAC": "0",
        "T_BHTT_GDV": str(total * Decimal("0.8")),
        "NAM_QT": "2026",
        "THANG_QT": str(month),
        "MA_LOAI_KCB": "01",
        "MA_KHOA": "K01",
        "MA_CSKCB": facility,
        "CAN_NANG": "62.50",
        "MA_HSBA": f"HS{i:09d}",
        "MA_TTDV": "0199000001",
    }
    return {"XML1": [head], "XML3": xml3}


def generate(cache: Path, *, claims: int, per_file: int, lines: int) -> list[Path]:
    """Write (or reuse) the envelope files for ``claims`` claims; return them."""
    from giamdinh.standard.writer import write_envelope

    cache.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    started = time.perf_counter()
    made = 0
    for n in range((claims + per_file - 1) // per_file):
        path = cache / f"f{n:06d}.xml"
        files.append(path)
        if path.exists():
            continue
        facility = f"{79001 + n % 4:05d}"
        month = 1 + n % 3
        first = n * per_file
        batch = [
            make_claim(first + k, lines=lines, facility=facility, month=month)
            for k in range(min(per_file, claims - first))
        ]
        write_envelope(batch, ma_cskcb=facility, ngay_lap="20260401", out=path)
        made += 1
    if made:
        print(
            f"generated {made} files in {time.perf_counter() - started:.1f} s "
            f"({cache})",
            file=sys.stderr,
        )
    return files


# ------------------------------------------------------------ measurements


def bare(files: list[Path]) -> int:
    """Base64-decode and lxml-parse every inner file; return the number of HOSO."""
    hoso = 0
    for path in files:
        root = etree.fromstring(path.read_bytes())
        for content in root.iter("NOIDUNGFILE"):
            etree.fromstring(base64.b64decode(content.text or ""))
        hoso += sum(1 for _ in root.iter("HOSO"))
    return hoso


def full_ingest(files: list[Path], store: Path) -> int:
    """Ingest the files into a fresh store; return the number of new claims."""
    from giamdinh.services.ingest import ingest_paths

    summary = ingest_paths(files, store_dir=store)
    if summary.stats.claims_rejected:
        msg = f"{summary.stats.claims_rejected} claims rejected: {summary.stats}"
        raise RuntimeError(msg)
    return summary.stats.claims_new


def _worker(kind: str, cache: Path, count: int) -> None:
    """Run one measurement in this (fresh) process and print JSON."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    files = sorted(cache.glob("f*.xml"))[:count]
    if kind == "ingest":
        import giamdinh.services.ingest  # noqa: F401 - import time is not ingest time
    before = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = before.ru_utime + before.ru_stime
    started = time.perf_counter()
    if kind == "bare":
        claims = bare(files)
    else:
        with tempfile.TemporaryDirectory(prefix="giamdinh-bench-store-") as tmp:
            claims = full_ingest(files, Path(tmp) / "store")
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    rss_mb = usage.ru_maxrss / 1024
    print(
        json.dumps({"claims": claims, "seconds": seconds, "cpu": cpu, "rss_mb": rss_mb})
    )


def _measure(kind: str, cache: Path, count: int) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            kind,
            "--cache",
            str(cache),
            "--files",
            str(count),
        ],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument(
        "--steps",
        default="10000,50000,100000",
        help="claim counts to measure (capped at --claims)",
    )
    parser.add_argument("--lines", type=int, default=10, help="XML3 lines per claim")
    parser.add_argument("--per-file", type=int, default=100, help="claims per file")
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument(
        "--repeat", type=int, default=1, help="measure each step N times, keep the best"
    )
    parser.add_argument("--worker", choices=["bare", "ingest"], help=argparse.SUPPRESS)
    parser.add_argument("--files", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    cache = args.cache or Path(tempfile.gettempdir()) / (
        f"giamdinh-bench-ingest-{args.lines}l-{args.per_file}pf"
    )
    if args.worker:
        _worker(args.worker, cache, args.files)
        return
    generate(cache, claims=args.claims, per_file=args.per_file, lines=args.lines)
    steps = sorted({min(int(s), args.claims) for s in args.steps.split(",")})
    print(
        f"{args.lines} XML3 lines per claim, {args.per_file} claims per file, "
        f"one CPU per measurement, best of {args.repeat}; cache {cache}"
    )
    print(f"load average before: {_load()}")
    print(
        "wall = elapsed s, cpu = CPU s of the process (the fair figure on a shared "
        "machine); claims/s and the ratio use CPU seconds"
    )
    header = (
        f"{'claims':>8} {'bare wall':>9} {'bare cpu':>9} {'bare/s':>8} "
        f"{'ingest wall':>11} {'ingest cpu':>10} {'ingest/s':>9} {'ratio':>6} "
        f"{'RSS bare':>9} {'RSS ingest':>11}"
    )
    print(header)
    for claims in steps:
        count = (claims + args.per_file - 1) // args.per_file
        runs = [
            (_measure("bare", cache, count), _measure("ingest", cache, count))
            for _ in range(max(args.repeat, 1))
        ]
        a = min((r[0] for r in runs), key=lambda m: float(m["cpu"]))
        b = min((r[1] for r in runs), key=lambda m: float(m["cpu"]))
        print(
            f"{claims:>8} {a['seconds']:>9.1f} {a['cpu']:>9.1f} "
            f"{a['claims'] / a['cpu']:>8.0f} {b['seconds']:>11.1f} {b['cpu']:>10.1f} "
            f"{b['claims'] / b['cpu']:>9.0f} {b['cpu'] / a['cpu']:>6.2f} "
            f"{a['rss_mb']:>7.0f}MB {b['rss_mb']:>9.0f}MB",
            flush=True,
        )
    print(f"load average after: {_load()}")


def _load() -> str:
    if not hasattr(os, "getloadavg"):
        return "n/a"
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} CPUs"


if __name__ == "__main__":
    main()
