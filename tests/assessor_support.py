"""Helpers of the insurer's page tests: the run's numbers, claims to look at, leads.

The demo site of ``tests/site.py`` has an assessment run, cases opened from the
money held under review, and (at its size) no lead; ``plant_leads`` writes two
leads over real lines of two facilities and opens their cases, as the signals and
``giamdinh review open --from-leads`` would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

import duckdb

from giamdinh.domain import Period
from giamdinh.services.assessment import dry_run_store, latest_run
from giamdinh.services.demo import DEMO_SUPERVISOR
from giamdinh.services.review import open_from_leads
from giamdinh.services.signals import write_leads
from giamdinh.signals import leads_to_table
from giamdinh.signals.model import Lead, LineRef

if TYPE_CHECKING:
    from pathlib import Path

    from tests.site import Site

    from giamdinh.services.assessment import DryRun

MONEY_KEYS = ("claimed", "payable", "refused", "adjusted", "under_review")


def run_totals(site: Site) -> dict[str, Decimal]:
    """Return the newest run's totals as ``run.json`` recorded them."""
    meta = json.loads((latest_run(site.context.store_dir) / "run.json").read_text())
    return {k: Decimal(v) for k, v in meta["totals"].items()}


def query(
    site: Site, sql: str, params: list[Any] | None = None
) -> list[tuple[Any, ...]]:
    """Run ``sql`` over the run's tables ``claims``, ``lines``, ``findings``."""
    folder = latest_run(site.context.store_dir)
    con = duckdb.connect()
    try:
        for name in ("claims", "lines", "findings"):
            path = str(folder / f"{name}.parquet").replace("'", "''")
            con.execute(f"create view {name} as select * from read_parquet('{path}')")  # noqa: S608
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@dataclass(frozen=True, slots=True)
class Explained:
    """A claim with a time-evidence finding and a finding that moves money."""

    ma_lk: str
    ma_cskcb: str
    money_rule: str
    money_amount: Decimal


def explained_claim(site: Site) -> Explained:
    """Return a claim with an RS001 (execution time) finding and a money finding."""
    rows = query(
        site,
        """
        select m.ma_lk, m.ma_cskcb, m.rule_id, m.amount
        from findings as m
        join findings as t on t.ma_lk = m.ma_lk and t.rule_id = 'RS001'
        where m.severity in ('refuse', 'adjust') and m.amount > 0
        order by m.amount desc, m.ma_lk limit 1
        """,
    )
    assert rows, "the demo site has no claim with both a time and a money finding"
    ma_lk, ma_cskcb, rule_id, amount = rows[0]
    return Explained(
        ma_lk=ma_lk, ma_cskcb=ma_cskcb, money_rule=rule_id, money_amount=amount
    )


def claim_in_case(site: Site) -> tuple[str, str, str]:
    """Return ``(MA_LK, MA_CSKCB, case code)`` of a claim with a line in a case."""
    import sqlite3

    path = site.folder / "giamdinh.db"
    with sqlite3.connect(path) as db:
        row = db.execute(
            "select l.ma_lk, c.ma_cskcb, c.code from review_line as l "
            "join review_case as c on c.id = l.case_id order by c.id limit 1"
        ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def other_facility(site: Site, ma_cskcb: str) -> tuple[str, str]:
    """Return a claim ``(MA_LK, MA_CSKCB)`` of a facility other than ``ma_cskcb``."""
    rows = query(
        site,
        "select ma_lk, ma_cskcb from claims where ma_cskcb <> ? "
        "order by findings desc, ma_lk limit 1",
        [ma_cskcb],
    )
    return rows[0][0], rows[0][1]


@cache
def _direct(store: str, reference: str, rule_id: str, severity: str | None) -> DryRun:
    from pathlib import Path

    from giamdinh.domain import Severity

    return dry_run_store(
        rule_id,
        Path(store),
        severity=Severity(severity) if severity else None,
        reference_dir=Path(reference),
    )


def direct_dry_run(site: Site, rule_id: str, severity: str | None = None) -> DryRun:
    """Return ``dry_run_store`` called directly (once per process)."""
    return _direct(
        str(site.context.store_dir),
        str(site.context.reference_dirs),
        rule_id,
        severity,
    )


def plant_leads(site: Site) -> list[Lead]:
    """Write two leads over XML3 lines of two facilities and open their cases."""
    rows = query(
        site,
        """
        with l as (
            select c.ma_cskcb, l.ma_lk, l.stt,
                   row_number() over (
                       partition by c.ma_cskcb order by l.ma_lk, l.stt
                   ) as n
            from lines as l join claims as c using (ma_lk)
            where l.tbl = 'XML3' and l.status = 'payable'
        ),
        f as (select distinct ma_cskcb from l order by 1 limit 2)
        select l.ma_cskcb, l.ma_lk, l.stt from l join f using (ma_cskcb)
        where l.n <= 2 order by l.ma_cskcb, l.n
        """,
    )
    assert len(rows) == 4
    (fac_a, lk_a, stt_a), (_, lk_a2, stt_a2), (fac_b, lk_b, stt_b), _ = rows
    day = datetime(2026, 3, 14, tzinfo=UTC).date()
    leads = [
        Lead(
            lead_id="lead-two-places",
            code="SG006",
            name="practitioner.two_places",
            period=Period(start=day, end=day),
            message=f"Người hành nghề 000428/TMA-CCHN ở {fac_a} và {fac_b} cùng lúc",
            message_en=f"Practitioner 000428/TMA-CCHN at {fac_a} and {fac_b} at once",
            arithmetic="08:05–08:12 ∩ 08:07–08:14 = 5 phút",
            amount=Decimal("58600.00"),
            score=2.5,
            practitioner="000428/TMA-CCHN",
            ma_cskcb=f"{fac_a};{fac_b}",
            evidence={"overlaps": 1, "overlap_minutes": 5},
            lines=(LineRef(ma_lk=lk_a, stt=stt_a), LineRef(ma_lk=lk_b, stt=stt_b)),
        ),
        Lead(
            lead_id="lead-machine",
            code="SG003",
            name="machine.over_capacity",
            period=Period(start=day, end=day),
            message=f"Máy XQ-01 của {fac_a} vượt công suất",
            message_en=f"Machine XQ-01 of {fac_a} over capacity",
            arithmetic="60 ca × 10 phút = 600 phút > 480 phút",
            amount=Decimal("120000.00"),
            score=1.2,
            machine="XQ-01",
            ma_cskcb=fac_a,
            lines=(LineRef(ma_lk=lk_a2, stt=stt_a2),),
        ),
    ]
    store: Path = site.context.store_dir
    write_leads(
        leads_to_table(leads),
        store_dir=store,
        meta={"computed_at": datetime(2026, 4, 1, tzinfo=UTC).isoformat()},
    )
    open_from_leads(store, user=DEMO_SUPERVISOR, database_url=site.context.database_url)
    return leads
