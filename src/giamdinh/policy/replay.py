"""Replay policy options over claims and compare each with the rule set in force.

``resolve`` turns an option into a *scenario*: the rule set with the option's
changes, the views whose rows it changes, and its new prices. ``replay`` then
runs, on one backend where the claim views are registered once:

1. the rule set in force (the baseline, called ``current``): findings, then line
   decisions kept as ``_policy_base`` with what the comparison reports of each
   line (facility, patient, month, machine, unit price);
2. per scenario, only what differs: the rules it adds or changes, and the rules
   reading a view it changes, are run; the findings of every other rule are the
   baseline's, reused. Then the line decisions (and, for a price option, each
   technique's money at the new price) and their comparison with the baseline.

Sharing the baseline's findings is what makes four options cost well under four
assessments: an option about lent machines reruns two rules, not fifty-four.

Results, per scenario (``current`` included, where every change is zero):
money by facility and month, by rule, by machine, and the lines whose decision
or money changes (written to Parquet, one file per scenario).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from giamdinh.engine.derived import closure
from giamdinh.engine.overrides import Override, apply_overrides
from giamdinh.engine.run import FINDINGS_SCHEMA, decide_all, prepare_views, run_rules
from giamdinh.engine.sql import referenced_views
from giamdinh.errors import ConfigError, RuleDefinitionError
from giamdinh.policy.templates import build

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from giamdinh.backends.base import Backend
    from giamdinh.policy.options import PolicyOption
    from giamdinh.rules.model import Rule
    from giamdinh.rules.registry import RuleSet

CURRENT = "current"
"""The name of the baseline (the rule set in force) in every result."""

PRICES_VIEW = "_policy_prices"
MONEY = ("claimed", "payable", "refused", "adjusted", "under_review")

BASE_SQL = """
select d.*, c.ma_cskcb, c.ma_bn,
       strftime(coalesce(d.service_date, c.ngay), '%Y-%m') as month,
       x.ma_may, x.don_gia_bh
from _line_decisions as d
left join (
    select ma_lk, min(ma_cskcb) as ma_cskcb, min(ma_bn) as ma_bn,
           cast(min(coalesce(ngay_ra, ngay_vao)) as date) as ngay
    from xml1 group by ma_lk
) as c on c.ma_lk = d.ma_lk
left join (
    select ma_lk, cast(stt as bigint) as stt,
           nullif(trim(min(ma_may)), '') as ma_may,
           min(don_gia_bh) as don_gia_bh
    from xml3 group by ma_lk, stt
) as x on d.tbl = 'XML3' and x.ma_lk = d.ma_lk and x.stt = d.stt
"""

PRICED_SQL = """
with _p as (
    select l.tbl, l.ma_lk, l.stt,
           coalesce(own.don_gia, every.don_gia) as don_gia
    from _line_decisions as l
    join _policy_base as i using (tbl, ma_lk, stt)
    left join {prices} as own
      on own.ma_dich_vu = l.code and own.ma_cskcb = i.ma_cskcb
    left join (select * from {prices} where ma_cskcb is null) as every
      on every.ma_dich_vu = l.code
    where l.tbl = 'XML3' and i.don_gia_bh > 0
      and (own.don_gia is not null or every.don_gia is not null)
      and (l.service_date is null or l.service_date >= {valid_from})
),
_f as (
    select p.tbl, p.ma_lk, p.stt,
           cast(p.don_gia as decimal(38, 6)) / cast(i.don_gia_bh as decimal(38, 6))
               as factor
    from _p as p join _policy_base as i using (tbl, ma_lk, stt)
)
select l.tbl, l.ma_lk, l.stt, l.code, l.service_date,
       {scaled},
       l.status, l.findings
from _line_decisions as l
left join _f as f using (tbl, ma_lk, stt)
"""

COMPARE_SQL = """
select o.tbl, o.ma_lk, o.stt, o.code, b.ma_cskcb, b.ma_bn, b.month, b.ma_may,
       b.status as base_status, o.status,
       b.claimed as base_claimed, o.claimed,
       b.payable as base_payable, o.payable,
       b.refused as base_refused, o.refused,
       b.adjusted as base_adjusted, o.adjusted,
       b.under_review as base_under_review, o.under_review,
       (o.status <> b.status or o.claimed <> b.claimed or o.payable <> b.payable
        or o.refused <> b.refused or o.adjusted <> b.adjusted
        or o.under_review <> b.under_review) as changed
from {lines} as o
join _policy_base as b using (tbl, ma_lk, stt)
"""

SELF_SQL = """
select tbl, ma_lk, stt, code, ma_cskcb, ma_bn, month, ma_may,
       status as base_status, status,
       claimed as base_claimed, claimed, payable as base_payable, payable,
       refused as base_refused, refused, adjusted as base_adjusted, adjusted,
       under_review as base_under_review, under_review, false as changed
from _policy_base
"""
"""The baseline compared with itself: nothing changes, no join needed."""

_SUMS = ", ".join(
    f"sum({m}) as {m}, sum({m}) - sum(base_{m}) as {m}_change" for m in MONEY
)
FACILITY_MONTH_SQL = f"""
select coalesce(ma_cskcb, '?') as ma_cskcb, coalesce(month, '?') as month,
       count(*) as lines, count(distinct ma_lk) as claims,
       count(distinct ma_bn) as patients, {_SUMS},
       count(*) filter (where changed) as lines_changed,
       count(distinct ma_lk) filter (where changed) as claims_changed,
       count(distinct ma_bn) filter (where changed) as patients_changed
from _policy_cmp group by 1, 2 order by 1, 2
"""  # noqa: S608 - column names only
MACHINE_SQL = f"""
select coalesce(ma_cskcb, '?') as ma_cskcb, ma_may,
       count(*) as lines, count(distinct ma_bn) as patients, {_SUMS},
       count(*) filter (where changed) as lines_changed,
       count(distinct ma_bn) filter (where changed) as patients_changed
from _policy_cmp where ma_may is not null group by 1, 2 order by 1, 2
"""  # noqa: S608 - column names only
RULE_SQL = """
select rule_id, severity, count(*) as findings, count(distinct ma_lk) as claims,
       cast(coalesce(sum(amount), 0) as decimal(18, 2)) as amount
from _findings group by 1, 2 order by 1, 2
"""
CHANGED_SQL = """
select tbl, ma_lk, stt, code, ma_cskcb, month, ma_may, base_status, status,
       base_claimed, claimed, base_payable, payable, base_refused, refused,
       base_adjusted, adjusted, base_under_review, under_review
from _policy_cmp where changed order by ma_lk, tbl, stt
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """An option resolved against the rule set in force.

    Attributes:
        id: the option's id (``current`` for the baseline).
        title: Vietnamese title.
        title_en: English title.
        sha256: the option's hash (``None`` for the baseline).
        rules: the rule set under the option.
        label: the rule-set label recorded for the option.
        tables: views whose rows the option changes → their new rows.
        prices: new prices (``ma_cskcb``, ``ma_dich_vu``, ``don_gia``) of a price
            option, and the first service day they apply to.
    """

    id: str
    title: str
    title_en: str
    sha256: str | None
    rules: RuleSet
    label: str
    tables: Mapping[str, pa.Table] = dataclasses.field(default_factory=dict)
    prices: pa.Table | None = None
    prices_from: date | None = None


def baseline_scenario(rules: RuleSet, label: str) -> Scenario:
    """Return the baseline (the rule set in force) as a scenario."""
    return Scenario(
        id=CURRENT,
        title="Quy định hiện hành",
        title_en="Rules in force",
        sha256=None,
        rules=rules,
        label=label,
    )


def _rows_table(
    option: PolicyOption, view: str, base: pa.Table, rows: list[Any]
) -> pa.Table:
    names = set(base.schema.names)
    for n, row in enumerate(rows, start=1):
        unknown = sorted(set(row) - names)
        if unknown:
            msg = (
                f"phương án {option.path}: {view} dòng {n}: cột không có {unknown} / "
                f"row {n} of {view}: unknown column(s) {unknown}; columns: "
                f"{sorted(names)}"
            )
            raise ConfigError(msg)
    try:
        return pa.Table.from_pylist(rows, schema=base.schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
        msg = f"phương án {option.path}: {view}: giá trị sai kiểu / wrong type: {exc}"
        raise ConfigError(msg) from exc


def resolve(
    option: PolicyOption,
    baseline: RuleSet,
    label: str,
    views: Mapping[str, pa.Table],
) -> Scenario:
    """Return the scenario of ``option`` over the rule set in force.

    Args:
        option: the loaded option.
        baseline: the rule set in force (overrides applied).
        label: the rule-set label of the baseline.
        views: the reference and edit-table views, to check and change rows.

    Raises:
        ConfigError: the option names an unknown rule, template, parameter, view
            or column, or a change breaks a rule invariant.
    """
    spec = option.spec
    at = datetime(2000, 1, 1, tzinfo=UTC)
    changes = [
        Override(
            rule=c.id,
            enabled=c.enabled,
            severity=c.severity,
            params=(
                {
                    k: v.isoformat() if isinstance(v, date) else v
                    for k, v in c.params.items()
                }
                if c.params
                else None
            ),
            by=f"policy:{spec.id}",
            why=spec.title,
            at=at,
        )
        for c in spec.rules
    ]
    try:
        rules = apply_overrides(baseline, changes)
        added: list[Rule] = []
        for use in spec.templates:
            added.extend(
                build(use.template, use.params, option=spec.id, basis=option.bases())
            )
    except (RuleDefinitionError, ConfigError) as exc:
        raise ConfigError(f"phương án / option {option.path}: {exc}") from exc
    ids = {r.id for r in rules.rules}
    clash = sorted({r.id for r in added} & ids)
    if clash:
        raise ConfigError(f"option {option.path}: rules {clash} are already in the set")
    tables: dict[str, pa.Table] = {}
    for change in spec.tables:
        if change.view not in views:
            known = ", ".join(
                sorted(v for v in views if v.startswith(("ref_", "edit_")))
            )
            msg = (
                f"phương án {option.path}: không có bảng {change.view!r} / no view "
                f"{change.view!r}; known: {known}"
            )
            raise ConfigError(msg)
        base = tables.get(change.view, views[change.view])
        new = _rows_table(option, change.view, base, change.rows)
        tables[change.view] = (
            new if change.mode == "replace" else pa.concat_tables([base, new])
        )
    prices = None
    if spec.prices is not None:
        prices = pa.table(
            {
                "ma_cskcb": pa.array([p.ma_cskcb for p in option.prices], pa.string()),
                "ma_dich_vu": pa.array(
                    [p.ma_dich_vu for p in option.prices], pa.string()
                ),
                "don_gia": pa.array(
                    [p.don_gia for p in option.prices], pa.decimal128(18, 2)
                ),
            }
        )
    return Scenario(
        id=spec.id,
        title=spec.title,
        title_en=spec.title_en,
        sha256=option.sha256,
        rules=rules.only((*rules.rules, *added)),
        label=f"{label}+pol-{option.sha256[:8]}",
        tables=tables,
        prices=prices,
        prices_from=spec.prices.valid_from if spec.prices else None,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioResult:
    """What one scenario gave, compared with the baseline.

    Attributes:
        scenario: the scenario.
        rules_run: the rules run for it (the others' findings were reused).
        by_facility_month: money and counts per facility and month.
        by_rule: findings and money per rule and severity.
        by_machine: money and counts per facility and machine (``MA_MAY``).
        changed_lines: how many lines changed decision or money.
    """

    scenario: Scenario
    rules_run: tuple[str, ...]
    by_facility_month: pa.Table
    by_rule: pa.Table
    by_machine: pa.Table
    changed_lines: int

    def total(self, column: str) -> Any:
        """Return the sum of ``column`` of ``by_facility_month``."""
        value = pc.sum(self.by_facility_month.column(column)).as_py()
        return value if value is not None else 0


def _reads(rule: Rule, names: frozenset[str]) -> bool:
    base, derived = closure(referenced_views([rule]))
    return bool((base | {v.name for v in derived}) & names)


def _register_tables(
    backend: Backend, tables: Mapping[str, pa.Table], rules: Sequence[Rule]
) -> None:
    for name, table in tables.items():
        backend.register(name, table)
    _, derived = closure(referenced_views(rules))
    for view in derived:
        backend.materialise(view.name, view.sql)


def _price_sql(scenario: Scenario) -> str:
    scaled = ", ".join(
        f"cast(case when f.factor is null then l.{m} else round(l.{m} * f.factor, 2) "
        f"end as decimal(18, 2)) as {m}"
        for m in MONEY
    )
    start = scenario.prices_from or date(1, 1, 1)
    return PRICED_SQL.format(
        prices=PRICES_VIEW, valid_from=f"date '{start.isoformat()}'", scaled=scaled
    )


def replay(
    backend: Backend,
    views: Mapping[str, pa.Table],
    scenarios: Sequence[Scenario],
    *,
    out_dir: Path,
    relations: Mapping[str, str] | None = None,
    period: tuple[date, date] | None = None,
) -> list[ScenarioResult]:
    """Replay every scenario; the first must be the baseline (``baseline_scenario``).

    Args:
        backend: where to run (DuckDB).
        views: logical views as Arrow tables (reference, edit tables, and claim
            tables unless given as ``relations``).
        scenarios: the baseline first, then the options.
        out_dir: where ``changed-<id>.parquet`` files are written.
        relations: claim views as SQL (the store's Parquet files).
        period: only claims ending (``NGAY_RA``, else ``NGAY_VAO``) in this period
            are assessed and reported; the others remain context.

    Returns:
        One result per scenario, in order.
    """
    if not scenarios or scenarios[0].id != CURRENT:
        raise ValueError("the first scenario must be the baseline")
    base = scenarios[0]
    every = [r for s in scenarios for r in s.rules.rules]
    prepare_views(backend, views, every, relations=relations)
    batch: list[str] | None = None
    if period is not None:
        start, end = period
        found = backend.query(
            "select distinct ma_lk from xml1 where cast(coalesce(ngay_ra, ngay_vao) "  # noqa: S608
            f"as date) between date '{start.isoformat()}' and date '{end.isoformat()}' "
            "order by ma_lk"
        )
        batch = [str(v) for v in found.column(0).to_pylist()]
    base_findings = run_rules(backend, base.rules.rules, batch=batch)
    if batch is not None and not base.rules.rules:
        backend.register(
            "_scope_batch", pa.table({"ma_lk": pa.array(batch, pa.string())})
        )
    decide_all(
        backend,
        base_findings,
        batch=batch is not None,
        fetch_lines=False,
        causes={r.id: r.family.value for r in base.rules.rules},
    )
    # NOTE: one table of the baseline's decisions and each line's facility,
    # month, machine and price: an option's comparison is one join, not two.
    backend.materialise("_policy_base", BASE_SQL)
    out_dir.mkdir(parents=True, exist_ok=True)
    keys = pc.binary_join_element_wise(
        base_findings["rule_id"],
        pc.cast(base_findings["rule_version"], pa.string()),
        "@",
    )
    base_rules = list(base.rules.rules)
    results: list[ScenarioResult] = []
    for scenario in scenarios:
        changed = frozenset(scenario.tables)
        if changed:
            _register_tables(backend, scenario.tables, every)
        dirty = [
            r
            for r in scenario.rules.rules
            if r not in base_rules or (changed and _reads(r, changed))
        ]
        lines = "_line_decisions"
        if scenario is base:
            lines = "_policy_base"
        else:
            kept = pa.array(
                [r.key for r in scenario.rules.rules if r not in dirty], pa.string()
            )
            reused = base_findings.filter(pc.is_in(keys, value_set=kept))
            findings = pa.concat_tables(
                [reused, run_rules(backend, dirty, batch=batch).cast(FINDINGS_SCHEMA)]
            )
            decide_all(
                backend,
                findings,
                batch=batch is not None,
                fetch_lines=False,
                causes={r.id: r.family.value for r in scenario.rules.rules},
            )
        if scenario.prices is not None:
            backend.register(PRICES_VIEW, scenario.prices)
            backend.materialise("_policy_priced", _price_sql(scenario))
            lines = "_policy_priced"
        backend.materialise(
            "_policy_cmp",
            SELF_SQL if scenario is base else COMPARE_SQL.format(lines=lines),
        )
        n_changed = backend.write_parquet(
            CHANGED_SQL, out_dir / f"changed-{scenario.id}.parquet"
        )
        results.append(
            ScenarioResult(
                scenario=scenario,
                rules_run=tuple(sorted({r.key for r in dirty})),
                by_facility_month=backend.query(FACILITY_MONTH_SQL),
                by_rule=backend.query(RULE_SQL),
                by_machine=backend.query(MACHINE_SQL),
                changed_lines=n_changed,
            )
        )
        if changed:
            _register_tables(backend, {name: views[name] for name in changed}, every)
    return results
