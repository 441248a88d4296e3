"""Build the working tables every signal reads, in SQL over the logical views.

Inputs (DuckDB views or tables, contract 6 of the brief): ``xml1``, ``xml3`` and
optionally ``xml4``, ``ref_techniques``, ``ref_practitioners``, ``ref_facilities``
(``ma_cskcb``, ``tier``), ``norm_staff_minutes`` (``technique_code``, ``minutes`` per
person, from ``giamdinh.norms.publish``) and ``device_log`` (see
``giamdinh.signals.devices``). A missing optional input is an empty table and a missing
column is null, so a signal that needs it finds nothing rather than failing.

Working tables (temporary, prefixed ``sg_``):

- ``sg_lines``: one row per service line with its facility, day, times, insurer money,
  conservative minutes (performer, reader, machine) and the ICD-10 category of the
  claim's main diagnosis (``dx``, the patient group of the peer comparison).
- ``sg_visits``: claims per facility and ``dx``.
- ``sg_people``: one row per person and line, performer (``NGUOI_THUC_HIEN``) or reader
  (``MA_BS_DOC_KQ`` of XML4), with the person's code normalised.
- ``sg_mlines``: one row per machine (``MA_MAY``) and line, with the machine group.
- ``sg_person_map`` / ``sg_machine_map``: each distinct ``NGUOI_THUC_HIEN`` /
  ``MA_BS_DOC_KQ`` and ``MA_MAY`` value split into its codes, normalised once.
- ``sg_declared``: declared daily working minutes per M02 registration.
- ``sg_code_map`` / ``sg_may_map``: each distinct ``MA_DICH_VU`` and ``MA_MAY``
  normalised once (technique key, machine group), so no regular expression runs per
  line.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

import pyarrow as pa

from giamdinh.errors import BackendError

if TYPE_CHECKING:
    import duckdb

    from giamdinh.signals.params import SignalParams


def relation_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Return whether a table or view called ``name`` is visible on ``con``."""
    row = con.execute(
        "select count(*) from duckdb_tables() where table_name = $n "
        "union all select count(*) from duckdb_views() where view_name = $n",
        {"n": name},
    ).fetchall()
    return any(count for (count,) in row)


def timed_execute(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    phase: str,
    timings: dict[str, float] | None,
) -> None:
    """Execute ``sql`` on ``con``; add its wall seconds to ``timings[phase]``."""
    started = time.perf_counter()
    con.execute(sql)
    if timings is not None:
        timings[phase] = timings.get(phase, 0.0) + time.perf_counter() - started


def columns_of(con: duckdb.DuckDBPyConnection, name: str) -> set[str]:
    """Return the lower-cased column names of a table or view."""
    rows = con.execute(f"describe {name}").fetchall()
    return {str(r[0]).lower() for r in rows}


def _set_params(con: duckdb.DuckDBPyConnection, params: SignalParams) -> None:
    values = {
        "sg_pf": params.performer_fraction,
        "sg_rf": params.reader_fraction,
        "sg_mf": params.machine_fraction,
        "sg_day": params.day_minutes,
        "sg_overtime": params.overtime_factor,
        "sg_travel": params.travel_minutes,
        "sg_min_overlaps": params.min_overlaps,
        "sg_max_lines": params.max_lines_per_lead,
    }
    for key, value in values.items():
        con.execute(f"set variable {key} = $v", {"v": value})
    floors = pa.table(
        {
            "mgroup": list(params.group_floor_minutes),
            "floor_minutes": [float(v) for v in params.group_floor_minutes.values()],
        }
    )
    con.register("sg_floor_src", floors)
    con.execute("create or replace temp table sg_floor as select * from sg_floor_src")
    con.unregister("sg_floor_src")


_MACROS = r"""
create or replace temp macro sg_person(x) as
    case
        when trim(regexp_replace(x, '\(.*\)', '')) <> ''
        then regexp_replace(trim(regexp_replace(x, '\(.*\)', '')), '\.C\.\d{5}$', '')
        else trim(regexp_extract(x, '\(([^)]*)\)', 1))
    end;
create or replace temp macro sg_tech(x) as
    regexp_replace(regexp_replace(trim(x), '_(GT|TB)$', ''), '\.K\.[^.]+$', '');
create or replace temp macro sg_num(x) as
    case when x is null then '?'
         when x::double = round(x::double) then cast(cast(x as bigint) as varchar)
         else format('{:.1f}', x::double) end;
create or replace temp macro sg_mgroup(x) as
    nullif(regexp_extract(x, '^([A-ZĐ]{2,3})\.', 1), '');
"""


def lines_by(key: str, prefix: str = "") -> str:
    """Return SQL aggregating a lead's lines, ordered by ``key`` then line.

    Sorting the finished list costs about half an ``ORDER BY`` inside the aggregate
    on large groups.
    """
    items = f"{{'k': {key}, 'ma_lk': {prefix}ma_lk, 'stt': {prefix}stt}}"
    return (
        f"list_transform(list_sort(list({items})), "
        "lambda x: {'ma_lk': x.ma_lk, 'stt': x.stt})"
    )


_EMPTY_INPUTS = {
    "xml4": "select null::varchar as ma_lk, null::varchar as ma_dich_vu, "
    "null::varchar as ma_bs_doc_kq, null::timestamp as ngay_kq where false",
    "ref_techniques": "select null::varchar as ma_dich_vu, "
    "null::double as reference_minutes, null::varchar as machine_group, "
    "null::date as valid_from, null::date as valid_to where false",
    "norm_staff_minutes": "select null::varchar as technique_code, "
    "null::double as minutes where false",
    "ref_facilities": "select null::varchar as ma_cskcb, null::varchar as tier "
    "where false",
    "device_log": "select null::varchar as ma_may, null::varchar as study_uid, "
    "null::varchar as ma_lk, null::bigint as stt, null::timestamp as t_start, "
    "null::timestamp as t_end, null::varchar as source, null::varchar as file "
    "where false",
    "ref_practitioners": "select null::varchar as macchn, null::varchar as ma_cskcb, "
    "null::varchar as cskcb_khac, null::varchar as thoigian_dk, "
    "null::varchar as thoigian_ngay, null::date as valid_from, "
    "null::date as valid_to where false",
}


def _ensure_optional(con: duckdb.DuckDBPyConnection) -> None:
    """Expose each optional input as ``sg_in_<name>`` with at least the needed columns.

    The empty template is unioned *by name* with the input when it exists, so a
    missing column is null instead of an error, and a missing input is empty.
    """
    for name, empty in _EMPTY_INPUTS.items():
        template = "create or replace temp view sg_in___NAME__ as __EMPTY__"
        if relation_exists(con, name):
            template += " union all by name select * from __NAME__"
        con.execute(template.replace("__EMPTY__", empty).replace("__NAME__", name))


#: The XML3 columns the signals read, with the type of the null that stands in for a
#: missing one. Present columns are read as they are (no union with a typed template,
#: which would widen a DECIMAL(18, 3) money column to a 128-bit DECIMAL(19, 3)).
_XML3_COLUMNS = {
    "ma_lk": "varchar",
    "stt": "bigint",
    "ma_dich_vu": "varchar",
    "t_bhtt": "decimal(18, 2)",
    "thanh_tien_bh": "decimal(18, 2)",
    "ngay_yl": "timestamp",
    "ngay_th_yl": "timestamp",
    "ngay_kq": "timestamp",
    "nguoi_thuc_hien": "varchar",
    "ma_may": "varchar",
}


def _xml3_select(columns: set[str]) -> str:
    """Return the select list of XML3 with a typed null for each missing column."""
    parts = [
        f"{name}" if name in columns else f"null::{kind} as {name}"
        for name, kind in _XML3_COLUMNS.items()
    ]
    extra = sorted({"_ingest_id", "_file", "_hoso"} & columns)
    return ", ".join(parts + extra)


# How a line finds its claim header: by the store's ingest id, by the reader's
# provenance (file and envelope index), or by MA_LK alone.
_JOINS = {
    "_ingest_id": "l.ma_lk = h.ma_lk and l._ingest_id = h._ingest_id",
    "_file": "l.ma_lk = h.ma_lk and l._file = h._file and l._hoso = h._hoso",
    "": "l.ma_lk = h.ma_lk",
}

# The distinct (code, day, machine group) keys of the lines: few, so codes and machines
# are normalised and matched to their minutes once per key, not once per line.
_KEYS = """
create or replace temp table sg_code_map as
with l as (select __XML3__ from xml3)
select ma_dich_vu, sg_tech(ma_dich_vu) as tech_key
from (select distinct ma_dich_vu::varchar as ma_dich_vu from l
      where ma_dich_vu is not null)
where not ends_with(trim(ma_dich_vu), '_TB');
create or replace temp table sg_may_map as
with l as (select __XML3__ from xml3)
select ma_may, sg_mgroup(ma_may) as line_group
from (select distinct ma_may::varchar as ma_may from l where ma_may is not null);
-- keyed by the machine's group, not the machine: a few groups per code and day
create or replace temp table sg_line_keys as
with l as (select __XML3__ from xml3)
select distinct l.ma_dich_vu::varchar as ma_dich_vu,
       cast(coalesce(l.ngay_th_yl, l.ngay_yl) as date) as day, m.line_group
from l left join sg_may_map as m on m.ma_may = l.ma_may::varchar
where l.ma_dich_vu is not null;
"""

# One pass over XML3: header, technique key and minutes joined in, written once.
_LINES = """
create or replace temp table sg_lines as
with l as (select __XML3__ from xml3)
select
    l.ma_lk::varchar as ma_lk,
    l.stt::bigint as stt,
    h.ma_cskcb::varchar as ma_cskcb,
    l.ma_dich_vu::varchar as ma_dich_vu,
    coalesce(l.ngay_th_yl, l.ngay_yl)::timestamp as t_start,
    l.ngay_kq::timestamp as t_result,
    cast(coalesce(l.ngay_th_yl, l.ngay_yl) as date) as day,
    -- each amount narrowed first: coalescing DECIMAL(18, 3) with DECIMAL(18, 2)
    -- would compute in 128 bits
    coalesce(l.t_bhtt::decimal(18, 2), l.thanh_tien_bh::decimal(18, 2),
             0::decimal(18, 2)) as money,
    l.nguoi_thuc_hien::varchar as nguoi_thuc_hien,
    l.ma_may::varchar as ma_may,
    -- the ICD-10 category of the claim's main diagnosis: the patient-mix group of
    -- the peer comparison
    __DX__ as dx,
    c.tech_key, t.perf_minutes, t.read_minutes, t.machine_minutes,
    t.minutes_source, t.mgroup
from l
join xml1 as h on __JOIN__
join sg_code_map as c on c.ma_dich_vu = l.ma_dich_vu::varchar
left join sg_may_map as m on m.ma_may = l.ma_may::varchar
left join sg_tech_day as t
  on t.tech_key = c.tech_key
 and t.day = cast(coalesce(l.ngay_th_yl, l.ngay_yl) as date)
 and t.line_group is not distinct from m.line_group;
drop table sg_line_keys;
"""


def _lines(con: duckdb.DuckDBPyConnection, timings: dict[str, float] | None) -> None:
    xml1_cols = columns_of(con, "xml1")
    xml3_cols = columns_of(con, "xml3")
    missing = {"ma_lk", "stt", "ma_dich_vu"} - xml3_cols
    if missing or "ma_cskcb" not in xml1_cols:
        msg = (
            "signals need the logical views xml1 (ma_lk, ma_cskcb) and xml3 (ma_lk, "
            f"stt, ma_dich_vu, ...); missing in xml3: {sorted(missing)}"
        )
        raise BackendError(msg)
    shared = xml1_cols & xml3_cols
    if "_ingest_id" in shared:
        join = _JOINS["_ingest_id"]
    elif {"_file", "_hoso"} <= shared:
        join = _JOINS["_file"]
    else:
        join = _JOINS[""]
    select = _xml3_select(xml3_cols)
    dx = (
        "nullif(upper(left(trim(h.ma_benh_chinh::varchar), 3)), '')"
        if "ma_benh_chinh" in xml1_cols
        else "null::varchar"
    )
    timed_execute(con, _KEYS.replace("__XML3__", select), "prepare: line keys", timings)
    timed_execute(con, _MINUTES, "prepare: minutes", timings)
    timed_execute(
        con,
        _LINES.replace("__XML3__", select)
        .replace("__JOIN__", join)
        .replace("__DX__", dx),
        "prepare: lines",
        timings,
    )
    timed_execute(
        con,
        "create or replace temp table sg_visits as "
        "select h.ma_cskcb::varchar as ma_cskcb, __DX__ as dx, "
        "count(distinct h.ma_lk) as visits from xml1 as h group by all".replace(
            "__DX__", dx
        ),
        "prepare: visits",
        timings,
    )


_MINUTES = """
create or replace temp table sg_tech_day as
with keys as (
    select distinct c.tech_key, l.day, l.line_group
    from sg_line_keys as l
    join sg_code_map as c using (ma_dich_vu)
    where l.day is not null
),
ref as (
    select sg_tech(ma_dich_vu) as code, reference_minutes::double as minutes,
           machine_group::varchar as machine_group,
           valid_from::date as valid_from, valid_to::date as valid_to
    from sg_in_ref_techniques where reference_minutes is not null
),
norm as (
    -- per-person minutes of the norm (giamdinh.norms.publish); the smallest over the
    -- professional titles of a technique is a lower bound for anyone performing it
    select sg_tech(technique_code) as code, min(minutes::double) as staff_minutes
    from sg_in_norm_staff_minutes where minutes is not null group by 1
),
matched as (
    -- the full code first, else its first two parts (two equi-joins, no OR join)
    select k.tech_key, k.day, k.line_group,
           coalesce(any_value(r1.minutes), any_value(r2.minutes)) as ref_minutes,
           coalesce(any_value(r1.machine_group), any_value(r2.machine_group))
               as machine_group
    from keys as k
    left join ref as r1
      on r1.code = k.tech_key
     and (r1.valid_from is null or r1.valid_from <= k.day)
     and (r1.valid_to is null or k.day <= r1.valid_to)
    left join ref as r2
      on r2.code = regexp_extract(k.tech_key, '^([^.]+\\.[^.]+)', 1)
     and (r2.valid_from is null or r2.valid_from <= k.day)
     and (r2.valid_to is null or k.day <= r2.valid_to)
    group by all
),
joined as (
    select m.tech_key, m.day, m.line_group, m.ref_minutes,
           coalesce(n.staff_minutes, n2.staff_minutes) as staff_minutes,
           coalesce(n.staff_minutes, n2.staff_minutes, m.ref_minutes) as base_minutes,
           coalesce(m.machine_group, m.line_group) as mgroup
    from matched as m
    left join norm as n on n.code = m.tech_key
    left join norm as n2
      on n2.code = regexp_extract(m.tech_key, '^([^.]+\\.[^.]+)', 1)
)
select j.tech_key, j.day, j.line_group, j.ref_minutes, j.staff_minutes, j.mgroup,
       f.floor_minutes,
       case when j.base_minutes is not null
            then j.base_minutes * getvariable('sg_pf')
            else coalesce(f.floor_minutes, 0) end as perf_minutes,
       case when j.base_minutes is not null
            then j.base_minutes * getvariable('sg_rf')
            else coalesce(f.floor_minutes, 0) / 2 end as read_minutes,
       case when j.ref_minutes is not null
            then j.ref_minutes * getvariable('sg_mf')
            else coalesce(f.floor_minutes, 0) end as machine_minutes,
       case when j.staff_minutes is not null then 'norm'
            when j.ref_minutes is not null then 'reference'
            when f.floor_minutes is not null then 'floor'
            else 'none' end as minutes_source
from joined as j
left join sg_floor as f on f.mgroup = j.mgroup;
"""


# A code field (NGUOI_THUC_HIEN, MA_BS_DOC_KQ, MA_MAY) takes few distinct values: each
# is split and normalised once into a map, which the lines then join (no string
# splitting or regular expression per line).
_PEOPLE = """
create or replace temp table sg_person_map as
with raw as (
    select distinct nguoi_thuc_hien as codes from sg_lines
    where nguoi_thuc_hien is not null
    union
    select distinct ma_bs_doc_kq::varchar from sg_in_xml4
    where ma_bs_doc_kq is not null
),
split as (
    select distinct codes, trim(unnest(string_split(codes, ';'))) as raw_code
    from raw
)
select codes, raw_code,
       case when contains(raw_code, '(') or contains(raw_code, '.C.')
            then sg_person(raw_code) else raw_code end as person,
       contains(raw_code, '.C.')
           and regexp_matches(raw_code, '\\.C\\.\\d{5}') as mobilised
from split where raw_code <> '';
create or replace temp table sg_people as
with performers as (
    select l.ma_lk, l.stt, l.ma_cskcb, l.day, l.t_start, l.t_result, l.tech_key,
           l.money, coalesce(l.perf_minutes, 0) as minutes, 'performer' as role,
           m.raw_code, m.person, m.mobilised
    from sg_lines as l
    join sg_person_map as m on m.codes = l.nguoi_thuc_hien
    where l.day is not null
),
reads as (
    -- a service read in several result rows (a laboratory test has one per
    -- indicator) counts once per reader, on the day of its first result
    select ma_lk::varchar as ma_lk, ma_dich_vu::varchar as ma_dich_vu,
           ma_bs_doc_kq::varchar as readers, min(cast(ngay_kq as date)) as read_day
    from sg_in_xml4 where ma_bs_doc_kq is not null
    group by all
),
readers as (
    -- only services that take a reader's time (no reading minutes for a lab
    -- test); the performer who also reads a line counts it once, as performer
    select l.ma_lk, l.stt, l.ma_cskcb, coalesce(r.read_day, l.day) as day,
           l.t_start, l.t_result, l.tech_key, l.money,
           case when position(';' || m.raw_code || ';'
                              in ';' || replace(coalesce(l.nguoi_thuc_hien, ''),
                                                ' ', '') || ';') > 0
                then 0 else coalesce(l.read_minutes, 0) end as minutes,
           'reader' as role, m.raw_code, m.person, m.mobilised
    from reads as r
    join sg_lines as l on l.ma_lk = r.ma_lk and l.ma_dich_vu = r.ma_dich_vu
    join sg_person_map as m on m.codes = r.readers
    where l.read_minutes > 0
)
select person, mobilised, role, ma_lk, stt, ma_cskcb, day, t_start,
       t_result, tech_key, money, minutes
from performers where person <> ''
union all
select person, mobilised, role, ma_lk, stt, ma_cskcb, day, t_start,
       t_result, tech_key, money, minutes
from readers where person <> '';
"""

_MACHINES = """
create or replace temp table sg_machine_map as
with split as (
    select distinct ma_may, trim(unnest(string_split(ma_may, ';'))) as machine
    from sg_may_map
)
select ma_may, machine, sg_mgroup(machine) as mgroup
from split where sg_mgroup(machine) is not null;
create or replace temp table sg_mlines as
select m.machine, m.mgroup, l.ma_lk, l.stt, l.ma_cskcb, l.day, l.t_start,
       l.t_result, l.tech_key, l.money, coalesce(l.machine_minutes, 0) as minutes
from sg_lines as l
join sg_machine_map as m on m.ma_may = l.ma_may
where l.day is not null;
"""


def _declared(con: duckdb.DuckDBPyConnection, params: SignalParams) -> None:
    """Compute declared working minutes per M02 row (a small table, parsed here)."""
    data = con.execute(
        "select macchn, ma_cskcb, cskcb_khac, thoigian_dk, thoigian_ngay, "
        "valid_from, valid_to from sg_in_ref_practitioners where macchn is not null"
    ).fetchall()
    rows = [
        {
            "person": _person(str(code)),
            "ma_cskcb": None if facility is None else str(facility),
            "cskcb_khac": None if others is None else str(others),
            "declared_minutes": declared_minutes(
                None if per_day is None else str(per_day),
                None if kind is None else str(kind),
                full_time=params.full_time_minutes,
            ),
            "valid_from": start,
            "valid_to": end,
        }
        for code, facility, others, kind, per_day, start, end in data
    ]
    schema = pa.schema(
        [
            ("person", pa.string()),
            ("ma_cskcb", pa.string()),
            ("cskcb_khac", pa.string()),
            ("declared_minutes", pa.float64()),
            ("valid_from", pa.date32()),
            ("valid_to", pa.date32()),
        ]
    )
    con.register("sg_declared_src", pa.Table.from_pylist(rows, schema=schema))
    con.execute(
        "create or replace temp table sg_declared as select * from sg_declared_src"
    )
    con.unregister("sg_declared_src")


_RANGE = re.compile(
    r"(\d{1,2})\s*[h:gG]\s*(\d{0,2})\s*(?:p|ph)?\s*[-–—đếnto]+\s*"
    r"(\d{1,2})\s*[h:gG]?\s*(\d{0,2})"
)
_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(?:h|giờ|gio|tiếng)?\s*$", re.IGNORECASE)
_FULL_TIME = "1"
_DAY_HOURS = 24


def _person(code: str) -> str:
    base = re.sub(r"\(.*\)", "", code).strip()
    if base:
        return re.sub(r"\.C\.\d{5}$", "", base)
    inner = re.search(r"\(([^)]*)\)", code)
    return inner.group(1).strip() if inner else ""


def declared_minutes(
    per_day: str | None, kind: str | None, *, full_time: float = 480.0
) -> float | None:
    """Return the daily minutes an M02 row declares, or ``None`` when unknown.

    ``THOIGIAN_NGAY`` is free text in practice: a number of hours (``8``, ``8 giờ``)
    or clock ranges (``07h00-11h30; 13h30-17h00``, ``7:30 - 16:30``). Without it, a
    full-time registration (``THOIGIAN_DK`` = 1) is 8 hours (Labour Code 2019 Art. 105).

    Args:
        per_day: the ``THOIGIAN_NGAY`` text.
        kind: the ``THOIGIAN_DK`` code (1 full time, 2 part time).
        full_time: minutes of a full-time day that states no hours.

    Returns:
        Minutes per day, or ``None`` when nothing can be read.
    """
    text = (per_day or "").strip()
    if text:
        number = _NUMBER.match(text)
        if number:
            hours = float(number.group(1).replace(",", "."))
            if 0 < hours <= _DAY_HOURS:
                return hours * 60
        total = 0.0
        for h1, m1, h2, m2 in _RANGE.findall(text):
            start = int(h1) * 60 + int(m1 or 0)
            end = int(h2) * 60 + int(m2 or 0)
            if end <= start:
                end += 24 * 60
            total += end - start
        if total > 0:
            return min(total, 24 * 60.0)
    if (kind or "").strip() == _FULL_TIME:
        return full_time
    return None


def prepare(
    con: duckdb.DuckDBPyConnection,
    params: SignalParams,
    timings: dict[str, float] | None = None,
) -> None:
    """Create the ``sg_*`` working tables on ``con`` from the logical views.

    ``timings``, when given, receives the wall seconds of each step.

    Raises:
        BackendError: when ``xml1`` or ``xml3`` is missing or lacks its key columns.
    """
    for name in ("xml1", "xml3"):
        if not relation_exists(con, name):
            msg = f"signals need the logical view {name}: open the claim store first"
            raise BackendError(msg)
    _set_params(con, params)
    con.execute(_MACROS)
    _ensure_optional(con)
    _lines(con, timings)
    timed_execute(con, _PEOPLE, "prepare: people", timings)
    timed_execute(con, _MACHINES, "prepare: machines", timings)
    started = time.perf_counter()
    _declared(con, params)
    if timings is not None:
        timings["prepare: declared"] = time.perf_counter() - started
