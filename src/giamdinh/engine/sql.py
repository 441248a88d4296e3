"""Compile rules into SQL: scope, bookkeeping columns, few queries for the whole set.

Every rule's SQL names only logical views. The engine:

1. adds a ``params`` CTE (one row, one column per parameter) to the rule's query;
2. wraps it to add ``rule_id``, ``rule_version``, ``tbl``, ``amount`` (the rule's
   amount expression, rounded to đồng cents) and ``evidence`` (a JSON object of the
   rule's other output columns, as text);
3. unions every rule into ``_hits`` and joins the hits to the scope table
   ``_scope_rules`` (effective period and severity per rule version, after
   overrides) and to the lines, keeping a hit only when the service date of its
   line (or, for claim rules, the claim's discharge or admission date) falls in
   the version's effective period, and only for claims of the batch.

A set runs as a few set-wide queries, not one round trip per rule per line: the
raw hits of a group of rules are one query (``hits_query``; the engine runs a few
groups, ``giamdinh.engine.run.RULES_PER_PASS``), and one more scopes them all
(``assessment_query``).

NOTE: S608 (SQL built from strings) is suppressed in this module only: every piece
interpolated is either rule SQL reviewed as code, an identifier checked by the
rule model (``ID_RE``, ``PARAM_RE``, column names parsed by sqlglot), or a literal
rendered by ``literal`` below.
"""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar, cast

import sqlglot
from sqlglot import exp

from giamdinh.domain import Grain
from giamdinh.engine.derived import closure, parse_sql
from giamdinh.errors import RuleDefinitionError

_T = TypeVar("_T")

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from giamdinh.rules.model import Rule

OPEN_END = "date '9999-12-31'"


def literal(value: object) -> str:
    """Render a parameter value as a SQL literal (DuckDB dialect).

    Raises:
        RuleDefinitionError: the value's type cannot be a parameter.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return f"cast('{value}' as decimal(38, 3))"
    if isinstance(value, date):
        return f"date '{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    msg = f"parameter value {value!r} must be int, Decimal, date or str"
    raise RuleDefinitionError(msg)


def parse(rule: Rule) -> exp.Expression:
    """Parse the rule's SQL (DuckDB dialect); a tree of its own, free to change.

    The parsed tree is cached (``parse_sql``) and copied here.

    Raises:
        RuleDefinitionError: the SQL does not parse or is not one SELECT.
    """
    return _tree(rule).copy()


def _read(rule: Rule) -> exp.Expression:
    """Return the cached parsed tree itself, for walks that change nothing."""
    return _tree(rule)


def _tree(rule: Rule) -> exp.Expression:
    try:
        tree = parse_sql(rule.sql)
    except sqlglot.errors.ParseError as exc:
        raise RuleDefinitionError(
            f"rule {rule.key}: SQL does not parse: {exc}"
        ) from exc
    if not isinstance(tree, exp.Select | exp.Union):
        raise RuleDefinitionError(f"rule {rule.key}: SQL must be one SELECT query")
    return tree


def output_columns(rule: Rule) -> tuple[str, ...]:
    """Return the names of the columns the rule's SQL returns, in order.

    Raises:
        RuleDefinitionError: a column is ``*`` or unnamed, or a key is missing.
    """
    tree = _read(rule)
    select = tree if isinstance(tree, exp.Select) else tree.find(exp.Select)
    assert select is not None  # noqa: S101 - a Union always holds a Select
    names: list[str] = []
    for projection in select.expressions:
        name = projection.alias_or_name
        if not name or name == "*":
            msg = f"rule {rule.key}: every output column needs a name (no *)"
            raise RuleDefinitionError(msg)
        names.append(name)
    missing = [k for k in rule.output_keys() if k not in names]
    if missing:
        msg = f"rule {rule.key}: SQL must return the key columns {missing}"
        raise RuleDefinitionError(msg)
    return tuple(names)


def evidence_columns(rule: Rule) -> tuple[str, ...]:
    """Return the output columns that are evidence (all but ``ma_lk``/``stt``)."""
    keys = set(rule.output_keys())
    return tuple(c for c in output_columns(rule) if c not in keys)


WRAPPER_VIEWS = frozenset({"xml1", "xml2", "xml3"})
"""Views the engine's own wrapper and decision queries read."""


def referenced_views(rules: Sequence[Rule]) -> frozenset[str]:
    """Return the logical views the rules' SQL and the engine's wrapper read."""
    names: set[str] = set(WRAPPER_VIEWS)
    for rule in rules:
        tree = _read(rule)
        ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
        names.update(t.name for t in tree.find_all(exp.Table) if t.name not in ctes)
    names.discard("params")
    return frozenset(names)


def cte_prefix(rule: Rule) -> str:
    """Return the prefix that makes the rule's CTE names unique in the set."""
    return f"_{rule.id.lower()}_{rule.version}__"


def _rename_ctes(tree: exp.Expression, prefix: str) -> exp.Expression:
    """Prefix every CTE name of ``tree`` (and the references to it).

    NOTE: sqlglot's Spark generator hoists the CTEs of every ``_hits`` branch to
    the top of the one query, where two rules' ``params`` or ``lines`` would
    clash (Spark: DUPLICATED_CTE_NAMES). A reference without an alias keeps its
    old name as alias, so ``params.share`` still resolves.
    """
    names = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    if not names:
        return tree
    for cte in tree.find_all(exp.CTE):
        cte.set("alias", exp.TableAlias(this=exp.to_identifier(prefix + cte.alias)))
    for table in tree.find_all(exp.Table):
        if table.name in names and not table.args.get("db"):
            old = table.name
            table.set("this", exp.to_identifier(prefix + old))
            if not table.alias:
                table.set("alias", exp.TableAlias(this=exp.to_identifier(old)))
    return tree


def _ordered_string_agg(tree: exp.Expression) -> exp.Expression:
    """Give every ``string_agg`` a total order, so evidence text is deterministic.

    ``string_agg(x, sep)`` gets ``order by x``; ``string_agg(x, sep order by k)``
    gets ``order by k, x``. Without it the text of a finding depends on the
    plan (DuckDB threads, Spark partitions) and the two backends cannot agree.
    """
    for node in list(tree.find_all(exp.GroupConcat)):
        inner = node.this
        keys: list[exp.Expression] = []
        if isinstance(inner, exp.Order):
            keys = [o.this for o in inner.expressions]
            inner = inner.this
        value = inner.expressions[0] if isinstance(inner, exp.Distinct) else inner
        if isinstance(inner, exp.Distinct) and keys:
            continue
        if not any(k == value for k in keys):
            keys.append(value.copy())
        order = exp.Order(
            this=inner.copy(),
            expressions=[exp.Ordered(this=k.copy(), nulls_first=False) for k in keys],
        )
        node.set("this", order)
    return tree


CLAIM_VIEWS = frozenset(f"xml{i}" for i in range(1, 16))
WRAPPER_COLUMNS = frozenset(
    {"ma_lk", "stt", "ma_dich_vu", "ma_thuoc", "ngay_yl", "t_bhtt", "ma_cskcb"}
    | {"ngay_ra", "ngay_vao"}
)
"""Claim columns the engine's wrapper and decision queries read."""


def referenced_columns(rules: Sequence[Rule]) -> frozenset[str] | None:
    """Return every column name the rules and the wrapper read, or ``None``.

    A caller holding big claim tables may keep only these columns (the views add
    the others as nulls). ``None`` means a rule selects ``*`` from a view, so no
    column may be dropped.
    """
    names: set[str] = set(WRAPPER_COLUMNS)
    for view in closure(referenced_views(rules))[1]:
        names.update(view.columns_read())
    for rule in rules:
        tree = _read(rule)
        ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
        for star in tree.find_all(exp.Star):
            if isinstance(star.parent, exp.Func):
                continue  # count(*)
            select = star.find_ancestor(exp.Select)
            sources = [t.name for t in select.find_all(exp.Table)] if select else []
            if any(n in CLAIM_VIEWS and n not in ctes for n in sources):
                return None
        names.update(c.name.lower() for c in tree.find_all(exp.Column) if c.name)
        names.update(i.name.lower() for i in tree.find_all(exp.Identifier))
    return frozenset(names)


#: Compiled text of each rule (by what it is made of: id, version, SQL, params):
#: compiling a rule copies and walks its parsed tree, which costs more than
#: running it on one hospital's file, and a server checks many files.
_COMPILED: dict[tuple[object, ...], object] = {}
_COMPILED_LOCK = threading.Lock()
_COMPILED_MAX = 4096


def _memo(kind: str, rule: Rule, compute: Callable[[], _T]) -> _T:
    key = (
        kind,
        rule.id,
        rule.version,
        rule.sql,
        tuple(sorted((k, repr(v)) for k, v in rule.params.items())),
        rule.table,
        rule.grain,
        rule.amount,
    )
    with _COMPILED_LOCK:
        if key in _COMPILED:
            return cast("_T", _COMPILED[key])
    value = compute()
    with _COMPILED_LOCK:
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        _COMPILED[key] = value
    return value


def fields_read(rule: Rule) -> dict[str, frozenset[str]]:
    """Return the columns a rule may read of each claim view (lower case).

    The claim views are those the rule reads itself or through derived views.

    Conservative: every column name the rule's SQL or its derived views mention
    counts for every claim view they read. A rule that reads a field which did not
    parse on a claim is "not checked" there, never run on a null that stands for
    a value the file did state.
    """
    return dict(_memo("fields", rule, lambda: _fields_read(rule)))


def _fields_read(rule: Rule) -> dict[str, frozenset[str]]:
    tree = _read(rule)
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    direct = frozenset(
        t.name for t in tree.find_all(exp.Table) if t.name not in ctes
    ) - {"params"}
    base, derived = closure(direct)
    names = {c.name.lower() for c in tree.find_all(exp.Column) if c.name}
    names.update(i.name.lower() for i in tree.find_all(exp.Identifier))
    for view in derived:
        names.update(view.columns_read())
    columns = frozenset(names)
    return dict.fromkeys(sorted(base & CLAIM_VIEWS), columns)


def with_params(rule: Rule) -> str:
    """Return the rule's SQL with its ``params`` CTE added first, CTEs prefixed.

    NOTE: first, not last: the rule's own CTEs may read ``params`` and a CTE only
    sees the ones defined before it.
    """
    return _memo("with_params", rule, lambda: _with_params(rule))


def _with_params(rule: Rule) -> str:
    tree = parse(rule)
    if rule.params:
        params = ", ".join(f"{literal(v)} as {k}" for k, v in rule.params.items())
        tree = tree.with_("params", as_=f"select {params}", dialect="duckdb")  # type: ignore[attr-defined]
        node = tree.args.get("with_") or tree.args.get("with")
        if isinstance(node, exp.With):
            ctes = node.expressions
            ctes.insert(0, ctes.pop())
    tree = _rename_ctes(tree, cte_prefix(rule))
    tree = _ordered_string_agg(tree)
    return str(tree.sql(dialect="duckdb"))


def hit_query(rule: Rule) -> str:
    """Return the rule as one ``_hits`` branch with the bookkeeping columns."""
    return _memo("hit", rule, lambda: _hit_query(rule))


def _hit_query(rule: Rule) -> str:
    evidence = ", ".join(
        f"'{c}': cast(r.{c} as varchar)" for c in evidence_columns(rule)
    )
    amount = (
        f"cast(round({rule.amount.strip()}, 2) as decimal(18, 2))"
        if rule.amount.strip()
        else "cast(null as decimal(18, 2))"
    )
    line = rule.grain is Grain.LINE
    tbl = f"'{rule.table}'" if line else "cast(null as varchar)"
    stt = "cast(r.stt as bigint)" if line else "cast(null as bigint)"
    return (
        f"select '{rule.id}' as rule_id, {rule.version} as rule_version, "  # noqa: S608
        f"{tbl} as tbl, r.ma_lk, {stt} as stt, {amount} as amount, "
        f"to_json({{{evidence}}}) as evidence "
        f"from ({with_params(rule)}) as r"
    )


def hits_query(rules: Sequence[Rule]) -> str:
    """Return the rules as one query of raw hits (before scope), branch by branch."""
    return "\nunion all\n".join(hit_query(r) for r in rules)


def assessment_query(
    rules: Sequence[Rule], *, batch: bool, hits: Sequence[str] | None = None
) -> str:
    """Return the query that runs ``rules`` and returns the scoped findings.

    The query reads the logical views plus ``_scope_rules`` (and ``_scope_batch``
    when ``batch``). Output columns: ``rule_id``, ``rule_version``, ``severity``,
    ``ma_lk``, ``tbl``, ``stt``, ``code``, ``ma_cskcb``, ``service_date``,
    ``claimed``, ``amount``, ``evidence``.

    Args:
        rules: the rules.
        batch: keep only claims of ``_scope_batch``.
        hits: relations already holding the rules' raw hits (``hits_query`` of
            parts of ``rules``, computed in earlier passes); the rules' SQL is
            inlined when ``None``.
    """
    if not rules:
        msg = "no rule to run: the rule set is empty or every rule is disabled"
        raise RuleDefinitionError(msg)
    hits_sql = (
        "\nunion all\n".join(f"select * from {name}" for name in hits)  # noqa: S608
        if hits
        else hits_query(rules)
    )
    batch_filter = "and h.ma_lk in (select ma_lk from _scope_batch)" if batch else ""
    return f"""
with _hits as (
{hits_sql}
),
_lines as (
    select 'XML3' as tbl, ma_lk, cast(stt as bigint) as stt, ma_dich_vu as code,
           cast(ngay_yl as date) as service_date, t_bhtt
    from xml3
    union all
    select 'XML2' as tbl, ma_lk, cast(stt as bigint) as stt, ma_thuoc as code,
           cast(ngay_yl as date) as service_date, t_bhtt
    from xml2
),
_claims as (
    select ma_lk, min(ma_cskcb) as ma_cskcb,
           min(cast(coalesce(ngay_ra, ngay_vao) as date)) as service_date,
           min(t_bhtt) as t_bhtt
    from xml1
    group by ma_lk
),
_scoped as (
    select distinct
        h.rule_id, h.rule_version, s.severity, h.ma_lk, h.tbl, h.stt, l.code,
        c.ma_cskcb,
        coalesce(l.service_date, c.service_date) as service_date,
        coalesce(l.t_bhtt, c.t_bhtt) as claimed,
        h.amount, h.evidence
    from _hits as h
    join _scope_rules as s
      on s.rule_id = h.rule_id and s.rule_version = h.rule_version
    left join _lines as l
      on l.tbl = h.tbl and l.ma_lk = h.ma_lk and l.stt = h.stt
    left join _claims as c on c.ma_lk = h.ma_lk
    where coalesce(l.service_date, c.service_date) >= s.eff_from
      and coalesce(l.service_date, c.service_date) <= s.eff_to
      {batch_filter}
)
select
    rule_id, rule_version, severity, ma_lk, tbl, stt, code, ma_cskcb, service_date,
    cast(round(coalesce(claimed, 0), 2) as decimal(18, 2)) as claimed,
    cast(
        case
            when severity = 'info' then 0
            when severity = 'adjust' and amount is not null
                then least(greatest(amount, 0), coalesce(claimed, 0))
            else coalesce(claimed, 0)
        end as decimal(18, 2)
    ) as amount,
    evidence
from _scoped
"""  # noqa: S608


DECISIONS_QUERY = """
with _f as (
    select tbl, ma_lk, stt, severity, amount, cause
    from _findings
),
_cause_f as (
    select tbl, ma_lk, stt, cause,
           max(case when severity = 'adjust' then amount end) as adjust_amount
    from _f where tbl is not null and severity = 'adjust'
    group by tbl, ma_lk, stt, cause
),
_line_f as (
    select f.tbl, f.ma_lk, f.stt,
           max(case when f.severity = 'refuse' then 1 else 0 end) as refuse,
           max(case when f.severity = 'adjust' then 1 else 0 end) as adjust,
           max(case when f.severity = 'review' then 1 else 0 end) as review,
           count(*) as findings
    from _f as f where f.tbl is not null group by f.tbl, f.ma_lk, f.stt
),
_line_adjust as (
    select tbl, ma_lk, stt, sum(adjust_amount) as adjust_amount
    from _cause_f group by tbl, ma_lk, stt
),
_claim_f as (
    select ma_lk,
           max(case when severity = 'refuse' then 1 else 0 end) as refuse,
           max(case when severity in ('review', 'adjust') then 1 else 0 end)
               as review
    from _f where tbl is null group by ma_lk
),
_lines as (
    select 'XML3' as tbl, ma_lk, cast(stt as bigint) as stt, ma_dich_vu as code,
           cast(ngay_yl as date) as service_date,
           cast(round(coalesce(t_bhtt, 0), 2) as decimal(18, 2)) as claimed
    from xml3
    union all
    select 'XML2' as tbl, ma_lk, cast(stt as bigint) as stt, ma_thuoc as code,
           cast(ngay_yl as date) as service_date,
           cast(round(coalesce(t_bhtt, 0), 2) as decimal(18, 2)) as claimed
    from xml2
),
_judged as (
    select l.tbl, l.ma_lk, l.stt, l.code, l.service_date, l.claimed,
           greatest(coalesce(lf.refuse, 0), coalesce(cf.refuse, 0)) as refuse,
           coalesce(lf.adjust, 0) as adjust,
           greatest(coalesce(lf.review, 0), coalesce(cf.review, 0)) as review,
           least(greatest(coalesce(la.adjust_amount, 0), 0), greatest(l.claimed, 0))
               as adjust_amount,
           coalesce(lf.findings, 0) as findings
    from _lines as l
    left join _line_f as lf
      on lf.tbl = l.tbl and lf.ma_lk = l.ma_lk and lf.stt = l.stt
    left join _line_adjust as la
      on la.tbl = l.tbl and la.ma_lk = l.ma_lk and la.stt = l.stt
    left join _claim_f as cf on cf.ma_lk = l.ma_lk
    {batch}
),
_money as (
    select *,
        case when refuse = 1 then claimed else 0 end as refused,
        case when refuse = 0 and adjust = 1 then adjust_amount else 0 end
            as adjusted,
        case when refuse = 0 and review = 1
             then claimed - (case when adjust = 1 then adjust_amount else 0 end)
             else 0 end as under_review
    from _judged
)
select tbl, ma_lk, stt, code, service_date, claimed,
       cast(claimed - refused - adjusted - under_review as decimal(18, 2)) as payable,
       cast(refused as decimal(18, 2)) as refused,
       cast(adjusted as decimal(18, 2)) as adjusted,
       cast(under_review as decimal(18, 2)) as under_review,
       case when refuse = 1 then 'refused' when review = 1 then 'under_review'
            when adjust = 1 then 'adjusted' else 'payable' end as status,
       cast(findings as bigint) as findings
from _money
"""
"""Line decisions from ``_findings`` (with each finding's ``cause``) and the lines.

How findings combine on one line (``docs/engine/assessment.md``, "Decisions"):

1. a refusal (of the line, or of its whole claim) takes the line: refused = claimed;
2. otherwise adjustments of different causes add up, and of one cause (the rule's
   check family) the largest counts, so two rules pricing the same excess do not
   withhold it twice; the sum is capped at the line's fund share (``T_BHTT``);
3. review (of the line, or of its claim) holds what is not already adjusted;
4. payable is the rest: payable + refused + adjusted + under review = claimed.
"""

CLAIMS_QUERY = """
with _c as (
    select ma_lk, min(ma_cskcb) as ma_cskcb,
           cast(round(min(t_bhtt), 2) as decimal(18, 2)) as t_bhtt
    from xml1 group by ma_lk
),
_l as (
    select ma_lk, sum(claimed) as line_claimed, sum(refused) as refused,
           sum(adjusted) as adjusted, sum(under_review) as under_review,
           sum(payable) as payable
    from _line_decisions group by ma_lk
),
_cf as (
    select ma_lk, count(*) as findings,
           max(case when tbl is null and severity = 'refuse' then 1 else 0 end)
               as refuse,
           max(case when tbl is null and severity in ('review', 'adjust')
                    then 1 else 0 end) as review
    from _findings group by ma_lk
),
_money as (
    select c.ma_lk, c.ma_cskcb, f.findings,
           l.ma_lk is not null as has_lines,
           coalesce(l.line_claimed, c.t_bhtt, 0) as claimed,
           l.payable, l.refused, l.adjusted, l.under_review,
           coalesce(f.refuse, 0) as claim_refuse,
           coalesce(f.review, 0) as claim_review
    from _c as c
    left join _l as l on l.ma_lk = c.ma_lk
    left join _cf as f on f.ma_lk = c.ma_lk
    {batch}
)
select ma_lk, ma_cskcb,
       cast(claimed as decimal(18, 2)) as claimed,
       cast(case when has_lines then payable
                 when claim_refuse = 1 or claim_review = 1 then 0
                 else claimed end as decimal(18, 2)) as payable,
       cast(case when has_lines then refused
                 when claim_refuse = 1 then claimed else 0 end
            as decimal(18, 2)) as refused,
       cast(case when has_lines then adjusted else 0 end as decimal(18, 2))
           as adjusted,
       cast(case when has_lines then under_review
                 when claim_refuse = 0 and claim_review = 1 then claimed else 0 end
            as decimal(18, 2)) as under_review,
       cast(coalesce(findings, 0) as bigint) as findings
from _money
"""
"""Claim decisions: the sums of the line decisions (a claim is what its lines
claim; a difference between ``T_BHTT`` of XML1 and its lines is CT008's finding).
A claim without XML2/XML3 lines is decided on ``T_BHTT`` by its claim findings."""
