r"""Derived views: facts several rules need, computed once per run by the engine.

A rule may read these like any logical view. The engine materialises only the ones
the rule set reads (and what they read), once, before the findings query, so the
work they hold is done once per run instead of once per rule:

* ``service_lines``: each XML3 line with its claim's facility, its date and its
  price code (the first 12 characters of ``MA_DICH_VU``), so that a join to the
  facility's price list is one equality on two columns (the planner misjudged the
  three-way join of lines, claims and prices and built millions of pairs).
* ``code_group_members``: which XML2/XML3 line belongs to which group of
  ``edit_code_groups`` on its date. The ``LIKE`` patterns are matched against the
  *distinct* codes and names of the batch (hundreds), not against every line
  (millions), then joined back to the lines by equality.
* ``line_indications``: which rows of ``edit_indications`` (indications and
  contraindications) apply to an XML3 line on its date, by code prefix or group.
* ``included_item_lines``: which rows of ``edit_included_items`` an XML3 line
  takes part in on its date, as the main service or as the included item.
* ``claim_diagnoses``: every ICD-10 code of a claim, normalised (trimmed, upper
  case, no dot), with where it was written.
* ``line_practitioners``: one row per person named on a line (``MA_BAC_SI``,
  ``NGUOI_THUC_HIEN``, ``MA_BS_DOC_KQ`` of the matching XML4 result), with the
  practising-certificate number and the facility it was declared at, parsed once
  per distinct text (``practitioner_codes``) instead of once per line and rule.
  A person written twice in one role of a line gives two rows.
* ``card_periods``: the validity periods of the cards of a claim, split once.
* ``licence_days``: for each person named on a line and each day they are named,
  whether a practice licence was active that day (``ref_licences``).

The SQL below is DuckDB dialect over logical views only, like rule SQL; the Spark
backend translates it. The columns are documented in ``docs/engine/views.md``.

NOTE: a name is parsed with the conventions of contract 4 for list fields: ``;``
separates people, ``(…)`` after a code is a comment, a suffix ``.C.12345`` names
the facility (``MA_CSKCB``) where the person is declared when it is not the
claim's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from giamdinh.rules import sqlscan

parse_sql = sqlscan.parse_sql
"""One cache of parsed SQL for the registry's time guard and the engine."""


@dataclass(frozen=True, slots=True)
class DerivedView:
    """A view the engine computes from logical views before the rules run.

    Attributes:
        name: the view name rules use.
        sql: one DuckDB-dialect SELECT over logical (or earlier derived) views.
        doc: one line for the docs.
    """

    name: str
    sql: str
    doc: str

    def sources(self) -> frozenset[str]:
        """Return the views this view reads (CTE names excluded)."""
        tree = parse_sql(self.sql)
        ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
        return frozenset(t.name for t in tree.find_all(exp.Table) if t.name not in ctes)

    def columns_read(self) -> frozenset[str]:
        """Return every column name the view's SQL mentions (lower case)."""
        tree = parse_sql(self.sql)
        return frozenset(
            c.name.lower() for c in tree.find_all(exp.Column) if c.name
        ) | frozenset(i.name.lower() for i in tree.find_all(exp.Identifier))


SERVICE_LINES = DerivedView(
    name="service_lines",
    doc=(
        "Each XML3 line with its claim's facility, its date and its price code: "
        "ma_lk, stt, ma_cskcb, ngay, ma_gia"
    ),
    sql="""
select l.ma_lk, l.stt, h.ma_cskcb, cast(l.ngay_yl as date) as ngay,
       left(l.ma_dich_vu, 12) as ma_gia
from xml3 as l
left join xml1 as h on h.ma_lk = l.ma_lk
""",
)

CODE_GROUP_MEMBERS = DerivedView(
    name="code_group_members",
    doc=(
        "XML2/XML3 lines in a group of edit_code_groups on their date: "
        "tbl, ma_lk, stt, group_name"
    ),
    sql="""
with keys3 as (
    select distinct ma_dich_vu, ten_dich_vu, ma_vat_tu from xml3
),
groups3 as (
    select k.ma_dich_vu, k.ten_dich_vu, k.ma_vat_tu, g.group_name,
           g.valid_from, g.valid_to
    from keys3 as k
    join edit_code_groups as g
      on g.source_table = 'XML3'
     and lower(
         case g.field
             when 'ma_dich_vu' then k.ma_dich_vu
             when 'ten_dich_vu' then k.ten_dich_vu
             when 'ma_vat_tu' then k.ma_vat_tu
         end
     ) like g.pattern
),
keys2 as (
    select distinct ma_thuoc, ten_thuoc from xml2
),
groups2 as (
    select k.ma_thuoc, k.ten_thuoc, g.group_name, g.valid_from, g.valid_to
    from keys2 as k
    join edit_code_groups as g
      on g.source_table = 'XML2'
     and lower(
         case g.field
             when 'ma_thuoc' then k.ma_thuoc
             when 'ten_thuoc' then k.ten_thuoc
         end
     ) like g.pattern
)
select distinct 'XML3' as tbl, x.ma_lk, x.stt, m.group_name
from xml3 as x
join groups3 as m
  on m.ma_dich_vu is not distinct from x.ma_dich_vu
 and m.ten_dich_vu is not distinct from x.ten_dich_vu
 and m.ma_vat_tu is not distinct from x.ma_vat_tu
where cast(x.ngay_yl as date) >= m.valid_from
  and (m.valid_to is null or cast(x.ngay_yl as date) <= m.valid_to)
union all
select distinct 'XML2' as tbl, d.ma_lk, d.stt, m.group_name
from xml2 as d
join groups2 as m
  on m.ma_thuoc is not distinct from d.ma_thuoc
 and m.ten_thuoc is not distinct from d.ten_thuoc
where cast(d.ngay_yl as date) >= m.valid_from
  and (m.valid_to is null or cast(d.ngay_yl as date) <= m.valid_to)
""",
)

LINE_INDICATIONS = DerivedView(
    name="line_indications",
    doc=(
        "XML3 lines matched to rows of edit_indications on their date, by code "
        "prefix or by a group of code_group_members: ma_lk, stt, ma_dich_vu, kind, "
        "code, icd_prefix, topic, refusal_code"
    ),
    sql="""
select l.ma_lk, l.stt, l.ma_dich_vu, e.kind, e.code, e.icd_prefix, e.topic,
       e.refusal_code
from xml3 as l
join edit_indications as e
  on left(l.ma_dich_vu, length(e.code)) = e.code
 and cast(l.ngay_yl as date) >= e.valid_from
 and (e.valid_to is null or cast(l.ngay_yl as date) <= e.valid_to)
union
select l.ma_lk, l.stt, l.ma_dich_vu, e.kind, e.code, e.icd_prefix, e.topic,
       e.refusal_code
from xml3 as l
join code_group_members as m
  on m.tbl = 'XML3' and m.ma_lk = l.ma_lk and m.stt = l.stt
join edit_indications as e
  on e.code = m.group_name
 and cast(l.ngay_yl as date) >= e.valid_from
 and (e.valid_to is null or cast(l.ngay_yl as date) <= e.valid_to)
""",
)

INCLUDED_ITEM_LINES = DerivedView(
    name="included_item_lines",
    doc=(
        "XML3 lines in a row of edit_included_items on their date, as the main "
        "service (code) or, for XML3 items, as the included item (included_code): "
        "ma_lk, stt, ma_dich_vu, ngay, role, included_table, code, included_code, "
        "topic, refusal_code"
    ),
    sql="""
with lines as (
    select ma_lk, stt, ma_dich_vu, cast(ngay_yl as date) as ngay from xml3
),
groups as (
    select ma_lk, stt, group_name from code_group_members where tbl = 'XML3'
),
matches as (
    select l.*, i.included_table, i.code, i.included_code, i.topic,
           i.refusal_code, i.valid_from, i.valid_to, 'main' as role
    from lines as l
    join edit_included_items as i on left(l.ma_dich_vu, length(i.code)) = i.code
    union all
    select l.*, i.included_table, i.code, i.included_code, i.topic,
           i.refusal_code, i.valid_from, i.valid_to, 'main' as role
    from lines as l
    join groups as g on g.ma_lk = l.ma_lk and g.stt = l.stt
    join edit_included_items as i on i.code = g.group_name
    union all
    select l.*, i.included_table, i.code, i.included_code, i.topic,
           i.refusal_code, i.valid_from, i.valid_to, 'included' as role
    from lines as l
    join edit_included_items as i
      on i.included_table = 'XML3'
     and left(l.ma_dich_vu, length(i.included_code)) = i.included_code
    union all
    select l.*, i.included_table, i.code, i.included_code, i.topic,
           i.refusal_code, i.valid_from, i.valid_to, 'included' as role
    from lines as l
    join groups as g on g.ma_lk = l.ma_lk and g.stt = l.stt
    join edit_included_items as i
      on i.included_table = 'XML3' and i.included_code = g.group_name
)
select distinct
    ma_lk, stt, ma_dich_vu, ngay, role, included_table, code, included_code,
    topic, refusal_code
from matches
where ngay >= valid_from and (valid_to is null or ngay <= valid_to)
""",
)

CLAIM_DIAGNOSES = DerivedView(
    name="claim_diagnoses",
    doc=(
        "ICD-10 codes of a claim, normalised (upper case, no dot): ma_lk, icd, "
        "source ('MA_BENH_CHINH', 'MA_BENH_KT' or 'MA_BENH' of an XML3 line)"
    ),
    sql="""
with raw as (
    select h.ma_lk, 'MA_BENH_CHINH' as source, h.ma_benh_chinh as code
    from xml1 as h
    union all
    select h.ma_lk, 'MA_BENH_KT' as source, x.code
    from xml1 as h
    cross join unnest(string_split(h.ma_benh_kt, ';')) as x(code)
    union all
    select l.ma_lk, 'MA_BENH' as source, x.code
    from xml3 as l
    cross join unnest(string_split(l.ma_benh, ';')) as x(code)
)
select distinct ma_lk, upper(replace(trim(code), '.', '')) as icd, source
from raw
where coalesce(trim(code), '') <> ''
""",
)

PRACTITIONER_CODES = DerivedView(
    name="practitioner_codes",
    doc=(
        "Each distinct person text of the practitioner list fields, parsed: raw, "
        "macchn, noi_ghi (the MA_CSKCB of a '.C.' suffix, else null)"
    ),
    sql=r"""
with lists as (
    select distinct s from (
        select ma_bac_si as s from xml3
        union all
        select nguoi_thuc_hien from xml3
        union all
        select ma_bs_doc_kq from xml4
        union all
        select ma_bac_si from xml2
    ) as a
),
texts as (
    select distinct trim(x.raw) as raw
    from lists cross join unnest(string_split(s, ';')) as x(raw)
)
select
    raw,
    regexp_replace(
        trim(regexp_replace(raw, '\(.*\)', '')), '\.C\.\d{5}$', ''
    ) as macchn,
    nullif(regexp_extract(raw, '\.C\.(\d{5})', 1), '') as noi_ghi
from texts
where trim(regexp_replace(raw, '\(.*\)', '')) <> ''
""",
)

LINE_PRACTITIONERS = DerivedView(
    name="line_practitioners",
    doc=(
        "People named on a service (XML3 without MA_VAT_TU) or drug (XML2) line: "
        "tbl, ma_lk, stt, code, ma_cskcb, vai_tro, ngay, macchn, noi_khai_bao"
    ),
    sql="""
with lines as (
    select l.ma_lk, l.stt, l.ma_dich_vu, h.ma_cskcb, l.ma_bac_si,
           l.nguoi_thuc_hien,
           cast(l.ngay_yl as date) as ngay_yl,
           cast(coalesce(l.ngay_th_yl, l.ngay_yl) as date) as ngay_th
    from xml3 as l
    left join xml1 as h on h.ma_lk = l.ma_lk
    where coalesce(l.ma_vat_tu, '') = ''
),
roles as (
    select 'XML3' as tbl, ma_lk, stt, ma_dich_vu as code, ma_cskcb,
           'MA_BAC_SI' as vai_tro, ngay_yl as ngay, trim(x.raw) as raw
    from lines cross join unnest(string_split(ma_bac_si, ';')) as x(raw)
    union all
    select 'XML3', ma_lk, stt, ma_dich_vu, ma_cskcb, 'NGUOI_THUC_HIEN', ngay_th,
           trim(x.raw)
    from lines cross join unnest(string_split(nguoi_thuc_hien, ';')) as x(raw)
    union all
    select 'XML3', l.ma_lk, l.stt, l.ma_dich_vu, l.ma_cskcb, 'MA_BS_DOC_KQ',
           cast(coalesce(r.ngay_kq, l.ngay_th) as date), trim(x.raw)
    from lines as l
    join (
        select distinct ma_lk, ma_dich_vu, ngay_kq, ma_bs_doc_kq from xml4
    ) as r on r.ma_lk = l.ma_lk and r.ma_dich_vu = l.ma_dich_vu
    cross join unnest(string_split(r.ma_bs_doc_kq, ';')) as x(raw)
    union all
    select 'XML2', d.ma_lk, d.stt, d.ma_thuoc, h.ma_cskcb, 'MA_BAC_SI',
           cast(d.ngay_yl as date), trim(x.raw)
    from xml2 as d
    left join xml1 as h on h.ma_lk = d.ma_lk
    cross join unnest(string_split(d.ma_bac_si, ';')) as x(raw)
)
select
    r.tbl, r.ma_lk, r.stt, r.code, r.ma_cskcb, r.vai_tro, r.ngay, n.macchn,
    coalesce(n.noi_ghi, r.ma_cskcb) as noi_khai_bao
from roles as r
join practitioner_codes as n on n.raw = r.raw
""",
)

LICENCE_DAYS = DerivedView(
    name="licence_days",
    doc=(
        "Each person of line_practitioners known to ref_licences, on each day they "
        "are named: macchn, ngay, co_hieu_luc (1 when a licence row is active that "
        "day), tinh_trang_ngay (the licence status that day, null when none)"
    ),
    sql="""
with days as (
    select distinct macchn, ngay
    from line_practitioners
    where macchn in (select k.macchn from ref_licences as k)
)
select
    d.macchn, d.ngay,
    max(case when r.trang_thai = 'active' then 1 else 0 end) as co_hieu_luc,
    max(r.trang_thai) as tinh_trang_ngay
from days as d
left join ref_licences as r
  on r.macchn = d.macchn
 and d.ngay >= r.valid_from
 and (r.valid_to is null or d.ngay <= r.valid_to)
group by d.macchn, d.ngay
""",
)

CARD_PERIODS = DerivedView(
    name="card_periods",
    doc=(
        "Validity periods of the cards of a claim (up to six, from the ';' lists "
        "MA_THE_BHYT, GT_THE_TU, GT_THE_DEN of XML1): ma_lk, ma_loai_kcb, "
        "ngay_vao, the, tu, den (text yyyymmdd, den '' when open), mo_ta"
    ),
    sql=r"""
with periods as (
    select
        h.ma_lk, h.ma_loai_kcb,
        strftime(cast(h.ngay_vao as date), '%Y%m%d') as ngay_vao,
        trim(split_part(h.ma_the_bhyt, ';', n.i)) as the,
        trim(split_part(h.gt_the_tu, ';', n.i)) as tu,
        trim(split_part(h.gt_the_den, ';', n.i)) as den
    from xml1 as h
    cross join (values (1), (2), (3), (4), (5), (6)) as n(i)
    where coalesce(h.gt_the_tu, '') <> ''
)
select *, concat(the, ' ', tu, '–', den) as mo_ta
from periods
where regexp_matches(tu, '^\d{8}$')
""",
)

DERIVED_VIEWS: dict[str, DerivedView] = {
    v.name: v
    for v in (
        SERVICE_LINES,
        CODE_GROUP_MEMBERS,
        LINE_INDICATIONS,
        INCLUDED_ITEM_LINES,
        CLAIM_DIAGNOSES,
        PRACTITIONER_CODES,
        LINE_PRACTITIONERS,
        LICENCE_DAYS,
        CARD_PERIODS,
    )
}
"""Every derived view, in an order where a view comes after the views it reads."""


def closure(names: frozenset[str]) -> tuple[frozenset[str], tuple[DerivedView, ...]]:
    """Return the logical views and the derived views (in order) ``names`` need.

    Args:
        names: views read by the rules (logical and derived).

    Returns:
        The logical (non-derived) views to register, and the derived views to
        materialise, each after the views it reads.
    """
    wanted: set[str] = set()
    pending = [n for n in names if n in DERIVED_VIEWS]
    while pending:
        name = pending.pop()
        if name in wanted:
            continue
        wanted.add(name)
        pending.extend(s for s in DERIVED_VIEWS[name].sources() if s in DERIVED_VIEWS)
    ordered = tuple(v for v in DERIVED_VIEWS.values() if v.name in wanted)
    base = {n for n in names if n not in DERIVED_VIEWS}
    for view in ordered:
        base.update(s for s in view.sources() if s not in DERIVED_VIEWS)
    return frozenset(base), ordered
