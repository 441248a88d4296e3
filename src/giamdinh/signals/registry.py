"""Unauthorised-practice leads: the claims set against the licence registry.

The registry (``giamdinh.exchange``, every connected province's licences, their
status periods and the registrations to practise) is given to the signals as
tables on the DuckDB connection; ``giamdinh.services.signals`` reads them from the
registry database:

- ``reg_licences``: ``macchn``, ``so_dinh_danh``, ``ho_ten``, ``issuing_province``,
  ``chuc_danh``, ``scope_appendix``, ``ngay_cap``, ``ngay_het_han``, and the feed
  entry that stated the licence (``feed_province``, ``feed_seq``, ``feed_hash``);
- ``reg_status``: ``macchn``, ``issuing_province``, ``status``, ``valid_from``,
  ``valid_to``, ``decision_no``, ``decision_date`` and its feed entry;
- ``reg_registrations``: ``reg_id``, ``province``, ``ma_cskcb``, ``ma_khoa``,
  ``so_dinh_danh``, ``macchn``, ``full_time``, ``days`` (ISO weekdays),
  ``hour_from``, ``hour_to`` (``HH:MM``), ``valid_from``, ``valid_to`` and its feed
  entry;
- ``reg_conflicts``: ``so_dinh_danh``, ``first_id``, ``second_id`` (``reg_id`` of
  two full-time registrations by two provinces that overlap), ``days``,
  ``hour_from``, ``hour_to``, ``period_start``, ``period_end``;

plus ``ref_scope_of_practice`` (TT 32/2023/TT-BYT appendices, national) and
``ref_services`` (the facilities' M05). A missing table is empty: its leads are
not computed (the service says so).

People on a line are read from ``MA_BAC_SI`` (order time), ``NGUOI_THUC_HIEN``
(execution time) and ``MA_BS_DOC_KQ`` of the matching XML4 result (result time),
split and normalised with the signals' own parser (``sg_person``: a comment in
parentheses dropped, a ``.C.XXXXX`` suffix read as mobilisation), as the rules'
``practitioner_codes`` does. The code on the claim is the licence number
(``MACCHN``); the registry links it to the person (``so_dinh_danh``), so a person
with licences from two provinces is one person here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from giamdinh.signals.prepare import (
    columns_of,
    lines_by,
    relation_exists,
    timed_execute,
)

if TYPE_CHECKING:
    import duckdb

#: The leads of this module, in the order they run.
CODES = ("SG009", "SG010", "SG011", "SG012", "SG013")

_FEED = "{'province': __P__feed_province, 'seq': __P__feed_seq, 'hash': __P__feed_hash}"


def _feed(prefix: str) -> str:
    """Return the SQL struct naming the feed entry of a registry row (alias)."""
    return _FEED.replace("__P__", prefix)


_EMPTY = {
    "reg_licences": "select null::varchar as macchn, null::varchar as so_dinh_danh, "
    "null::varchar as ho_ten, null::varchar as issuing_province, "
    "null::varchar as chuc_danh, null::varchar as scope_appendix, "
    "null::date as ngay_cap, null::date as ngay_het_han, "
    "null::varchar as feed_province, null::bigint as feed_seq, "
    "null::varchar as feed_hash where false",
    "reg_status": "select null::varchar as macchn, null::varchar as issuing_province, "
    "null::varchar as status, null::date as valid_from, null::date as valid_to, "
    "null::varchar as decision_no, null::date as decision_date, "
    "null::varchar as feed_province, null::bigint as feed_seq, "
    "null::varchar as feed_hash where false",
    "reg_registrations": "select null::bigint as reg_id, null::varchar as province, "
    "null::varchar as ma_cskcb, null::varchar as ma_khoa, "
    "null::varchar as so_dinh_danh, null::varchar as macchn, "
    "null::boolean as full_time, null::varchar as days, null::varchar as hour_from, "
    "null::varchar as hour_to, null::date as valid_from, null::date as valid_to, "
    "null::varchar as feed_province, null::bigint as feed_seq, "
    "null::varchar as feed_hash where false",
    "reg_conflicts": "select null::varchar as so_dinh_danh, null::bigint as first_id, "
    "null::bigint as second_id, null::varchar as days, null::varchar as hour_from, "
    "null::varchar as hour_to, null::date as period_start, "
    "null::date as period_end where false",
    "ref_scope_of_practice": "select null::varchar as appendix, "
    "null::varchar as ma_ky_thuat, null::date as valid_from, "
    "null::date as valid_to where false",
    "ref_services": "select null::varchar as ma_cskcb, null::varchar as ma_dich_vu, "
    "null::date as valid_from, null::date as valid_to where false",
}


def _inputs(con: duckdb.DuckDBPyConnection) -> None:
    """Expose each input as ``sg_in_<name>``: empty when absent, extra columns kept."""
    # NOTE: the names put into the SQL are this module's constants, never data.
    for name, empty in _EMPTY.items():
        sql = f"create or replace temp view sg_in_{name} as {empty}"
        if relation_exists(con, name):
            sql += f" union all by name select * from {name}"  # noqa: S608
        con.execute(sql)
    cols = columns_of(con, "xml3")
    if {"ma_bac_si", "ngay_yl"} <= cols:
        x3 = (
            "select ma_lk::varchar as ma_lk, stt::bigint as stt, "
            "ma_bac_si::varchar as ma_bac_si, ngay_yl::timestamp as ngay_yl "
            "from xml3 where ma_bac_si is not null"
        )
    else:
        x3 = (
            "select null::varchar as ma_lk, null::bigint as stt, "
            "null::varchar as ma_bac_si, null::timestamp as ngay_yl where false"
        )
    con.execute(f"create or replace temp view sg_reg_x3 as {x3}")


# One row per person, role and line, for the people the registry knows: the line's
# facility, service, money, the moment of the role (order, execution, result) and
# the person's identity. A line read in several XML4 rows counts once per reader.
_PEOPLE = r"""
create or replace temp table sg_reg_person_map as
with raw as (
    select distinct nguoi_thuc_hien as codes from sg_lines
    where nguoi_thuc_hien is not null
    union
    select distinct ma_bac_si from sg_reg_x3
    union
    select distinct ma_bs_doc_kq::varchar from sg_in_xml4
    where ma_bs_doc_kq is not null
),
split as (
    select distinct codes, trim(unnest(string_split(codes, ';'))) as raw_code
    from raw
)
select codes, raw_code, sg_person(raw_code) as person,
       regexp_matches(raw_code, '\.C\.\d{5}') as mobilised
from split where raw_code <> '';
create or replace temp table sg_reg_people as
with roles as (
    select l.ma_lk, l.stt, l.ma_cskcb, l.ma_dich_vu, l.tech_key, l.money,
           l.perf_minutes, l.t_result, 'NGUOI_THUC_HIEN' as vai_tro,
           l.nguoi_thuc_hien as codes, l.t_start as t
    from sg_lines as l where l.nguoi_thuc_hien is not null
    union all
    select l.ma_lk, l.stt, l.ma_cskcb, l.ma_dich_vu, l.tech_key, l.money,
           l.perf_minutes, l.t_result, 'MA_BAC_SI', x.ma_bac_si,
           coalesce(x.ngay_yl, l.t_start)
    from sg_lines as l
    join sg_reg_x3 as x on x.ma_lk = l.ma_lk and x.stt = l.stt
    union all
    select l.ma_lk, l.stt, l.ma_cskcb, l.ma_dich_vu, l.tech_key, l.money,
           l.perf_minutes, l.t_result, 'MA_BS_DOC_KQ', r.readers,
           coalesce(r.t_read, l.t_result, l.t_start)
    from (
        select ma_lk::varchar as ma_lk, ma_dich_vu::varchar as ma_dich_vu,
               ma_bs_doc_kq::varchar as readers, min(ngay_kq::timestamp) as t_read
        from sg_in_xml4 where ma_bs_doc_kq is not null group by all
    ) as r
    join sg_lines as l on l.ma_lk = r.ma_lk and l.ma_dich_vu = r.ma_dich_vu
)
select distinct r.ma_lk, r.stt, r.ma_cskcb, r.ma_dich_vu, r.tech_key, r.money,
       r.perf_minutes, r.t_result, r.vai_tro, r.t, cast(r.t as date) as day,
       m.person, m.mobilised, k.so_dinh_danh
from roles as r
join sg_reg_person_map as m on m.codes = r.codes
join (select distinct macchn, so_dinh_danh from sg_in_reg_licences) as k
  on k.macchn = m.person
where m.person <> '' and r.t is not null;
"""

# SG009: a line naming a licence whose status that day is suspended or revoked, in
# any province's registry. One lead per licence and status period.
SG009 = """
create or replace temp table sg_lead_sg009 as
with hits as (
    select p.*, s.status, s.valid_from, s.valid_to, s.decision_no,
           s.decision_date, s.issuing_province, s.feed_province, s.feed_seq,
           s.feed_hash
    from sg_reg_people as p
    join sg_in_reg_status as s
      on s.macchn = p.person
     and p.day >= s.valid_from and (s.valid_to is null or p.day <= s.valid_to)
    where s.status in ('suspended', 'revoked')
),
per_line as (
    select person, status, valid_from, ma_lk, stt, min(day) as day,
           any_value(money) as money, any_value(ma_cskcb) as ma_cskcb
    from hits group by all
),
agg as (
    select person, status, valid_from, count(*) as n, sum(money) as money,
           min(day) as first_day, max(day) as last_day,
           string_agg(distinct ma_cskcb, ';' order by ma_cskcb) as facilities,
           __LINES__ as lines
    from per_line group by all
),
roles as (
    select person, status, valid_from,
           string_agg(distinct vai_tro, ', ' order by vai_tro) as roles
    from hits group by all
),
periods as (
    select distinct person, status, valid_from, valid_to, decision_no,
           decision_date, issuing_province, feed_province, feed_seq, feed_hash
    from hits
)
select 'SG009' as code, a.person as practitioner, null::varchar as machine,
       a.facilities as ma_cskcb, null::varchar as ma_dich_vu,
       a.first_day as period_start, a.last_day as period_end,
       a.n::double as score, cast(a.money as decimal(18, 2)) as amount,
       format('Giấy phép hành nghề {} ({}, tỉnh {} cấp) bị {} từ {}{} theo quyết '
              'định {} (sổ đăng ký tỉnh {}, mục {}), nhưng vẫn có trên {} dòng '
              'dịch vụ ({}) từ {} đến {} tại cơ sở {}.',
              a.person, coalesce(l.ho_ten, '?'), s.issuing_province,
              case s.status when 'revoked' then 'thu hồi' else 'đình chỉ' end,
              s.valid_from,
              case when s.valid_to is null then ''
                   else format(' đến {}', s.valid_to) end,
              s.decision_no, s.feed_province, s.feed_seq, a.n, r.roles,
              a.first_day, a.last_day, a.facilities) as message,
       format('Practice licence {} ({}, issued by province {}) {} from {}{} by '
              'decision {} (registry of province {}, entry {}), yet it is on {} '
              'service lines ({}) from {} to {} at facility {}.',
              a.person, coalesce(l.ho_ten, '?'), s.issuing_province,
              case s.status when 'revoked' then 'revoked' else 'suspended' end,
              s.valid_from,
              case when s.valid_to is null then ''
                   else format(' to {}', s.valid_to) end,
              s.decision_no, s.feed_province, s.feed_seq, a.n, r.roles,
              a.first_day, a.last_day, a.facilities) as message_en,
       format('{} lines on days within the {} period {}–{}', a.n, s.status,
              s.valid_from, coalesce(s.valid_to::varchar, '…')) as arithmetic,
       to_json({
           'licence': {'macchn': a.person, 'holder': l.ho_ten,
                       'issuing_province': s.issuing_province,
                       'title': l.chuc_danh, 'feed': __LFEED__},
           'status': {'status': s.status, 'valid_from': s.valid_from,
                      'valid_to': s.valid_to, 'decision_no': s.decision_no,
                      'decision_date': s.decision_date, 'feed': __SFEED__},
           'roles': r.roles, 'lines': a.n, 'facilities': a.facilities
       })::varchar as evidence,
       a.n as n_lines,
       list_slice(a.lines, 1, getvariable('sg_max_lines')) as lines,
       null::double as outlier_score
from agg as a
join periods as s using (person, status, valid_from)
join roles as r using (person, status, valid_from)
left join sg_in_reg_licences as l on l.macchn = a.person
"""

# SG010: a performer or reader at a facility the registry holds registrations for,
# with no registration in force that day at that facility, on that weekday, or at
# that hour. A line is judged on the person's most lenient role on it.
SG010 = """
create or replace temp table sg_lead_sg010 as
with registered as (select distinct ma_cskcb from sg_in_reg_registrations),
cand as (
    select * from sg_reg_people
    where vai_tro in ('NGUOI_THUC_HIEN', 'MA_BS_DOC_KQ') and not mobilised
      and ma_cskcb in (select ma_cskcb from registered)
),
judged as (
    select c.person, c.so_dinh_danh, c.ma_lk, c.stt, c.ma_cskcb, c.day, c.t,
           c.money, c.vai_tro,
           coalesce(bool_or(r.ma_cskcb = c.ma_cskcb), false) as at_facility,
           coalesce(bool_or(r.ma_cskcb = c.ma_cskcb
                            and contains(r.days, isodow(c.day)::varchar)), false)
               as on_day,
           coalesce(bool_or(r.ma_cskcb = c.ma_cskcb
                            and contains(r.days, isodow(c.day)::varchar)
                            and strftime(c.t, '%H:%M') >= r.hour_from
                            and strftime(c.t, '%H:%M') <= r.hour_to), false)
               as in_hours
    from cand as c
    left join sg_in_reg_registrations as r
      on r.so_dinh_danh = c.so_dinh_danh
     and c.day >= r.valid_from and (r.valid_to is null or c.day <= r.valid_to)
    group by all
),
per_line as (
    select person, so_dinh_danh, ma_lk, stt, ma_cskcb, min(day) as day,
           any_value(money) as money,
           min(case when in_hours then 0 when on_day then 1 when at_facility then 2
                    else 3 end) as level,
           arg_min(strftime(t, '%Y-%m-%d %H:%M') || ' ' || vai_tro,
                   case when on_day then 1 when at_facility then 2 else 3 end)
               as moment
    from judged group by all
),
outside as (select * from per_line where level > 0),
agg as (
    select person, any_value(so_dinh_danh) as so_dinh_danh, ma_cskcb,
           count(*) as n, count(*) filter (where level = 3) as n_facility,
           count(*) filter (where level = 2) as n_day,
           count(*) filter (where level = 1) as n_hours,
           count(distinct day) as n_days, sum(money) as money,
           min(day) as first_day, max(day) as last_day,
           array_to_string(list_slice(list(moment order by moment), 1, 5), '; ')
               as examples,
           __LINES__ as lines
    from outside group by person, ma_cskcb
),
regs as (
    select a.person, a.ma_cskcb,
           string_agg(format('{} {} T{} {}–{} ({} → {})', r.ma_cskcb,
                             case when r.full_time then 'toàn thời gian'
                                  else 'bán thời gian' end,
                             r.days, r.hour_from, r.hour_to, r.valid_from,
                             coalesce(r.valid_to::varchar, '…')),
                      '; ' order by r.ma_cskcb, r.valid_from) as detail,
           list({'ma_cskcb': r.ma_cskcb, 'ma_khoa': r.ma_khoa,
                 'macchn': r.macchn, 'full_time': r.full_time, 'days': r.days,
                 'hour_from': r.hour_from, 'hour_to': r.hour_to,
                 'valid_from': r.valid_from, 'valid_to': r.valid_to,
                 'feed': __RFEED__} order by r.ma_cskcb, r.valid_from)
               as registrations
    from agg as a
    join sg_in_reg_registrations as r
      on r.so_dinh_danh = a.so_dinh_danh
     and r.valid_from <= a.last_day
     and (r.valid_to is null or r.valid_to >= a.first_day)
    group by a.person, a.ma_cskcb
)
select 'SG010' as code, a.person as practitioner, null::varchar as machine,
       a.ma_cskcb, null::varchar as ma_dich_vu,
       a.first_day as period_start, a.last_day as period_end,
       a.n::double as score, cast(a.money as decimal(18, 2)) as amount,
       format('Người hành nghề {} thực hiện hoặc đọc kết quả {} dịch vụ trong {} '
              'ngày ({} – {}) tại cơ sở {} ngoài nơi, ngày hoặc giờ đăng ký hành '
              'nghề: {} không đăng ký tại cơ sở này, {} ngoài ngày, {} ngoài giờ '
              'đăng ký (đăng ký: {}; ví dụ: {}).',
              a.person, a.n, a.n_days, a.first_day, a.last_day, a.ma_cskcb,
              a.n_facility, a.n_day, a.n_hours,
              coalesce(g.detail, 'không có'), a.examples) as message,
       format('Practitioner {} performed or read {} services on {} days ({} – {}) '
              'at facility {} outside the place, days or hours of their '
              'registration to practise: {} not registered at this facility, {} '
              'on another weekday, {} outside the hours (registered: {}; e.g. {}).',
              a.person, a.n, a.n_days, a.first_day, a.last_day, a.ma_cskcb,
              a.n_facility, a.n_day, a.n_hours, coalesce(g.detail, 'none'),
              a.examples) as message_en,
       format('{} lines = {} not at the facility + {} other weekday + {} outside '
              'hours', a.n, a.n_facility, a.n_day, a.n_hours) as arithmetic,
       to_json({'facility': a.ma_cskcb, 'lines': a.n,
                'not_at_facility': a.n_facility, 'other_weekday': a.n_day,
                'outside_hours': a.n_hours, 'days': a.n_days,
                'examples': a.examples,
                'registrations': coalesce(g.registrations, [])})::varchar
           as evidence,
       a.n as n_lines,
       list_slice(a.lines, 1, getvariable('sg_max_lines')) as lines,
       null::double as outlier_score
from agg as a
left join regs as g using (person, ma_cskcb)
"""

# SG011: one person (identity number) registered full time by two provinces over
# overlapping periods, days and hours (the registry's conflicts), with the claim
# lines of that person in the overlap; and one person billing under two different
# licence numbers at facilities of two provinces at overlapping times (the same
# licence number at two facilities is SG006's).
SG011 = """
create or replace temp table sg_lead_sg011 as
with store_facilities as (select distinct ma_cskcb from sg_lines),
conf as (
    select c.so_dinh_danh, c.first_id, c.second_id, c.days, c.hour_from,
           c.hour_to, c.period_start, c.period_end,
           a.ma_cskcb as a_cskcb, b.ma_cskcb as b_cskcb,
           a.macchn as a_macchn, b.macchn as b_macchn,
           {'province': a.province, 'ma_cskcb': a.ma_cskcb, 'macchn': a.macchn,
            'days': a.days, 'hour_from': a.hour_from, 'hour_to': a.hour_to,
            'valid_from': a.valid_from, 'valid_to': a.valid_to,
            'feed': __AFEED__} as first_registration,
           {'province': b.province, 'ma_cskcb': b.ma_cskcb, 'macchn': b.macchn,
            'days': b.days, 'hour_from': b.hour_from, 'hour_to': b.hour_to,
            'valid_from': b.valid_from, 'valid_to': b.valid_to,
            'feed': __BFEED__} as second_registration
    from sg_in_reg_conflicts as c
    join sg_in_reg_registrations as a on a.reg_id = c.first_id
    join sg_in_reg_registrations as b on b.reg_id = c.second_id
    where a.ma_cskcb in (select ma_cskcb from store_facilities)
       or b.ma_cskcb in (select ma_cskcb from store_facilities)
       or c.so_dinh_danh in (select so_dinh_danh from sg_reg_people)
),
clines as (
    select distinct c.first_id, c.second_id, p.ma_lk, p.stt, p.day, p.money
    from conf as c
    join sg_reg_people as p
      on p.so_dinh_danh = c.so_dinh_danh
     and p.day >= c.period_start
     and (c.period_end is null or p.day <= c.period_end)
     and contains(c.days, isodow(p.day)::varchar)
     and strftime(p.t, '%H:%M') >= c.hour_from
     and strftime(p.t, '%H:%M') <= c.hour_to
),
cagg as (
    select first_id, second_id, count(*) as n, sum(money) as money,
           __LINES__ as lines
    from clines group by all
),
registered as (
    select 'SG011' as code,
           case when c.a_macchn = c.b_macchn then c.a_macchn
                else c.a_macchn || ';' || c.b_macchn end as practitioner,
           c.a_cskcb || ';' || c.b_cskcb as ma_cskcb,
           c.period_start, c.period_end,
           coalesce(g.n, 0)::double + 1 as score,
           coalesce(g.money, 0) as money,
           format('Người hành nghề {} đăng ký toàn thời gian tại {} (tỉnh {}) và tại '
                  '{} (tỉnh {}) cùng lúc: thứ {} từ {} đến {}, từ {} đến {}; {} dòng '
                  'dịch vụ của người này trong khung giờ đó.',
                  practitioner, c.a_cskcb, c.first_registration.province,
                  c.b_cskcb, c.second_registration.province, c.days, c.hour_from,
                  c.hour_to, c.period_start, coalesce(c.period_end::varchar, '…'),
                  coalesce(g.n, 0)) as message,
           format('Practitioner {} is registered full time at {} (province {}) and '
                  'at {} (province {}) at the same time: weekdays {} from {} to {}, '
                  'from {} to {}; {} service lines of this person in those hours.',
                  practitioner, c.a_cskcb, c.first_registration.province,
                  c.b_cskcb, c.second_registration.province, c.days, c.hour_from,
                  c.hour_to, c.period_start, coalesce(c.period_end::varchar, '…'),
                  coalesce(g.n, 0)) as message_en,
           format('full time {} {}–{} ∩ full time {} {}–{} = weekdays {} {}–{}',
                  c.a_cskcb, c.first_registration.hour_from,
                  c.first_registration.hour_to, c.b_cskcb,
                  c.second_registration.hour_from, c.second_registration.hour_to,
                  c.days, c.hour_from, c.hour_to) as arithmetic,
           to_json({'kind': 'registrations', 'days': c.days,
                    'hours': [c.hour_from, c.hour_to],
                    'period': [c.period_start, c.period_end],
                    'registrations': [c.first_registration,
                                      c.second_registration],
                    'lines': coalesce(g.n, 0)})::varchar as evidence,
           coalesce(g.n, 0) as n_lines,
           coalesce(list_slice(g.lines, 1, getvariable('sg_max_lines')), [])
               as lines
    from conf as c
    left join cagg as g using (first_id, second_id)
),
iv as (
    select distinct so_dinh_danh, person, ma_cskcb, left(ma_cskcb, 2) as prov,
           ma_lk, stt, day, money, t as s,
           t + to_seconds(cast(60 * greatest(1, case
               when t_result > t
               then least(coalesce(perf_minutes, 0),
                          date_diff('second', t, t_result) / 60.0)
               else coalesce(perf_minutes, 0) end) as bigint)) as e
    from sg_reg_people
    where vai_tro = 'NGUOI_THUC_HIEN'
      and (so_dinh_danh, day) in (
          select (so_dinh_danh, day) from sg_reg_people
          where vai_tro = 'NGUOI_THUC_HIEN'
          group by all
          having count(distinct left(ma_cskcb, 2)) > 1
             and count(distinct person) > 1)
),
pairs as (
    select a.so_dinh_danh, a.day, a.ma_lk as a_lk, a.stt as a_stt,
           b.ma_lk as b_lk, b.stt as b_stt,
           format('{} {} {}–{} ∩ {} {} {}–{}', a.person, a.ma_cskcb,
                  strftime(a.s, '%H:%M'), strftime(a.e, '%H:%M'), b.person,
                  b.ma_cskcb, strftime(b.s, '%H:%M'), strftime(b.e, '%H:%M'))
               as detail
    from iv as a
    join iv as b
      on a.so_dinh_danh = b.so_dinh_danh and a.day = b.day
     and a.prov < b.prov and a.person <> b.person
     and a.s < b.e and b.s < a.e
),
involved as (
    select so_dinh_danh, day, a_lk as ma_lk, a_stt as stt from pairs
    union
    select so_dinh_danh, day, b_lk, b_stt from pairs
),
inv as (
    select v.so_dinh_danh, v.day, i.person, i.ma_cskcb, i.prov, i.ma_lk, i.stt,
           i.money
    from involved as v
    join iv as i using (so_dinh_danh, day, ma_lk, stt)
),
per_prov as (
    select so_dinh_danh, day, prov, sum(money) as money from inv group by all
),
bagg as (
    select so_dinh_danh, day, count(*) as n,
           string_agg(distinct person, ';' order by person) as people,
           string_agg(distinct ma_cskcb, ';' order by ma_cskcb) as facilities,
           __LINES__ as lines
    from inv group by all
),
bdetail as (
    select so_dinh_danh, day, count(*) as n_pairs,
           array_to_string(list_slice(list(detail order by detail), 1, 5), '; ')
               as detail
    from pairs group by all
),
bmoney as (
    select so_dinh_danh, day, sum(money) - max(money) as amount
    from per_prov group by all
),
lic as (
    select so_dinh_danh,
           list({'macchn': macchn, 'issuing_province': issuing_province,
                 'title': chuc_danh, 'feed': __LFEED__} order by macchn)
               as licences
    from sg_in_reg_licences group by all
),
billed as (
    select 'SG011' as code, b.people as practitioner, b.facilities as ma_cskcb,
           b.day as period_start, b.day as period_end,
           d.n_pairs::double as score, m.amount as money,
           format('Ngày {}, cùng một người (giấy phép {}) thực hiện dịch vụ tại cơ '
                  'sở của hai tỉnh ({}) cùng lúc: {} lần chồng lấn ({}).',
                  b.day, b.people, b.facilities, d.n_pairs, d.detail) as message,
           format('On {}, one person (licences {}) performed services at '
                  'facilities of two provinces ({}) at the same time: {} overlaps '
                  '({}).', b.day, b.people, b.facilities, d.n_pairs, d.detail)
               as message_en,
           d.detail as arithmetic,
           to_json({'kind': 'billing', 'day': b.day, 'overlaps': d.n_pairs,
                    'facilities': b.facilities,
                    'licences': l.licences})::varchar as evidence,
           b.n as n_lines,
           list_slice(b.lines, 1, getvariable('sg_max_lines')) as lines
    from bagg as b
    join bdetail as d using (so_dinh_danh, day)
    join bmoney as m using (so_dinh_danh, day)
    left join lic as l using (so_dinh_danh)
)
select code, practitioner, null::varchar as machine, ma_cskcb,
       null::varchar as ma_dich_vu, period_start, period_end, score,
       cast(money as decimal(18, 2)) as amount, message, message_en, arithmetic,
       evidence, n_lines, lines, null::double as outlier_score
from registered
union all
select code, practitioner, null::varchar, ma_cskcb, null::varchar, period_start,
       period_end, score, cast(money as decimal(18, 2)), message, message_en,
       arithmetic, evidence, n_lines, lines, null::double
from billed
"""

# SG012: a performer whose every licence names a TT 32/2023 appendix that lists
# technique codes, performing a technique none of them lists. A person with a
# licence whose title has no appendix held (or one without codes) is not judged.
SG012 = r"""
create or replace temp table sg_lead_sg012 as
with coded as (
    select appendix from sg_in_ref_scope_of_practice
    group by appendix having count(ma_ky_thuat) > 0
),
lic as (
    select so_dinh_danh,
           bool_and(coalesce(scope_appendix, '') in (select appendix from coded))
               as judged,
           list({'macchn': macchn, 'issuing_province': issuing_province,
                 'title': chuc_danh, 'appendix': scope_appendix,
                 'feed': __LFEED__} order by macchn) as licences,
           string_agg(distinct format('{} ({}, TT 32/2023 {})', macchn, chuc_danh,
                                      scope_appendix), '; ') as titles
    from sg_in_reg_licences group by all
),
scope as (
    select distinct l.so_dinh_danh, s.ma_ky_thuat, s.valid_from, s.valid_to
    from sg_in_reg_licences as l
    join sg_in_ref_scope_of_practice as s on s.appendix = l.scope_appendix
    where s.ma_ky_thuat is not null
),
cand as (
    select distinct p.person, p.so_dinh_danh, p.ma_lk, p.stt, p.ma_cskcb, p.day,
           p.money, p.ma_dich_vu, left(p.ma_dich_vu, 7) as tech
    from sg_reg_people as p
    join lic as l on l.so_dinh_danh = p.so_dinh_danh and l.judged
    where p.vai_tro = 'NGUOI_THUC_HIEN'
      and regexp_matches(p.ma_dich_vu, '^\d{2}\.\d{4}\.\d{4}')
),
outside as (
    select c.* from cand as c
    anti join scope as s
      on s.so_dinh_danh = c.so_dinh_danh and s.ma_ky_thuat = c.tech
     and (s.valid_from is null or c.day >= s.valid_from)
     and (s.valid_to is null or c.day <= s.valid_to)
),
techs as (
    select person, array_to_string(list_slice(list(format('{} × {}', n, tech)
                                                   order by n desc, tech), 1, 8),
                                   ', ') as techniques
    from (select person, tech, count(*) as n from outside group by all)
    group by person
),
agg as (
    select person, any_value(so_dinh_danh) as so_dinh_danh, count(*) as n,
           count(distinct tech) as n_tech, sum(money) as money,
           min(day) as first_day, max(day) as last_day,
           string_agg(distinct ma_cskcb, ';' order by ma_cskcb) as facilities,
           __LINES__ as lines
    from outside group by person
)
select 'SG012' as code, a.person as practitioner, null::varchar as machine,
       a.facilities as ma_cskcb, null::varchar as ma_dich_vu,
       a.first_day as period_start, a.last_day as period_end,
       a.n::double as score, cast(a.money as decimal(18, 2)) as amount,
       format('Người hành nghề {} ({}) thực hiện {} dịch vụ, {} kỹ thuật không có '
              'trong phạm vi hành nghề của chức danh (TT 32/2023/TT-BYT): {} ({} – '
              '{}, cơ sở {}).', a.person, l.titles, a.n, a.n_tech, t.techniques,
              a.first_day, a.last_day, a.facilities) as message,
       format('Practitioner {} ({}) performed {} services, {} techniques outside '
              'the scope of practice of the title (TT 32/2023/TT-BYT): {} ({} – {}, '
              'facility {}).', a.person, l.titles, a.n, a.n_tech, t.techniques,
              a.first_day, a.last_day, a.facilities) as message_en,
       format('{} lines whose technique (XX.YYYY) is not in the appendix',
              a.n) as arithmetic,
       to_json({'licences': l.licences, 'techniques': t.techniques,
                'lines': a.n, 'facilities': a.facilities})::varchar as evidence,
       a.n as n_lines,
       list_slice(a.lines, 1, getvariable('sg_max_lines')) as lines,
       null::double as outlier_score
from agg as a
join lic as l using (so_dinh_danh)
join techs as t using (person)
"""

# SG013: a facility billing a technique (XX.YYYY of MA_DICH_VU) that no row of its
# M05 lists on the day, under any price code. Only facilities whose M05 was loaded.
SG013 = r"""
create or replace temp table sg_lead_sg013 as
with loaded as (select distinct ma_cskcb from sg_in_ref_services),
approved as (
    select distinct ma_cskcb::varchar as ma_cskcb,
           left(trim(ma_dich_vu), 7) as tech, valid_from, valid_to
    from sg_in_ref_services
    where regexp_matches(trim(ma_dich_vu), '^\d{2}\.\d{4}')
),
cand as (
    select ma_lk, stt, ma_cskcb, day, money, left(ma_dich_vu, 7) as tech
    from sg_lines
    where ma_cskcb in (select ma_cskcb from loaded) and day is not null
      and regexp_matches(ma_dich_vu, '^\d{2}\.\d{4}\.\d{4}')
),
missing as (
    select c.* from cand as c
    anti join approved as a
      on a.ma_cskcb = c.ma_cskcb and a.tech = c.tech
     and (a.valid_from is null or c.day >= a.valid_from)
     and (a.valid_to is null or c.day <= a.valid_to)
),
agg as (
    select ma_cskcb, tech, count(*) as n, count(distinct day) as n_days,
           sum(money) as money, min(day) as first_day, max(day) as last_day,
           __LINES__ as lines
    from missing group by all
),
m05 as (
    select ma_cskcb, count(*) as rows from sg_in_ref_services group by all
)
select 'SG013' as code, null::varchar as practitioner, null::varchar as machine,
       a.ma_cskcb, a.tech as ma_dich_vu,
       a.first_day as period_start, a.last_day as period_end,
       a.n::double as score, cast(a.money as decimal(18, 2)) as amount,
       format('Cơ sở {} thanh toán {} dòng kỹ thuật {} trong {} ngày ({} – {}) nhưng '
              'danh mục kỹ thuật Mẫu 05/DM của cơ sở ({} dòng) không có kỹ thuật '
              'này ở bất kỳ mã giá nào vào các ngày đó.', a.ma_cskcb, a.n, a.tech,
              a.n_days, a.first_day, a.last_day, m.rows) as message,
       format('Facility {} billed {} lines of technique {} on {} days ({} – {}) '
              'but its form 05/DM ({} rows) lists that technique under no price '
              'code on those days.', a.ma_cskcb, a.n, a.tech, a.n_days,
              a.first_day, a.last_day, m.rows) as message_en,
       format('{} lines of {} without an M05 row of the technique', a.n, a.tech)
           as arithmetic,
       to_json({'facility': a.ma_cskcb, 'technique': a.tech, 'lines': a.n,
                'days': a.n_days, 'm05_rows': m.rows,
                'source': 'M05 (the facility''s approved technique list is not '
                          'held: its M05 stands for it)'})::varchar as evidence,
       a.n as n_lines,
       list_slice(a.lines, 1, getvariable('sg_max_lines')) as lines,
       null::double as outlier_score
from agg as a
join m05 as m using (ma_cskcb)
"""

_LINES = lines_by("day", "")
STATEMENTS = {
    "SG009": SG009.replace("__LINES__", _LINES)
    .replace("__LFEED__", _feed("l."))
    .replace("__SFEED__", _feed("s.")),
    "SG010": SG010.replace("__LINES__", _LINES).replace("__RFEED__", _feed("r.")),
    "SG011": SG011.replace("__LINES__", lines_by("ma_lk", ""))
    .replace("__AFEED__", _feed("a."))
    .replace("__BFEED__", _feed("b."))
    .replace("__LFEED__", _feed("")),
    "SG012": SG012.replace("__LINES__", _LINES).replace("__LFEED__", _feed("")),
    "SG013": SG013.replace("__LINES__", _LINES),
}


def run(
    con: duckdb.DuckDBPyConnection,
    codes: frozenset[str],
    timings: dict[str, float] | None = None,
) -> list[str]:
    """Run the registry leads among ``codes``; return their lead tables."""
    wanted = [c for c in CODES if c in codes]
    if not wanted:
        return []
    _inputs(con)
    if set(wanted) - {"SG013"}:
        people = _PEOPLE
        if not relation_exists(con, "reg_licences"):
            # no registry: the same (empty) tables, without reading the lines
            people = people.replace(
                "from split where raw_code <> '';", "from split where false;"
            ).replace("where m.person <> '' and r.t is not null;", "where false;")
        timed_execute(con, people, "registry: people", timings)
    for code in wanted:
        timed_execute(con, STATEMENTS[code], code, timings)
    return [f"sg_lead_{code.lower()}" for code in wanted]
