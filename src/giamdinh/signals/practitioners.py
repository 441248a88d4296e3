"""Practitioner signals: impossible days, declared time, two places, not registered.

Each function runs one set-based SQL statement over the ``sg_*`` working tables
(``giamdinh.signals.prepare``) and leaves its leads in a temporary table
``sg_lead_<code>`` with the common lead columns (see ``giamdinh.signals.run``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from giamdinh.signals.prepare import lines_by, timed_execute

if TYPE_CHECKING:
    import duckdb

# One row per person and line: a person who both performs and reads a line counts it
# once, with the larger share of minutes (performing; ``sg_people`` gives the reading
# row of a line's own performer 0 minutes). Only the busy person-days are grouped.
_PERSON_LINES = """
pl as (
    select person, ma_lk, stt,
           max(minutes) as minutes,
           arg_max(day, minutes) as day,
           any_value(ma_cskcb) as ma_cskcb,
           any_value(tech_key) as tech_key,
           any_value(money) as money,
           string_agg(distinct role, '+' order by role) as roles
    from sg_people
    semi join sg_pday_busy as b using (person, day)
    group by person, ma_lk, stt
)
"""

#: Minutes per person and day, computed once for SG001 and SG002; only the days over
#: the smallest threshold either signal can use are kept with their lines.
PERSON_DAY = """
create or replace temp table sg_pday as
select person, day, sum(minutes) as total
from sg_people group by person, day;
create or replace temp table sg_pday_busy as
select person, day from sg_pday
where total > least(getvariable('sg_day'),
                    getvariable('sg_overtime') * (select coalesce(min(
                        declared_minutes), getvariable('sg_day'))
                        from sg_declared where declared_minutes > 0));
"""

_DAY_TERMS = """
terms as (
    select pl.person, pl.day, pl.tech_key, pl.minutes, count(*) as n
    from pl semi join flagged as f on f.person = pl.person and f.day = pl.day
    group by all
),
arith as (
    select person, day,
           string_agg(format('{} × {} phút [{}]', n, sg_num(minutes), tech_key),
                      ' + ' order by n * minutes desc, tech_key) as terms_vi,
           string_agg(format('{} × {} min [{}]', n, sg_num(minutes), tech_key),
                      ' + ' order by n * minutes desc, tech_key) as terms_en
    from terms group by person, day
),
line_lists as (
    select pl.person, pl.day,
           list({'ma_lk': pl.ma_lk, 'stt': pl.stt} order by pl.ma_lk, pl.stt)
               as lines
    from pl semi join flagged as f on f.person = pl.person and f.day = pl.day
    group by pl.person, pl.day
)
"""

SG001 = """
create or replace temp table sg_lead_sg001 as
with __PERSON_LINES__,
per_day as (
    select person, day, sum(minutes) as total, count(*) as n, sum(money) as money,
           string_agg(distinct ma_cskcb, ';' order by ma_cskcb) as facilities,
           count(*) filter (where roles like '%reader%') as n_read
    from pl group by person, day
),
flagged as (select * from per_day where total > getvariable('sg_day')),
__DAY_TERMS__
select 'SG001' as code, f.person as practitioner, null::varchar as machine,
       f.facilities as ma_cskcb, null::varchar as ma_dich_vu,
       f.day as period_start, f.day as period_end,
       f.total / getvariable('sg_day') as score,
       cast(f.money * (f.total - getvariable('sg_day')) / f.total as decimal(18, 2))
           as amount,
       format('Ngày {}, người hành nghề {} (cơ sở {}): {} = {} phút, vượt {} phút '
              '(24 giờ) ngay cả khi mỗi dịch vụ chỉ mất {}% thời gian tham chiếu.',
              f.day, f.person, f.facilities, a.terms_vi, sg_num(f.total),
              sg_num(getvariable('sg_day')),
              sg_num(100 * getvariable('sg_pf'))) as message,
       format('On {}, practitioner {} (facility {}): {} = {} min, more than the {} '
              'min (24 h) of a day even if each service took only {}% of its '
              'reference time.',
              f.day, f.person, f.facilities, a.terms_en, sg_num(f.total),
              sg_num(getvariable('sg_day')),
              sg_num(100 * getvariable('sg_pf'))) as message_en,
       format('{} = {} min > {} min', a.terms_en, sg_num(f.total),
              sg_num(getvariable('sg_day'))) as arithmetic,
       to_json({'day': f.day, 'total_minutes': f.total,
                'limit_minutes': getvariable('sg_day'), 'lines': f.n,
                'lines_read': f.n_read, 'facilities': f.facilities,
                'performer_fraction': getvariable('sg_pf'),
                'reader_fraction': getvariable('sg_rf')})::varchar as evidence,
       len(l.lines) as n_lines,
       list_slice(l.lines, 1, getvariable('sg_max_lines')) as lines,
       null::double as outlier_score
from flagged as f
join arith as a using (person, day)
join line_lists as l using (person, day)
"""

SG002 = """
create or replace temp table sg_lead_sg002 as
with __PERSON_LINES__,
per_day as (
    select person, day, sum(minutes) as total, count(*) as n, sum(money) as money,
           string_agg(distinct ma_cskcb, ';' order by ma_cskcb) as facilities
    from pl group by person, day
    having sum(minutes) <= getvariable('sg_day')
),
declared as (
    select p.person, p.day,
           sum(d.declared_minutes) as declared,
           count(*) filter (where d.declared_minutes is null) as unknown,
           string_agg(format('{}: {}', d.ma_cskcb, sg_num(d.declared_minutes)),
                      '; ' order by d.ma_cskcb) as detail
    from per_day as p
    join (
        select person, ma_cskcb, valid_from, valid_to,
               max(declared_minutes) as declared_minutes
        from sg_declared group by all
    ) as d
      on d.person = p.person
     and (d.valid_from is null or d.valid_from <= p.day)
     and (d.valid_to is null or p.day <= d.valid_to)
    group by p.person, p.day
),
flagged as (
    select p.*, d.declared, d.detail,
           d.declared * getvariable('sg_overtime') as limit_minutes
    from per_day as p join declared as d using (person, day)
    where d.unknown = 0 and d.declared > 0
      and p.total > d.declared * getvariable('sg_overtime')
),
__DAY_TERMS__
select 'SG002' as code, f.person as practitioner, null::varchar as machine,
       f.facilities as ma_cskcb, null::varchar as ma_dich_vu,
       f.day as period_start, f.day as period_end,
       f.total / f.limit_minutes as score,
       cast(f.money * (f.total - f.limit_minutes) / f.total as decimal(18, 2))
           as amount,
       format('Ngày {}, người hành nghề {}: {} = {} phút, vượt thời gian làm việc '
              'đăng ký {} phút × {} (kể cả làm thêm giờ) = {} phút (Mẫu 02/DM: {}).',
              f.day, f.person, a.terms_vi, sg_num(f.total), sg_num(f.declared),
              sg_num(getvariable('sg_overtime')), sg_num(f.limit_minutes),
              f.detail) as message,
       format('On {}, practitioner {}: {} = {} min, more than the declared working '
              'time {} min × {} (overtime included) = {} min (form 02/DM: {}).',
              f.day, f.person, a.terms_en, sg_num(f.total), sg_num(f.declared),
              sg_num(getvariable('sg_overtime')), sg_num(f.limit_minutes),
              f.detail) as message_en,
       format('{} = {} min > {} min × {} = {} min', a.terms_en, sg_num(f.total),
              sg_num(f.declared), sg_num(getvariable('sg_overtime')),
              sg_num(f.limit_minutes)) as arithmetic,
       to_json({'day': f.day, 'total_minutes': f.total,
                'declared_minutes': f.declared, 'limit_minutes': f.limit_minutes,
                'declared_by_facility': f.detail, 'lines': f.n,
                'facilities': f.facilities})::varchar as evidence,
       len(l.lines) as n_lines,
       list_slice(l.lines, 1, getvariable('sg_max_lines')) as lines,
       null::double as outlier_score
from flagged as f
join arith as a using (person, day)
join line_lists as l using (person, day)
"""

# Intervals are lower bounds too: a performer is busy from NGAY_TH_YL for the
# conservative minutes of the service, never past the result time (NGAY_KQ).
SG006 = """
create or replace temp table sg_lead_sg006 as
with iv as (
    select distinct person, ma_cskcb, ma_lk, stt, day, money, t_start as s,
           t_start + to_seconds(cast(60 * greatest(1, case
               when t_result > t_start
               then least(minutes, date_diff('second', t_start, t_result) / 60.0)
               else minutes end) as bigint)) as e
    from sg_people
    where role = 'performer' and minutes > 0 and t_start is not null
      and (person, day) in (
          -- only a person performing at two facilities on one day can overlap
          select (person, day) from sg_people
          where role = 'performer' and minutes > 0 and t_start is not null
          group by person, day having count(distinct ma_cskcb) > 1)
),
marked as (
    select *,
           case when s < max(e) over w then 0 else 1 end as new_island
    from iv
    window w as (partition by person, ma_cskcb order by s, e, ma_lk, stt
                 rows between unbounded preceding and 1 preceding)
),
numbered as (
    select *,
           sum(new_island) over (partition by person, ma_cskcb order by s, e, ma_lk,
                                 stt rows unbounded preceding) as island
    from marked
),
islands as (
    select person, ma_cskcb, island, min(s) as s, max(e) as e, min(day) as day,
           sum(money) as money,
           list({'ma_lk': ma_lk, 'stt': stt} order by s, ma_lk, stt) as lines
    from numbered group by person, ma_cskcb, island
),
ordered as (
    select *,
           max(e + to_seconds(cast(60 * getvariable('sg_travel') as bigint)))
               over w as prev_e,
           arg_max(ma_cskcb, e) over w as prev_facility,
           arg_max(island, e) over w as prev_island,
           arg_max(s, e) over w as prev_s,
           arg_max(e, e) over w as prev_end
    from islands
    window w as (partition by person order by s, e, ma_cskcb
                 rows between unbounded preceding and 1 preceding)
),
hits as (
    select person, day, ma_cskcb, island, s, e, prev_facility, prev_island,
           prev_s, prev_end
    from ordered
    where s < prev_e and prev_facility <> ma_cskcb
),
involved as (
    select person, day as lead_day, ma_cskcb, island from hits
    union
    select person, day as lead_day, prev_facility, prev_island from hits
),
inv_islands as (
    select v.person, v.lead_day, i.ma_cskcb, i.money, i.lines, i.s, i.e
    from involved as v
    join islands as i using (person, ma_cskcb, island)
),
per_facility as (
    select person, lead_day, ma_cskcb, sum(money) as money
    from inv_islands group by all
),
agg as (
    select person, lead_day,
           string_agg(distinct ma_cskcb, ';' order by ma_cskcb) as facilities,
           flatten(list(lines order by s)) as lines,
           min(s)::date as period_start, max(e)::date as period_end
    from inv_islands group by person, lead_day
),
pairs as (
    select person, day as lead_day, count(*) as n_pairs,
           array_to_string(list_slice(list(format('{} {}–{} ∩ {} {}–{}',
                             prev_facility, strftime(prev_s, '%Y-%m-%d %H:%M'),
                             strftime(prev_end, '%H:%M'), ma_cskcb,
                             strftime(s, '%Y-%m-%d %H:%M'), strftime(e, '%H:%M'))
                      order by s), 1, 5), '; ')
           || case when count(*) > 5 then format('; … (+{})', count(*) - 5)
                   else '' end as detail,
           sum(date_diff('second', s, least(e, prev_end)) / 60.0) as overlap_min
    from hits group by person, day
),
money as (
    select person, lead_day, sum(money) - max(money) as amount
    from per_facility group by all
)
select 'SG006' as code, a.person as practitioner, null::varchar as machine,
       a.facilities as ma_cskcb, null::varchar as ma_dich_vu,
       a.period_start, a.period_end,
       p.n_pairs::double as score,
       cast(m.amount as decimal(18, 2)) as amount,
       format('Ngày {}, người hành nghề {} thực hiện dịch vụ tại {} cơ sở ({}) cùng '
              'lúc: {} lần chồng lấn, tổng {} phút ({}).', a.lead_day, a.person,
              len(string_split(a.facilities, ';')), a.facilities, p.n_pairs,
              sg_num(p.overlap_min), p.detail) as message,
       format('On {}, practitioner {} performed services at {} facilities ({}) at '
              'the same time: {} overlaps, {} min in total ({}).', a.lead_day,
              a.person, len(string_split(a.facilities, ';')), a.facilities,
              p.n_pairs, sg_num(p.overlap_min), p.detail) as message_en,
       p.detail as arithmetic,
       to_json({'day': a.lead_day, 'overlaps': p.n_pairs,
                'overlap_minutes': p.overlap_min, 'facilities': a.facilities,
                'travel_minutes': getvariable('sg_travel'),
                'performer_fraction': getvariable('sg_pf')})::varchar as evidence,
       len(a.lines) as n_lines,
       list_slice(a.lines, 1, getvariable('sg_max_lines')) as lines,
       null::double as outlier_score
from agg as a
join pairs as p using (person, lead_day)
join money as m using (person, lead_day)
"""

# Registered at a facility = an M02 row of that facility (or one listing it in
# CSKCB_KHAC) valid on the day. Only facilities whose M02 was loaded are judged, and
# staff mobilised to another facility (code suffix .C.XXXXX) are exempt.
SG007 = """
create or replace temp table sg_lead_sg007 as
with loaded as (select distinct ma_cskcb from sg_declared where ma_cskcb is not null),
reg as (
    select person, ma_cskcb as facility, valid_from, valid_to from sg_declared
    union all
    select person, trim(unnest(string_split(cskcb_khac, ';'))) as facility,
           valid_from, valid_to
    from sg_declared where cskcb_khac is not null
),
pl as (
    select person, ma_cskcb, ma_lk, stt, day, money
    from sg_people
    where role = 'performer' and not mobilised
      and ma_cskcb in (select ma_cskcb from loaded)
),
unregistered as (
    -- de-duplicated after the anti join, on the few lines left
    select distinct pl.* from pl
    anti join reg as r
      on r.person = pl.person and r.facility = pl.ma_cskcb
     and (r.valid_from is null or r.valid_from <= pl.day)
     and (r.valid_to is null or pl.day <= r.valid_to)
),
elsewhere as (
    select person, string_agg(distinct facility, ';' order by facility) as at
    from reg group by person
),
agg as (
    select person, ma_cskcb, min(day) as period_start, max(day) as period_end,
           count(*) as n, count(distinct day) as n_days, sum(money) as money,
           __LINES_BY_DAY__ as lines
    from unregistered group by person, ma_cskcb
)
select 'SG007' as code, a.person as practitioner, null::varchar as machine,
       a.ma_cskcb, null::varchar as ma_dich_vu, a.period_start, a.period_end,
       a.n::double as score, cast(a.money as decimal(18, 2)) as amount,
       format('Người hành nghề {} thực hiện {} dịch vụ trong {} ngày ({} – {}) tại cơ '
              'sở {} nhưng không có trong Mẫu 02/DM của cơ sở này vào các ngày đó'
              '{}.', a.person, a.n, a.n_days, a.period_start, a.period_end,
              a.ma_cskcb, case when e.at is null then ''
                               else format(' (đăng ký tại: {})', e.at) end)
           as message,
       format('Practitioner {} performed {} services on {} days ({} – {}) at '
              'facility {} but is not in its form 02/DM on those days{}.', a.person,
              a.n, a.n_days, a.period_start, a.period_end, a.ma_cskcb,
              case when e.at is null then ''
                   else format(' (registered at: {})', e.at) end) as message_en,
       format('{} lines at {} without a valid M02 row', a.n, a.ma_cskcb)
           as arithmetic,
       to_json({'facility': a.ma_cskcb, 'lines': a.n, 'days': a.n_days,
                'registered_at': e.at})::varchar as evidence,
       len(a.lines) as n_lines,
       list_slice(a.lines, 1, getvariable('sg_max_lines')) as lines,
       null::double as outlier_score
from agg as a
left join elsewhere as e using (person)
"""

SG007 = SG007.replace("__LINES_BY_DAY__", lines_by("day", ""))
SG001 = SG001.replace("__PERSON_LINES__", _PERSON_LINES).replace(
    "__DAY_TERMS__", _DAY_TERMS
)
SG002 = SG002.replace("__PERSON_LINES__", _PERSON_LINES).replace(
    "__DAY_TERMS__", _DAY_TERMS
)

STATEMENTS = {"SG001": SG001, "SG002": SG002, "SG006": SG006, "SG007": SG007}


def run(
    con: duckdb.DuckDBPyConnection,
    codes: frozenset[str],
    timings: dict[str, float] | None = None,
) -> list[str]:
    """Run the practitioner signals among ``codes``; return their lead tables."""
    tables: list[str] = []
    if codes & {"SG001", "SG002"}:
        timed_execute(con, PERSON_DAY, "SG001/SG002: person-days", timings)
    for code, sql in STATEMENTS.items():
        if code in codes:
            timed_execute(con, sql, code, timings)
            tables.append(f"sg_lead_{code.lower()}")
    return tables
