"""Load on loopback: concurrent clients against ``giamdinh serve`` on PostgreSQL.

Run::

    python benchmarks/bench_serve.py --clients 50 --seconds 60

It builds the demo province (``--claims``, default 1,000) with its operational
store in a fresh schema of the PostgreSQL test database (``GIAMDINH_TEST_PG_URL``,
default ``postgresql+psycopg://postgres@localhost:5432/test``), gives every demo
account the demo password and two of them API tokens, starts ``giamdinh serve`` on
a free loopback port in a child process, and runs ``--clients`` concurrent clients
for ``--seconds`` seconds. Each client logs in once, then loops over a mix:

- page views (70 %): the review queue, a case, the dashboard, the claims list and a
  claim page, the leads (assessors); the facility's cases and checks (facility staff);
- API reads (25 %): ``/api/v1/cases``, ``/api/v1/claims``, ``/api/v1/review/position``;
- uploads (5 %): one demo claim file posted to ``/api/v1/checks`` (the whole check
  pipeline: reader, reception, rules).

It prints, per kind and in all, the requests, errors (any status but 2xx, or a
failed connection), the median and 95th-percentile latency and the throughput, and
the server's peak resident memory (its worker processes added up). Only loopback
addresses are used; the loop stops by itself after ``--seconds``. A timing never
gates a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

PG_URL = os.environ.get(
    "GIAMDINH_TEST_PG_URL", "postgresql+psycopg://postgres@localhost:5432/test"
)
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass(frozen=True, slots=True)
class Setup:
    """What the clients need: accounts, cases, files to upload, tokens."""

    password: str
    assessors: list[str]
    facilities: list[tuple[str, str]]
    cases: list[str]
    uploads: list[Path]
    token_assessor: str
    token_facility: str


def _prepare(folder: Path, claims: int, url: str) -> Setup:
    from giamdinh.services.accounts import issue_token
    from giamdinh.services.demo import DEMO_PASSWORD, demo_accounts, run_demo
    from giamdinh.services.review import list_cases

    run_demo(folder, claims=claims, database_url=url)
    accounts = demo_accounts(folder, url)
    assessors = [u for u, r, _ in accounts if r in {"assessor", "supervisor"}]
    facilities = [(u, f) for u, r, f in accounts if r == "facility" and f]
    cases = [c.code for c in list_cases(user=assessors[0], database_url=url)]
    first = facilities[0][1]
    uploads = [
        p
        for p in sorted((folder / "province" / "claims").rglob("*.xml"))
        if first in p.name or first in p.parent.name
    ][:20]
    return Setup(
        password=DEMO_PASSWORD,
        assessors=assessors,
        facilities=[(u, str(f)) for u, f in facilities],
        cases=cases,
        uploads=uploads,
        token_assessor=issue_token(assessors[0], name="bench", database_url=url),
        token_facility=issue_token(facilities[0][0], name="bench", database_url=url),
    )


async def _login(client: object, username: str, password: str) -> None:
    import httpx

    assert isinstance(client, httpx.AsyncClient)
    page = await client.get("/login")
    token = _TOKEN.search(page.text)
    assert token is not None, "no form token on the login page"
    response = await client.post(
        "/login",
        data={
            "csrf_token": token.group(1),
            "username": username,
            "password": password,
            "next": "/",
        },
    )
    assert response.status_code in {200, 303}, response.status_code


async def _run(
    base: str, setup: Setup, clients: int, seconds: float
) -> dict[str, list[tuple[float, bool]]]:
    import httpx

    results: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    stop = time.monotonic() + seconds
    assessors, facilities, cases = setup.assessors, setup.facilities, setup.cases
    uploadable = setup.uploads

    async def one(i: int) -> None:
        rng = random.Random(i)  # noqa: S311 - a load mix, not a secret
        is_facility = i % 4 == 0
        username = (
            facilities[i % len(facilities)][0]
            if is_facility
            else assessors[i % len(assessors)]
        )
        async with httpx.AsyncClient(
            base_url=base, timeout=60, follow_redirects=False
        ) as c:
            await _login(c, username, setup.password)
            headers = {"Authorization": f"Bearer {setup.token_assessor}"}
            fheaders = {"Authorization": f"Bearer {setup.token_facility}"}
            while time.monotonic() < stop:
                roll = rng.random()
                if roll < 0.70:
                    kind = "page"
                    if is_facility:
                        path = rng.choice(["/cases", "/facility/check", "/"])
                    else:
                        path = rng.choice(
                            ["/cases", "/dashboard", "/claims", "/leads", "/"]
                            + ([f"/cases/{rng.choice(cases)}"] if cases else [])
                        )
                    request = c.get(path)
                elif roll < 0.95 or not uploadable:
                    kind = "api"
                    path = rng.choice(
                        ["/api/v1/cases", "/api/v1/claims", "/api/v1/review/position"]
                    )
                    request = c.get(path, headers=headers)
                else:
                    kind = "upload"
                    sample = rng.choice(uploadable)
                    request = c.post(
                        "/api/v1/checks",
                        headers=fheaders,
                        files={
                            "files": (
                                sample.name,
                                sample.read_bytes(),
                                "application/xml",
                            )
                        },
                    )
                started = time.perf_counter()
                try:
                    response = await request
                    ok = 200 <= response.status_code < 300
                except httpx.HTTPError:
                    ok = False
                results[kind].append((time.perf_counter() - started, ok))

    await asyncio.gather(*(one(i) for i in range(clients)))
    return results


def _peak_rss_mb(pid: int) -> float:
    """Return the peak resident memory of ``pid`` and its worker processes, summed."""
    total = 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="utf-8")
    except OSError:
        children = ""
    for each in [pid, *(int(c) for c in children.split())]:
        try:
            text = Path(f"/proc/{each}/status").read_text(encoding="utf-8")
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    args = parser.parse_args()

    from giamdinh.db.testing import temporary_database_url

    with (
        tempfile.TemporaryDirectory(prefix="giamdinh-serve-") as tmp,
        temporary_database_url("postgres", tmp_path=Path(tmp), pg_url=PG_URL) as url,
    ):
        folder = Path(tmp) / "demo"
        started = time.perf_counter()
        setup = _prepare(folder, args.claims, url)
        took = time.perf_counter() - started
        print(f"prepared the demo ({args.claims} claims) in {took:.0f} s")
        port = _free_port()
        server = subprocess.Popen(
            [
                sys.executable, "-c",
                "import sys; from giamdinh.cli.main import app; sys.exit(app())",
                "serve", "--port", str(port), "--store", str(folder / "store"),
                "--data", str(folder / "web"), "--reference",
                str(folder / "province" / "reference"), "--database-url", url,
                "--workers", str(args.workers),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            import httpx

            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(base + "/login", timeout=2)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start") from None
                    time.sleep(0.3)
            load = os.getloadavg()[0]
            wall = time.perf_counter()
            results = asyncio.run(_run(base, setup, args.clients, args.seconds))
            wall = time.perf_counter() - wall
            rss = _peak_rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    every = [r for rows in results.values() for r in rows]
    print(
        f"{args.clients} clients, {args.workers} worker(s), {wall:.0f} s, "
        f"{os.cpu_count()} CPUs, load before "
        f"{load:.1f}; server peak RSS {rss:.0f} MB"
    )
    heads = ("requests", "errors", "p50 ms", "p95 ms", "req/s")
    print(f"{'kind':<8} " + " ".join(f"{h:>9}" for h in heads))
    for kind, rows in [*sorted(results.items()), ("all", every)]:
        times = [t * 1000 for t, _ in rows]
        errors = sum(1 for _, ok in rows if not ok)
        print(
            f"{kind:<8} {len(rows):>9} {errors:>9} {_percentile(times, 0.5):>9.0f} "
            f"{_percentile(times, 0.95):>9.0f} {len(rows) / wall:>9.1f}"
        )


if __name__ == "__main__":
    main()
