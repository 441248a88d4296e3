"""The assessor's dashboard: where the money of the newest run stands.

The money claimed, payable, refused, adjusted and under review of the newest
assessment run (``<store>/assessments/run-*``), by month (the ledger's month of
the claim: its discharge, ``NGAY_RA``, else its admission) and by facility; the
run's summary (rules and facilities with the most money at stake, findings by
severity, time evidence); and the position of the joint verification (the case
decisions laid over the run: cases open, due this week, overdue).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from giamdinh.services.assessment import latest_run, summarise_store
from giamdinh.services.claims import INSURER, MONEY_KEYS, has_cases, require_role
from giamdinh.services.review import review_position
from giamdinh.store import ClaimStore

if TYPE_CHECKING:
    from datetime import date
    from pathlib import Path

    from giamdinh.review.workflow import Actor
    from giamdinh.services.assessment import AssessmentSummary
    from giamdinh.services.review import ReviewPosition

ZERO = Decimal(0)
UNKNOWN = "?"


@dataclass(frozen=True, slots=True, kw_only=True)
class MoneyRow:
    """The claims and money of one month or one facility."""

    key: str
    claims: int
    claimed: Decimal
    payable: Decimal
    refused: Decimal
    adjusted: Decimal
    under_review: Decimal

    @property
    def at_stake(self) -> Decimal:
        """Return refused + adjusted + under review."""
        return self.refused + self.adjusted + self.under_review


@dataclass(frozen=True, slots=True, kw_only=True)
class MoneyBreakdown:
    """The newest run's money in all, by month and by facility.

    Attributes:
        run: the run folder's name.
        rule_set: the rule-set version the run recorded.
        at: when the run was made.
        claims: claims assessed.
        totals: ``claimed``, ``payable``, ``refused``, ``adjusted``,
            ``under_review`` (claimed = the other four).
        by_month: one row per month (``YYYY-MM``; ``?`` when unknown), in order.
        by_facility: one row per facility (``MA_CSKCB``), in code order.
    """

    run: str
    rule_set: str
    at: datetime | None
    claims: int
    totals: dict[str, Decimal]
    by_month: list[MoneyRow]
    by_facility: list[MoneyRow]


@dataclass(frozen=True, slots=True, kw_only=True)
class Dashboard:
    """What the dashboard shows."""

    money: MoneyBreakdown
    summary: AssessmentSummary
    position: ReviewPosition | None


_BY = """
with c as (select * from read_parquet(?)),
m as (
    select ma_lk, ma_cskcb, arg_max(month, ingested_at) as month
    from ledger where kind = 'claim' and status = 'accepted'
    group by ma_lk, ma_cskcb
),
j as (
    select c.*, coalesce(m.month, '?') as month
    from c left join m
      on m.ma_lk = c.ma_lk and m.ma_cskcb is not distinct from c.ma_cskcb
)
select {key} as key, count(*),
       coalesce(sum(claimed), 0), coalesce(sum(payable), 0),
       coalesce(sum(refused), 0), coalesce(sum(adjusted), 0),
       coalesce(sum(under_review), 0)
from j group by 1 order by 1
"""


def _rows(raw: list[tuple[Any, ...]]) -> list[MoneyRow]:
    return [
        MoneyRow(
            key=str(r[0]),
            claims=int(r[1]),
            **{k: Decimal(r[i + 2]) for i, k in enumerate(MONEY_KEYS)},
        )
        for r in raw
    ]


def money_breakdown(actor: Actor, store_dir: Path) -> MoneyBreakdown:
    """Return the newest run's money in all, by month and by facility.

    Raises:
        ForbiddenError: the actor is not the insurer's.
        ConfigError: no assessment run yet.
    """
    require_role(actor, INSURER)
    folder = latest_run(store_dir)
    meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    source = [str(folder / "claims.parquet")]
    con = ClaimStore.open(store_dir, create=False).connect()
    try:
        by_month = _rows(con.execute(_BY.format(key="month"), source).fetchall())
        by_facility = _rows(
            con.execute(
                _BY.format(key=f"coalesce(ma_cskcb, '{UNKNOWN}')"), source
            ).fetchall()
        )
    finally:
        con.close()
    totals = {k: sum((getattr(r, k) for r in by_month), ZERO) for k in MONEY_KEYS}
    at = meta.get("at")
    return MoneyBreakdown(
        run=folder.name,
        rule_set=str(meta.get("rule_set", "")),
        at=datetime.fromisoformat(at) if at else None,
        claims=sum(r.claims for r in by_month),
        totals=totals,
        by_month=by_month,
        by_facility=by_facility,
    )


def dashboard(
    actor: Actor,
    store_dir: Path,
    *,
    database_url: str | None = None,
    top: int = 10,
    today: date | None = None,
) -> Dashboard:
    """Return the dashboard of the newest run for the insurer.

    Raises:
        ForbiddenError: the actor is not the insurer's.
        ConfigError: no assessment run yet.
    """
    money = money_breakdown(actor, store_dir)
    summary = summarise_store(store_dir, run=money.run, top=top)
    position = (
        review_position(
            store_dir, database_url=database_url, run=money.run, today=today
        )
        if has_cases(database_url)
        else None
    )
    return Dashboard(money=money, summary=summary, position=position)


__all__ = ["Dashboard", "MoneyBreakdown", "MoneyRow", "dashboard", "money_breakdown"]
