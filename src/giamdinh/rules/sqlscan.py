"""Read a rule's SQL for what it rests on: the time guard reads the query, not a label.

Time is never a refusal ground (Ministry of Health, 2025): a rule whose query
measures execution time against a reference time, or reads machine time from
device logs, may only raise ``info`` or ``review``. A label (``Rule.evidence``)
can be wrong; the query cannot hide what it reads. ``time_evidence`` finds, in
the parsed SQL:

- **reference minutes**: a column or table whose name holds ``minutes`` or
  ``phut`` read from reference or edit tables (``ref_techniques.reference_minutes``,
  ``ref_norm_staff_minutes`` …);
- **device logs**: a table of device, PACS or DICOM logs;
- **execution durations**: a difference of times (``date_diff``, ``datediff``,
  ``epoch(…) - epoch(…)``, ``age`` or a subtraction) one of whose operands is an
  execution timestamp (``NGAY_TH_YL``, ``NGAY_KQ``, ``NGAY_TH``), followed through
  the aliases the query gives it;
- **order intervals**: a difference of other timestamps (``NGAY_YL`` between two
  orders, ``NGAY_VAO``/``NGAY_RA``). These are not execution time: a frequency
  limit in hours between orders is a payment condition. A rule computing one must
  say so in ``Rule.time_condition``.
"""

from __future__ import annotations

import functools
from enum import StrEnum

import sqlglot
from sqlglot import exp

EXECUTION_TIMESTAMPS = frozenset({"ngay_th_yl", "ngay_kq", "ngay_th"})
"""Columns that record when a service was executed or its result produced."""
DEVICE_TABLE_MARKS = ("device", "pacs", "dicom", "machine_log")
TIME_NAME_MARKS = ("minutes", "phut")
_DURATIONS: tuple[type[exp.Expression], ...] = (
    exp.DateDiff,
    exp.TimestampDiff,
    exp.DatetimeDiff,
    exp.Sub,
)


class TimeEvidence(StrEnum):
    """What kind of time a query reads."""

    REFERENCE_MINUTES = "reference_minutes"
    DEVICE_LOG = "device_log"
    EXECUTION_DURATION = "execution_duration"
    ORDER_INTERVAL = "order_interval"

    @property
    def is_time_ground(self) -> bool:
        """Return whether this is execution or machine time (never a refusal)."""
        return self is not TimeEvidence.ORDER_INTERVAL


@functools.lru_cache(maxsize=1024)
def parse_sql(sql: str) -> exp.Expr:
    """Parse DuckDB SQL once per text; the tree is shared, so copy it to change it.

    NOTE: the engine parses the rules' and views' SQL on every run (it uses this
    cache too); parsing the whole set took 0.7 s each time.
    """
    return sqlglot.parse_one(sql, read="duckdb")


def _names(node: exp.Expr) -> set[str]:
    return {c.name.lower() for c in node.find_all(exp.Column) if c.name}


def _is_timestamp_name(name: str) -> bool:
    return name.startswith(("ngay_", "gio_", "thoi_gian")) or name in {"ts", "at"}


def _execution_aliases(tree: exp.Expr) -> set[str]:
    """Execution timestamps and every alias that carries one (to a fixpoint)."""
    carried = set(EXECUTION_TIMESTAMPS)
    aliases = [a for a in tree.find_all(exp.Alias) if a.alias]
    changed = True
    while changed:
        changed = False
        for alias in aliases:
            name = alias.alias.lower()
            if name in carried:
                continue
            inner = alias.this
            is_duration = isinstance(inner, _DURATIONS)
            if not is_duration and _names(inner) & carried:
                carried.add(name)
                changed = True
    return carried


def _operand_names(node: exp.Expression) -> set[str]:
    if isinstance(node, exp.Sub):
        return _names(node.this) | _names(node.expression)
    return _names(node)


@functools.lru_cache(maxsize=1024)
def time_evidence(sql: str) -> frozenset[TimeEvidence]:
    """Return the kinds of time ``sql`` reads (empty when it reads none).

    Raises:
        sqlglot.errors.ParseError: the SQL does not parse.
    """
    tree = parse_sql(sql)
    found: set[TimeEvidence] = set()
    tables = {t.name.lower() for t in tree.find_all(exp.Table)}
    columns = _names(tree)
    if any(mark in t for t in tables for mark in DEVICE_TABLE_MARKS):
        found.add(TimeEvidence.DEVICE_LOG)
    if any(mark in n for n in tables | columns for mark in TIME_NAME_MARKS):
        found.add(TimeEvidence.REFERENCE_MINUTES)
    carried = _execution_aliases(tree)
    for node in tree.find_all(*_DURATIONS):
        names = _operand_names(node)
        if names & carried:
            found.add(TimeEvidence.EXECUTION_DURATION)
        elif isinstance(node, exp.Sub):
            if sum(_is_timestamp_name(n) for n in names) >= 2:  # noqa: PLR2004
                found.add(TimeEvidence.ORDER_INTERVAL)
        elif any(_is_timestamp_name(n) for n in names):
            found.add(TimeEvidence.ORDER_INTERVAL)
    return frozenset(found)
