"""Machine signals: daily capacity, overlapping studies, studies without device records.

Device times (PACS/DICOM/device logs) are machine time, not process time (MoH, seeds
001/002): they are used here only to show that one machine was recorded doing two
things at once, or nothing at all, never to judge how long a service should take.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from giamdinh.signals.prepare import lines_by, timed_execute

if TYPE_CHECKING:
    import duckdb

# Device records resolved to the billed machine code: a DICOM header may carry only the
# serial (DeviceSerialNumber), which is the last part Z of MA_MAY = XX.n.YYYYY.Z.
DEVICE = r"""
create or replace temp table sg_device as
with raw as (
    select trim(ma_may::varchar) as ma_may, study_uid::varchar as study_uid,
           nullif(trim(ma_lk::varchar), '') as ma_lk, stt::bigint as stt,
           t_start::timestamp as t_start,
           greatest(coalesce(t_end::timestamp, t_start::timestamp),
                    t_start::timestamp) as t_end,
           source::varchar as source
    from sg_in_device_log
    where t_start is not null and ma_may is not null and trim(ma_may::varchar) <> ''
),
billed as (
    select distinct machine,
           regexp_extract(machine, '^[A-ZĐ]{2,3}\.(?:[12]\.\d{5}|3[^.]*)\.(.+)$', 1)
               as serial
    from sg_machine_map
),
codes as (
    -- each distinct device code resolved once, not per record
    select ma_may, sg_mgroup(ma_may) is not null as full_code
    from (select distinct ma_may from raw)
),
code_map as (
    select c.ma_may, case when c.full_code then c.ma_may else b.machine end
               as machine
    from codes as c
    left join billed as b on not c.full_code and b.serial = c.ma_may
),
resolved as (
    select m.machine, r.*
    from raw as r join code_map as m using (ma_may)
)
select machine,
       coalesce(study_uid, ma_lk || '#' || stt, t_start::varchar) as study,
       min(t_start) as s, max(t_end) as e,
       any_value(ma_lk) as ma_lk, any_value(stt) as stt,
       -- the kinds of record (csv, dicom): the first and last by name
       min(source) || case when max(source) > min(source) then '+' || max(source)
                           else '' end as source
from resolved
where machine is not null
group by machine, study
"""

_ML = """
ml as (
    select machine, ma_lk, stt, day, tech_key, minutes, money, ma_cskcb, t_start,
           t_result
    from sg_mlines
)
"""

# Machine-days are summed once, with plain aggregates; only the few days over the
# capacity go on to the costly parts (facilities, terms, line lists).
MACHINE_DAY = """
create or replace temp table sg_mday_over as
select machine, day, sum(minutes) as total, count(*) as n, sum(money) as money
from sg_mlines where day is not null
group by machine, day
having sum(minutes) > getvariable('sg_day')
"""

SG003 = """
create or replace temp table sg_lead_sg003 as
with ml as (
    select m.machine, m.ma_lk, m.stt, m.day, m.tech_key, m.minutes, m.ma_cskcb,
           m.t_start
    from sg_mlines as m
    semi join sg_mday_over as f using (machine, day)
),
flagged as (
    select f.*, x.facilities
    from sg_mday_over as f
    join (select machine, day,
                 string_agg(distinct ma_cskcb, ';' order by ma_cskcb) as facilities
          from ml group by machine, day) as x using (machine, day)
),
terms as (
    select machine, day, tech_key, minutes, count(*) as n
    from ml group by all
),
arith as (
    select machine, day,
           string_agg(format('{} × {} phút [{}]', n, sg_num(minutes), tech_key),
                      ' + ' order by n * minutes desc, tech_key) as terms_vi,
           string_agg(format('{} × {} min [{}]', n, sg_num(minutes), tech_key),
                      ' + ' order by n * minutes desc, tech_key) as terms_en
    from terms group by machine, day
),
line_lists as (
    select machine, day,
           list({'ma_lk': ma_lk, 'stt': stt} order by t_start, ma_lk, stt) as lines
    from ml group by machine, day
)
select 'SG003' as code, null::varchar as practitioner, f.machine,
       f.facilities as ma_cskcb, null::varchar as ma_dich_vu,
       f.day as period_start, f.day as period_end,
       f.total / getvariable('sg_day') as score,
       cast(f.money * (f.total - getvariable('sg_day')) / f.total as decimal(18, 2))
           as amount,
       format('Ngày {}, máy {} (cơ sở {}): {} = {} phút máy, vượt {} phút '
              'một ngày có, ngay cả khi mỗi ca chỉ chiếm {}% thời gian tham chiếu.',
              f.day, f.machine, f.facilities, a.terms_vi, sg_num(f.total),
              sg_num(getvariable('sg_day')), sg_num(100 * getvariable('sg_mf')))
           as message,
       format('On {}, machine {} (facility {}): {} = {} machine minutes, more '
              'than the {} min of a day even if each study took only {}% of its '
              'reference time.', f.day, f.machine, f.facilities, a.terms_en,
              sg_num(f.total), sg_num(getvariable('sg_day')),
              sg_num(100 * getvariable('sg_mf'))) as message_en,
       format('{} = {} min > {} min', a.terms_en, sg_num(f.total),
              sg_num(getvariable('sg_day'))) as arithmetic,
       to_json({'day': f.day, 'total_minutes': f.total,
                'capacity_minutes': getvariable('sg_day'), 'studies': f.n,
                'machine_fraction': getvariable('sg_mf')})::varchar as evidence,
       len(l.lines) as n_lines,
       list_slice(l.lines, 1, getvariable('sg_max_lines')) as lines,
       null::double as outlier_score
from flagged as f
join arith as a using (machine, day)
join line_lists as l using (machine, day)
"""

# Overlaps: device intervals where the machine has device records, otherwise the
# claim's start time plus the conservative machine minutes, never past NGAY_KQ.
# Laboratory analysers (0 minutes) run many samples at once and are not checked.
# Overlapping studies are found in one window pass and kept in a small table, so the
# evidence and line lists that follow never join the whole machine-line table blind.
SG004_HITS = """
create or replace temp table sg_mhits as
with __ML__,
logged as (select distinct machine from sg_device),
iv as (
    select machine, ma_lk, stt, s, e, 'device' as source from sg_device
    union all
    select machine, ma_lk, stt, t_start as s,
           t_start + to_seconds(cast(60 * greatest(1, case
               when t_result > t_start
               then least(minutes, date_diff('second', t_start, t_result) / 60.0)
               else minutes end) as bigint)) as e,
           'claims' as source
    from ml
    where minutes > 0 and t_start is not null
      and machine not in (select machine from logged)
),
ordered as (
    select *,
           row_number() over w0 as rn,
           max(e) over (w0 rows between unbounded preceding and 1 preceding)
               as prev_e
    from iv
    window w0 as (partition by machine order by s, e, ma_lk, stt)
),
hit0 as (select * from ordered where s < prev_e),
-- the earlier study still running (the one with the latest end), looked up for the
-- few overlapping studies only rather than carried through the whole window
prevs as (
    select h.machine, h.rn,
           arg_max({'ma_lk': o.ma_lk, 'stt': o.stt, 's': o.s, 'e': o.e}, o.rn)
               as prev
    from hit0 as h
    join ordered as o on o.machine = h.machine and o.e = h.prev_e and o.rn < h.rn
    group by h.machine, h.rn
)
select h.*, p.prev, h.s::date as day,
       date_diff('second', h.s, least(h.e, p.prev.e)) / 60.0 as overlap_min
from hit0 as h join prevs as p using (machine, rn)
"""

SG004 = """
create or replace temp table sg_lead_sg004 as
with hits as (select * from sg_mhits),
per_day as (
    select machine, day, count(*) as n, any_value(source) as source,
           sum(overlap_min) as overlap_min,
           array_to_string(list_slice(list(format('{}#{} {}–{} ∩ {}#{} {}–{}',
                             prev.ma_lk, prev.stt, strftime(prev.s, '%H:%M:%S'),
                             strftime(prev.e, '%H:%M:%S'), ma_lk, stt,
                             strftime(s, '%H:%M:%S'), strftime(e, '%H:%M:%S'))
                      order by s), 1, 5), '; ')
           || case when count(*) > 5 then format('; … (+{})', count(*) - 5)
                   else '' end as detail
    from hits group by machine, day
    having count(*) >= getvariable('sg_min_overlaps')
),
hit_lines as (
    select machine, day, ma_lk, stt, true as later from hits where ma_lk is not null
    union
    select machine, day, prev.ma_lk, prev.stt, false from hits
    where prev.ma_lk is not null
),
ml as (
    select m.machine, m.ma_lk, m.stt, m.money, m.ma_cskcb
    from sg_mlines as m
    semi join (select distinct machine, ma_lk, stt from hit_lines) as h
        using (machine, ma_lk, stt)
),
lines as (
    select h.machine, h.day,
           list(distinct {'ma_lk': h.ma_lk, 'stt': h.stt}) as lines,
           sum(ml.money) filter (where h.later) as money,
           string_agg(distinct ml.ma_cskcb, ';' order by ml.ma_cskcb) as facilities
    from hit_lines as h
    left join ml on ml.machine = h.machine and ml.ma_lk = h.ma_lk
                and ml.stt = h.stt
    group by h.machine, h.day
)
select 'SG004' as code, null::varchar as practitioner, p.machine,
       coalesce(l.facilities, regexp_extract(p.machine, '^[^.]+\\.[12]\\.(\\d{5})', 1))
           as ma_cskcb,
       null::varchar as ma_dich_vu, p.day as period_start, p.day as period_end,
       p.n::double as score, cast(coalesce(l.money, 0) as decimal(18, 2)) as amount,
       format('Ngày {}, máy {}: {} ca chồng lấn thời gian ({} phút) theo {}: {}.',
              p.day, p.machine, p.n, sg_num(p.overlap_min),
              case when p.source = 'device' then 'nhật ký thiết bị'
                   else 'thời gian trên hồ sơ (NGAY_TH_YL + thời gian tối thiểu)' end,
              p.detail) as message,
       format('On {}, machine {}: {} overlapping studies ({} min) per {}: {}.',
              p.day, p.machine, p.n, sg_num(p.overlap_min),
              case when p.source = 'device' then 'the device log'
                   else 'claim times (NGAY_TH_YL + minimum minutes)' end, p.detail)
           as message_en,
       p.detail as arithmetic,
       to_json({'day': p.day, 'overlaps': p.n, 'overlap_minutes': p.overlap_min,
                'source': p.source,
                'machine_fraction': getvariable('sg_mf')})::varchar as evidence,
       len(coalesce(l.lines, [])) as n_lines,
       list_slice(coalesce(l.lines, []), 1, getvariable('sg_max_lines')) as lines,
       null::double as outlier_score
from per_day as p
left join lines as l using (machine, day)
"""

# Only facilities that sent device records are judged, only within the days their
# records cover, and only machine groups they record (an X-ray room without a log in
# a facility that logs its X-ray rooms; never a lab analyser nobody logs).
SG005 = r"""
create or replace temp table sg_lead_sg005 as
with dev as (
    select d.machine, d.ma_lk, d.stt, d.s::date as day,
           coalesce(l.ma_cskcb,
                    nullif(regexp_extract(d.machine, '^[^.]+\.[12]\.(\d{5})', 1), ''))
               as ma_cskcb
    from sg_device as d
    left join sg_lines as l on l.ma_lk = d.ma_lk and l.stt = d.stt
),
fac_span as (
    select ma_cskcb, min(day) as d0, max(day) as d1 from dev
    where ma_cskcb is not null group by ma_cskcb
),
fac_groups as (
    select distinct ma_cskcb, sg_mgroup(machine) as mgroup from dev
),
machine_span as (
    select machine, min(day) as d0, max(day) as d1,
           count(ma_lk) as linked from dev group by machine
),
cand as (
    select m.machine, m.ma_lk, m.stt, m.day, m.money, m.ma_cskcb
    from sg_mlines as m
    join fac_span as f on f.ma_cskcb = m.ma_cskcb and m.day between f.d0 and f.d1
    join fac_groups as g on g.ma_cskcb = m.ma_cskcb and g.mgroup = m.mgroup
),
absent as (
    select c.*, 'machine' as kind from cand as c
    anti join machine_span as s on s.machine = c.machine
),
unmatched as (
    select c.*, 'study' as kind from cand as c
    join machine_span as s on s.machine = c.machine and s.linked > 0
                          and c.day between s.d0 and s.d1
    anti join sg_device as d
      on d.machine = c.machine and d.ma_lk = c.ma_lk and d.stt = c.stt
),
both_kinds as (select * from absent union all select * from unmatched),
agg as (
    select machine, kind, any_value(ma_cskcb) as ma_cskcb,
           min(day) as period_start, max(day) as period_end, count(*) as n,
           count(distinct day) as n_days, sum(money) as money,
           __LINES_BY_DAY__ as lines
    from both_kinds group by machine, kind
)
select 'SG005' as code, null::varchar as practitioner, machine, ma_cskcb,
       null::varchar as ma_dich_vu, period_start, period_end,
       n::double as score, cast(money as decimal(18, 2)) as amount,
       case when kind = 'machine'
            then format('Máy {} (cơ sở {}) được kê {} ca trong {} ngày ({} – {}) nhưng '
                        'không có bản ghi thiết bị nào, trong khi cơ sở gửi nhật ký '
                        'các máy cùng nhóm.', machine, ma_cskcb, n, n_days,
                        period_start, period_end)
            else format('Máy {} (cơ sở {}): {} ca được kê trong {} ngày ({} – {}) '
                        'không có bản ghi tương ứng trong nhật ký của chính máy này.',
                        machine, ma_cskcb, n, n_days, period_start, period_end)
       end as message,
       case when kind = 'machine'
            then format('Machine {} (facility {}) was billed for {} studies on {} days '
                        '({} – {}) but has no device record at all, while the facility '
                        'sent logs for machines of the same group.', machine, ma_cskcb,
                        n, n_days, period_start, period_end)
            else format('Machine {} (facility {}): {} billed studies on {} days ({} – '
                        '{}) have no matching record in this machine''s own log.',
                        machine, ma_cskcb, n, n_days, period_start, period_end)
       end as message_en,
       format('{} billed studies on {}, 0 matching device records', n, machine)
           as arithmetic,
       to_json({'kind': kind, 'studies': n, 'days': n_days})::varchar as evidence,
       len(lines) as n_lines,
       list_slice(lines, 1, getvariable('sg_max_lines')) as lines,
       null::double as outlier_score
from agg
"""

SG005 = SG005.replace("__LINES_BY_DAY__", lines_by("day", ""))
SG004_HITS = SG004_HITS.replace("__ML__", _ML)

STATEMENTS = {
    "SG003": MACHINE_DAY + ";\n" + SG003,
    "SG004": SG004_HITS + ";\n" + SG004,
    "SG005": SG005,
}


def run(
    con: duckdb.DuckDBPyConnection,
    codes: frozenset[str],
    timings: dict[str, float] | None = None,
) -> list[str]:
    """Run the machine signals among ``codes``; return their lead tables."""
    timed_execute(con, DEVICE, "device records", timings)
    tables: list[str] = []
    for code, sql in STATEMENTS.items():
        if code in codes:
            timed_execute(con, sql, code, timings)
            tables.append(f"sg_lead_{code.lower()}")
    return tables
