"""Run every signal over the logical views and rank the leads by money at stake."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pyarrow as pa

from giamdinh.errors import ConfigError
from giamdinh.signals import machines, peers, practitioners, registry
from giamdinh.signals.model import LEADS_SCHEMA, SIGNALS
from giamdinh.signals.params import SignalParams
from giamdinh.signals.prepare import prepare

if TYPE_CHECKING:
    from collections.abc import Iterable

    import duckdb

_UNION_COLUMNS = (
    "code, practitioner, machine, ma_cskcb, ma_dich_vu, period_start, period_end, "
    "score, amount, message, message_en, arithmetic, evidence, n_lines, lines, "
    "outlier_score"
)

_EMPTY_LEAD = """
create or replace temp table __TABLE__ as
select null::varchar as code, null::varchar as practitioner, null::varchar as machine,
       null::varchar as ma_cskcb, null::varchar as ma_dich_vu,
       null::date as period_start, null::date as period_end, null::double as score,
       null::decimal(18, 2) as amount, null::varchar as message,
       null::varchar as message_en, null::varchar as arithmetic,
       null::varchar as evidence, null::bigint as n_lines,
       null::struct(ma_lk varchar, stt bigint)[] as lines,
       null::double as outlier_score
where false
"""

_UNION = """
create or replace temp view sg_leads_union as
select __COLUMNS__ from sg_lead_sg001
union all
select __COLUMNS__ from sg_lead_sg002
union all
select __COLUMNS__ from sg_lead_sg003
union all
select __COLUMNS__ from sg_lead_sg004
union all
select __COLUMNS__ from sg_lead_sg005
union all
select __COLUMNS__ from sg_lead_sg006
union all
select __COLUMNS__ from sg_lead_sg007
union all
select __COLUMNS__ from sg_lead_sg008
union all
select __COLUMNS__ from sg_lead_sg009
union all
select __COLUMNS__ from sg_lead_sg010
union all
select __COLUMNS__ from sg_lead_sg011
union all
select __COLUMNS__ from sg_lead_sg012
union all
select __COLUMNS__ from sg_lead_sg013
""".replace("__COLUMNS__", _UNION_COLUMNS)

_RANKED = """
select md5(concat_ws('|', u.code, coalesce(u.practitioner, ''),
                     coalesce(u.machine, ''), coalesce(u.ma_cskcb, ''),
                     coalesce(u.ma_dich_vu, ''), u.period_start::varchar,
                     u.period_end::varchar))[1:16] as lead_id,
       u.code, n.name, 'review' as severity,
       row_number() over (order by u.amount desc nulls last, u.score desc,
                          u.code, u.practitioner, u.machine, u.ma_cskcb,
                          u.ma_dich_vu, u.period_start)::bigint as rank,
       u.score::double as score,
       cast(coalesce(u.amount, 0) as decimal(18, 2)) as amount,
       u.period_start::date as period_start, u.period_end::date as period_end,
       u.practitioner, u.machine, u.ma_cskcb, u.ma_dich_vu,
       u.message, u.message_en, u.arithmetic, u.evidence,
       -- every line counts; the list itself stops at max_lines_per_lead
       u.n_lines::bigint as n_lines,
       list_distinct(list_transform(u.lines, lambda x: x.ma_lk)) as claims,
       u.lines, u.outlier_score::double as outlier_score
from sg_leads_union as u
join sg_signal_names as n using (code)
order by rank
"""


def run_signals(
    con: duckdb.DuckDBPyConnection,
    *,
    params: SignalParams | None = None,
    codes: Iterable[str] | None = None,
    timings: dict[str, float] | None = None,
) -> pa.Table:
    """Compute the leads over the logical views on ``con``, ranked by money at stake.

    ``con`` must hold the views ``xml1`` and ``xml3`` (contract 6) and may hold
    ``xml4``, ``ref_techniques``, ``ref_practitioners``, ``ref_facilities``,
    ``norm_staff_minutes`` and ``device_log`` (see ``giamdinh.signals.prepare``),
    and the licence registry's ``reg_licences``, ``reg_status``,
    ``reg_registrations``, ``reg_conflicts`` with ``ref_scope_of_practice`` and
    ``ref_services`` (see ``giamdinh.signals.registry``).

    Args:
        con: the DuckDB connection with the views.
        params: thresholds and conservative fractions; the documented defaults when
            omitted.
        codes: the signals to run (``SG001``…); all when omitted.
        timings: when given, receives the wall seconds of each phase (working
            tables, each signal, ranking), for the benchmark.

    Returns:
        One row per lead, in ``LEADS_SCHEMA``, ``rank`` 1 = most money at stake.

    Raises:
        ConfigError: when a code is not a known signal.
        BackendError: when ``xml1`` or ``xml3`` is missing.
    """
    params = params or SignalParams()
    wanted = frozenset(codes) if codes is not None else frozenset(SIGNALS)
    unknown = wanted - set(SIGNALS)
    if unknown:
        msg = f"unknown signal code(s) {sorted(unknown)}; known: {sorted(SIGNALS)}"
        raise ConfigError(msg)
    prepare(con, params, timings)
    practitioners.run(con, wanted, timings)
    machines.run(con, wanted, timings)
    peers.run(con, wanted, params, timings)
    registry.run(con, wanted, timings)
    started = time.perf_counter()
    names = pa.table(
        {"code": list(SIGNALS), "name": [s.name for s in SIGNALS.values()]}
    )
    con.register("sg_signal_names", names)
    try:
        for code in sorted(set(SIGNALS) - wanted):
            con.execute(_EMPTY_LEAD.replace("__TABLE__", f"sg_lead_{code.lower()}"))
        con.execute(_UNION)
        result = con.sql(_RANKED).to_arrow_table()
    finally:
        con.unregister("sg_signal_names")
    if timings is not None:
        timings["rank"] = time.perf_counter() - started
    return result.cast(LEADS_SCHEMA)
