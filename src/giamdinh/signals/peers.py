"""Peer comparison (PEPPER style): volume and money against peers, same patients.

Per facility and service, the lines billed are compared with the lines *expected* if
the facility's own patients had been served at the rates of its peers (the other
facilities of the same tier, ``ref_facilities.tier``; one tier when absent), patient
group by patient group: indirect standardisation on the ICD-10 category of the
claim's main diagnosis (``MA_BENH_CHINH``; one group when absent). A facility that
sees more digestive patients than its peers then bills more of every digestive
service *and is expected to*: only a service ordered more often for the same kind of
patient stands out, so a lead names the service that drives the excess rather than
every service that rises with the patient mix.

A facility is a lead when its observed/expected ratio is both at the top of the
peers that bill the service (percentile rank) and far from them (robust z-score on
the median and the median absolute deviation, Iglewicz & Hoaglin), so that the top
facility of a tight group is not flagged just for being first, and when its count
is significantly above the expected count (one-sided Poisson test, Byar's
approximation, as the control limits of a funnel plot), so that a small facility is
not flagged for the noise of a few lines. The peer rates leave the facility itself
out. Leads are ranked by money at stake: the money above the expected money. A local
outlier factor (scikit-learn) over each facility's whole service mix is attached as
a secondary column only.
"""

from __future__ import annotations

import math
import time
import warnings
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
from sklearn.neighbors import LocalOutlierFactor

from giamdinh.signals.prepare import lines_by, timed_execute

if TYPE_CHECKING:
    import duckdb

    from giamdinh.signals.params import SignalParams

_MIN_LOF_FACILITIES = 3
_LOF_NEIGHBOURS = 20

STATS = """
create or replace temp table sg_peer as
with tiers as (
    select ma_cskcb::varchar as ma_cskcb, any_value(tier)::varchar as tier
    from sg_in_ref_facilities group by 1
),
fac as (
    select v.ma_cskcb, coalesce(t.tier, 'all') as tier, sum(v.visits) as visits
    from sg_visits as v left join tiers as t using (ma_cskcb)
    group by all
),
fv as (
    select v.ma_cskcb, v.dx, v.visits, f.tier
    from sg_visits as v join fac as f using (ma_cskcb)
),
fgs as (
    select ma_cskcb, dx, tech_key as service, count(*) as n, sum(money) as money,
           min(day) as d0, max(day) as d1
    from sg_lines group by ma_cskcb, dx, tech_key
),
tgs as (
    select f.tier, g.dx, g.service, sum(g.n) as n, sum(g.money) as money
    from fgs as g join fac as f using (ma_cskcb) group by all
),
tv as (select tier, dx, sum(visits) as visits from fv group by all),
fs as (
    select ma_cskcb, service, sum(n) as n, sum(money) as money, min(d0) as d0,
           max(d1) as d1
    from fgs group by all
),
expected as (
    -- each patient group of the facility at its peers' rate for that group (the
    -- facility itself left out); a group no peer sees counts as observed (neutral)
    select b.ma_cskcb, b.service,
           sum(coalesce(v.visits * (t.n - coalesce(g.n, 0))
                        / nullif(tv.visits - v.visits, 0), g.n, 0)) as expected,
           sum(coalesce(v.visits * (t.money - coalesce(g.money, 0))::double
                        / nullif(tv.visits - v.visits, 0), g.money::double, 0))
               as expected_money
    from fs as b
    join fv as v on v.ma_cskcb = b.ma_cskcb
    join tgs as t on t.tier = v.tier and t.dx is not distinct from v.dx
                 and t.service = b.service
    join tv on tv.tier = v.tier and tv.dx is not distinct from v.dx
    left join fgs as g on g.ma_cskcb = b.ma_cskcb and g.dx is not distinct from v.dx
                      and g.service = b.service
    group by all
),
rates as (
    select fs.*, f.visits, f.tier, e.expected, e.expected_money,
           fs.n * 1000.0 / f.visits as vol_rate,
           fs.money::double * 1000.0 / f.visits as money_rate,
           e.expected * 1000.0 / f.visits as vol_expected_rate,
           e.expected_money * 1000.0 / f.visits as money_expected_rate,
           fs.n / nullif(e.expected, 0) as vol_ratio,
           fs.money::double / nullif(e.expected_money, 0) as money_ratio
    from fs
    join fac as f using (ma_cskcb)
    join expected as e using (ma_cskcb, service)
),
grp as (
    select tier, service, count(*) as n_peers,
           median(vol_ratio) as vol_med, median(money_ratio) as money_med
    from rates group by tier, service
),
dev as (
    select r.*, g.n_peers, g.vol_med, g.money_med,
           abs(r.vol_ratio - g.vol_med) as vol_dev,
           abs(r.money_ratio - g.money_med) as money_dev
    from rates as r join grp as g using (tier, service)
),
spread as (
    select tier, service,
           median(vol_dev) as vol_mad, avg(vol_dev) as vol_meanad,
           median(money_dev) as money_mad, avg(money_dev) as money_meanad
    from dev group by tier, service
)
select d.*,
       percent_rank() over (partition by tier, service order by vol_ratio)
           as vol_pct,
       percent_rank() over (partition by tier, service order by money_ratio)
           as money_pct,
       case when s.vol_mad > 0 then 0.6745 * (d.vol_ratio - d.vol_med) / s.vol_mad
            when s.vol_meanad > 0
            then (d.vol_ratio - d.vol_med) / (1.253314 * s.vol_meanad) end as vol_z,
       case when s.money_mad > 0
            then 0.6745 * (d.money_ratio - d.money_med) / s.money_mad
            when s.money_meanad > 0
            then (d.money_ratio - d.money_med) / (1.253314 * s.money_meanad) end
           as money_z,
       -- Byar's approximation of the one-sided Poisson test of n observed against
       -- the count expected for the facility's own patients (funnel-plot limits)
       case when d.n > 0 and d.expected > 0
            then 3 * sqrt(d.n) * (1 - 1 / (9.0 * d.n)
                 - pow(d.expected / d.n, 1 / 3.0)) end
           as poisson_z
from dev as d join spread as s using (tier, service)
"""

SG008 = """
create or replace temp table sg_lead_sg008 as
with flagged as (
    select *, greatest(coalesce(vol_z, 0), coalesce(money_z, 0)) as z
    from sg_peer
    where n_peers >= getvariable('sg_peer_min')
      and n >= getvariable('sg_peer_min_lines')
      and poisson_z >= getvariable('sg_peer_poisson_z')
      and ((vol_pct >= getvariable('sg_peer_pct')
            and vol_z >= getvariable('sg_peer_z'))
        or (money_pct >= getvariable('sg_peer_pct')
            and money_z >= getvariable('sg_peer_z')))
),
line_lists as (
    select l.ma_cskcb, l.tech_key as service,
           __LINES_BY_DAY__
               as lines
    from sg_lines as l
    semi join flagged as f on f.ma_cskcb = l.ma_cskcb and f.service = l.tech_key
    group by l.ma_cskcb, l.tech_key
)
select 'SG008' as code, null::varchar as practitioner, null::varchar as machine,
       f.ma_cskcb, f.service as ma_dich_vu, f.d0 as period_start, f.d1 as period_end,
       f.z as score,
       cast(greatest(0, f.money - f.expected_money) as decimal(18, 2)) as amount,
       format('Cơ sở {} (hạng {}), dịch vụ {}: {} dòng, trong khi nếu chính các người '
              'bệnh của cơ sở (theo nhóm bệnh ICD-10) được chỉ định như ở {} cơ sở '
              'cùng hạng thì kỳ vọng {} dòng (tỷ số {}, trung vị các cơ sở {}, bách '
              'phân vị {}, z = {}); {} lượt / 1.000 lượt KCB so với {} kỳ vọng. Tiền '
              'vượt kỳ vọng: {} − {} = {} đ.', f.ma_cskcb, f.tier, f.service, f.n,
              f.n_peers, sg_num(f.expected), sg_num(f.vol_ratio),
              sg_num(f.vol_med), sg_num(100 * f.vol_pct), sg_num(f.vol_z),
              sg_num(f.vol_rate), sg_num(f.vol_expected_rate), sg_num(f.money),
              sg_num(f.expected_money),
              sg_num(greatest(0, f.money - f.expected_money))) as message,
       format('Facility {} (tier {}), service {}: {} lines, where {} would be expected '
              'if its own patients (by ICD-10 group of the main diagnosis) had been '
              'served as at the {} peers of its tier (ratio {}, peer median {}, '
              'percentile {}, z = {}); {} per 1,000 visits against {} expected. '
              'Money above the expected: {} − {} = {} VND.', f.ma_cskcb, f.tier,
              f.service, f.n, sg_num(f.expected), f.n_peers, sg_num(f.vol_ratio),
              sg_num(f.vol_med), sg_num(100 * f.vol_pct), sg_num(f.vol_z),
              sg_num(f.vol_rate), sg_num(f.vol_expected_rate), sg_num(f.money),
              sg_num(f.expected_money),
              sg_num(greatest(0, f.money - f.expected_money))) as message_en,
       format('{} VND billed − {} VND expected for the same patients = {} VND '
              '({} lines against {} expected)', sg_num(f.money),
              sg_num(f.expected_money),
              sg_num(greatest(0, f.money - f.expected_money)), f.n,
              sg_num(f.expected)) as arithmetic,
       to_json({'tier': f.tier, 'visits': f.visits, 'lines': f.n,
                'expected_lines': f.expected, 'volume_ratio': f.vol_ratio,
                'volume_ratio_percentile': f.vol_pct,
                'volume_ratio_peer_median': f.vol_med, 'volume_z': f.vol_z,
                'volume_per_1000': f.vol_rate,
                'expected_per_1000': f.vol_expected_rate,
                'money': f.money, 'expected_money': f.expected_money,
                'money_ratio': f.money_ratio, 'money_ratio_percentile': f.money_pct,
                'money_ratio_peer_median': f.money_med, 'money_z': f.money_z,
                'peers': f.n_peers, 'poisson_z': f.poisson_z,
                'standardised_by': 'ICD-10 category of MA_BENH_CHINH'})::varchar
           as evidence,
       len(l.lines) as n_lines,
       list_slice(l.lines, 1, getvariable('sg_max_lines')) as lines,
       null::double as outlier_score
from flagged as f
join line_lists as l using (ma_cskcb, service)
"""

SG008 = SG008.replace("__LINES_BY_DAY__", lines_by("l.day", "l."))


def _lof_scores(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Score each facility's service mix against its tier with a local outlier factor.

    The features are ``log(1 + lines per 1,000 visits)`` per service; the score is
    ``-negative_outlier_factor_`` (about 1 for inliers, larger for outliers).
    """
    rows = con.execute(
        "select tier, ma_cskcb, service, vol_rate from sg_peer order by tier, ma_cskcb"
    ).fetchall()
    by_tier: dict[str, dict[str, dict[str, float]]] = {}
    for tier, facility, service, rate in rows:
        by_tier.setdefault(tier, {}).setdefault(facility, {})[service] = float(rate)
    facilities: list[str] = []
    scores: list[float] = []
    for mix in by_tier.values():
        if len(mix) < _MIN_LOF_FACILITIES:
            continue
        names = sorted(mix)
        services = sorted({s for rates in mix.values() for s in rates})
        column = {s: i for i, s in enumerate(services)}
        matrix = np.zeros((len(names), len(services)))
        for i, name in enumerate(names):
            for service, rate in mix[name].items():
                matrix[i, column[service]] = math.log1p(rate)
        # k = 20 is scikit-learn's default; a small tier uses half its size, since with
        # k = n - 1 every neighbourhood is the whole tier and LOF flattens to 1.
        k = min(_LOF_NEIGHBOURS, max(1, (len(names) - 1) // 2))
        model = LocalOutlierFactor(n_neighbors=k)
        with warnings.catch_warnings():
            # Facilities with identical service mixes are legitimate; their score
            # is then extreme, and it is a secondary column only.
            warnings.filterwarnings(
                "ignore", message="Duplicate values", category=UserWarning
            )
            model.fit(matrix)
        facilities.extend(names)
        scores.extend(float(-x) for x in model.negative_outlier_factor_)
    return pa.table(
        {
            "ma_cskcb": pa.array(facilities, pa.string()),
            "lof": pa.array(scores, pa.float64()),
        }
    )


def run(
    con: duckdb.DuckDBPyConnection,
    codes: frozenset[str],
    params: SignalParams,
    timings: dict[str, float] | None = None,
) -> list[str]:
    """Run the peer comparison when ``SG008`` is among ``codes``."""
    if "SG008" not in codes:
        return []
    for key, value in {
        "sg_peer_min": params.peer_min_facilities,
        "sg_peer_min_lines": params.peer_min_lines,
        "sg_peer_pct": params.peer_percentile,
        "sg_peer_z": params.peer_min_z,
        "sg_peer_poisson_z": params.peer_min_poisson_z,
    }.items():
        con.execute(f"set variable {key} = $v", {"v": value})
    timed_execute(con, STATS, "SG008: peer statistics", timings)
    timed_execute(con, SG008, "SG008", timings)
    ((count,),) = con.execute("select count(*) from sg_lead_sg008").fetchall()
    if not count:
        return ["sg_lead_sg008"]
    started = time.perf_counter()
    con.register("sg_lof_src", _lof_scores(con))
    con.execute(
        "update sg_lead_sg008 as l set outlier_score = s.lof "
        "from sg_lof_src as s where s.ma_cskcb = l.ma_cskcb"
    )
    con.unregister("sg_lof_src")
    if timings is not None:
        timings["SG008: local outlier factor"] = time.perf_counter() - started
    return ["sg_lead_sg008"]
