"""Peer comparison (PEPPER style): volume and money per 1,000 visits against peers.

Per facility and service, the rate per 1,000 visits (claims, ``MA_LK`` of XML1) is
ranked within the facilities of the same tier (``ref_facilities.tier``; one tier when
absent) that bill the service. A facility is a lead when it is both at the top of its
peers (percentile rank) and far from them (robust z-score on the median and the median
absolute deviation, Iglewicz & Hoaglin), so that the top facility of a tight group is
not flagged just for being first, and when its count is significantly above the count
expected at the peer median rate (one-sided Poisson test, Byar's approximation, as
the control limits of a funnel plot), so that a small facility is not flagged for
the noise of a few lines. Leads are ranked by money at stake: the money above
the peer median rate. A local outlier factor (scikit-learn) over each facility's whole
service mix is attached as a secondary column only.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
from sklearn.neighbors import LocalOutlierFactor

if TYPE_CHECKING:
    import duckdb

    from giamdinh.signals.params import SignalParams

_MIN_LOF_FACILITIES = 3
_LOF_NEIGHBOURS = 20

STATS = """
create or replace temp table sg_peer as
with visits as (
    select ma_cskcb::varchar as ma_cskcb, count(distinct ma_lk) as visits
    from xml1 group by 1
),
fs as (
    select ma_cskcb, tech_key as service, count(*) as n, sum(money) as money,
           min(day) as d0, max(day) as d1
    from sg_lines group by ma_cskcb, tech_key
),
rates as (
    select fs.*, v.visits, coalesce(t.tier::varchar, 'all') as tier,
           fs.n * 1000.0 / v.visits as vol_rate,
           fs.money::double * 1000.0 / v.visits as money_rate
    from fs
    join visits as v using (ma_cskcb)
    left join (select ma_cskcb::varchar as ma_cskcb, any_value(tier) as tier
               from sg_in_ref_facilities group by 1) as t using (ma_cskcb)
),
grp as (
    select tier, service, count(*) as n_peers,
           median(vol_rate) as vol_med, median(money_rate) as money_med,
           quantile_cont(money_rate, 0.9) as money_p90
    from rates group by tier, service
),
dev as (
    select r.*, g.n_peers, g.vol_med, g.money_med, g.money_p90,
           abs(r.vol_rate - g.vol_med) as vol_dev,
           abs(r.money_rate - g.money_med) as money_dev
    from rates as r join grp as g using (tier, service)
),
spread as (
    select tier, service,
           median(vol_dev) as vol_mad, avg(vol_dev) as vol_meanad,
           median(money_dev) as money_mad, avg(money_dev) as money_meanad
    from dev group by tier, service
)
select d.*,
       percent_rank() over (partition by tier, service order by vol_rate) as vol_pct,
       percent_rank() over (partition by tier, service order by money_rate)
           as money_pct,
       case when s.vol_mad > 0 then 0.6745 * (d.vol_rate - d.vol_med) / s.vol_mad
            when s.vol_meanad > 0
            then (d.vol_rate - d.vol_med) / (1.253314 * s.vol_meanad) end as vol_z,
       case when s.money_mad > 0
            then 0.6745 * (d.money_rate - d.money_med) / s.money_mad
            when s.money_meanad > 0
            then (d.money_rate - d.money_med) / (1.253314 * s.money_meanad) end
           as money_z,
       d.vol_med * d.visits / 1000.0 as expected,
       -- Byar's approximation of the one-sided Poisson test of n observed against
       -- the count expected at the peer median rate (funnel-plot limits)
       case when d.n > 0 and d.vol_med > 0
            then 3 * sqrt(d.n) * (1 - 1 / (9.0 * d.n)
                 - pow(d.vol_med * d.visits / 1000.0 / d.n, 1 / 3.0)) end
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
           list({'ma_lk': l.ma_lk, 'stt': l.stt} order by l.day, l.ma_lk, l.stt)
               as lines
    from sg_lines as l
    semi join flagged as f on f.ma_cskcb = l.ma_cskcb and f.service = l.tech_key
    group by l.ma_cskcb, l.tech_key
)
select 'SG008' as code, null::varchar as practitioner, null::varchar as machine,
       f.ma_cskcb, f.service as ma_dich_vu, f.d0 as period_start, f.d1 as period_end,
       f.z as score,
       cast(greatest(0, f.money_rate - f.money_med) * f.visits / 1000.0
            as decimal(18, 2)) as amount,
       format('Cơ sở {} (hạng {}), dịch vụ {}: {} lượt / 1.000 lượt KCB (bách phân '
              'vị {}, trung vị {} cơ sở cùng hạng {}, z = {}; {} dòng so với {} kỳ '
              'vọng); chi phí {} đ / 1.000 '
              'lượt (trung vị {} đ, z = {}). Tiền vượt trung vị: ({} − {}) × {} / '
              '1.000 = {} đ.', f.ma_cskcb, f.tier, f.service, sg_num(f.vol_rate),
              sg_num(100 * f.vol_pct), f.n_peers, sg_num(f.vol_med), sg_num(f.vol_z),
              f.n, sg_num(f.expected),
              sg_num(f.money_rate), sg_num(f.money_med), sg_num(f.money_z),
              sg_num(f.money_rate), sg_num(f.money_med), f.visits,
              sg_num(greatest(0, f.money_rate - f.money_med) * f.visits / 1000.0))
           as message,
       format('Facility {} (tier {}), service {}: {} per 1,000 visits (percentile {}, '
              'median of {} peers {}, z = {}; {} lines against {} expected); {} VND '
              'per 1,000 visits (median {}, '
              'z = {}). Money above the median: ({} − {}) × {} / 1,000 = {} VND.',
              f.ma_cskcb, f.tier, f.service, sg_num(f.vol_rate),
              sg_num(100 * f.vol_pct), f.n_peers, sg_num(f.vol_med), sg_num(f.vol_z),
              f.n, sg_num(f.expected),
              sg_num(f.money_rate), sg_num(f.money_med), sg_num(f.money_z),
              sg_num(f.money_rate), sg_num(f.money_med), f.visits,
              sg_num(greatest(0, f.money_rate - f.money_med) * f.visits / 1000.0))
           as message_en,
       format('({} − {}) VND per 1,000 visits × {} visits / 1,000 = {} VND',
              sg_num(f.money_rate), sg_num(f.money_med), f.visits,
              sg_num(greatest(0, f.money_rate - f.money_med) * f.visits / 1000.0))
           as arithmetic,
       to_json({'tier': f.tier, 'visits': f.visits, 'lines': f.n,
                'volume_per_1000': f.vol_rate, 'volume_percentile': f.vol_pct,
                'volume_peer_median': f.vol_med, 'volume_z': f.vol_z,
                'money_per_1000': f.money_rate, 'money_percentile': f.money_pct,
                'money_peer_median': f.money_med, 'money_peer_p90': f.money_p90,
                'money_z': f.money_z, 'peers': f.n_peers,
                'expected_lines': f.expected, 'poisson_z': f.poisson_z})::varchar
           as evidence,
       list_slice(l.lines, 1, getvariable('sg_max_lines')) as lines,
       null::double as outlier_score
from flagged as f
join line_lists as l using (ma_cskcb, service)
"""


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
    con: duckdb.DuckDBPyConnection, codes: frozenset[str], params: SignalParams
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
    con.execute(STATS)
    con.execute(SG008)
    ((count,),) = con.execute("select count(*) from sg_lead_sg008").fetchall()
    if not count:
        return ["sg_lead_sg008"]
    con.register("sg_lof_src", _lof_scores(con))
    con.execute(
        "update sg_lead_sg008 as l set outlier_score = s.lof "
        "from sg_lof_src as s where s.ma_cskcb = l.ma_cskcb"
    )
    con.unregister("sg_lof_src")
    return ["sg_lead_sg008"]
