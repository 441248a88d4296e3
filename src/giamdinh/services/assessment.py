"""Assess claims: the hospital's pre-check, the insurer's batch run, and dry runs.

Everything here composes lower packages: the reader (``giamdinh.standard``), the
reference data (``giamdinh.refdata``), the store, the rule set and the engine.
The core, ``run_assessment``, takes the claim tables of contract 4 (upper-case
columns, keyed ``XML1``…) and the reference tables of contract 5 (keyed
``ref_*``) and returns the engine's ``Assessment``.
"""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from giamdinh.backends.duck import DuckDBBackend
from giamdinh.config import get_settings
from giamdinh.domain.money import format_dong
from giamdinh.engine import ruledocs
from giamdinh.engine.cases import load_all_cases
from giamdinh.engine.overrides import (
    Override,
    apply_overrides,
    load_overrides,
    overrides_label,
    record_override,
)
from giamdinh.engine.run import (
    LINE_ORDER,
    Assessment,
    assess,
)
from giamdinh.engine.sql import referenced_columns
from giamdinh.engine.views import claim_view_sql, logical_views
from giamdinh.errors import ConfigError
from giamdinh.rules.citations import write_citations_page
from giamdinh.rules.registry import RuleSet, load_rule_set
from giamdinh.services.check import collect_inputs
from giamdinh.services.province import load_reference
from giamdinh.standard.reader import read_batch
from giamdinh.standard.spec import TABLES
from giamdinh.store import ClaimStore

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    from giamdinh.backends.base import Backend
    from giamdinh.domain import Severity

ASSESSMENTS_DIR = "assessments"


def load_rules(
    *, as_of: date | None = None, overrides_path: Path | None = None
) -> tuple[RuleSet, str]:
    """Return the rule set in force (published by ``as_of``, overrides applied).

    Returns:
        (rule set, rule-set label recorded with the results).
    """
    full = load_rule_set()
    overrides = load_overrides(overrides_path)
    rules = full.published_by(as_of) if as_of is not None else full
    rules = apply_overrides(rules, overrides, as_of=as_of)
    return rules, overrides_label(full, overrides, as_of)


def run_assessment(
    claims: Mapping[str, pa.Table],
    reference: Mapping[str, pa.Table],
    *,
    as_of: date | None = None,
    overrides_path: Path | None = None,
    rule_set: RuleSet | None = None,
    rule_set_label: str | None = None,
    backend: Backend | None = None,
    batch: Sequence[str] | None = None,
    skip: pa.Table | None = None,
) -> Assessment:
    """Assess claim tables against reference tables with the rule set.

    Args:
        claims: claim tables of contract 4 (``XML1``… → upper-case columns).
        reference: reference tables of contract 5 (``ref_*``).
        as_of: the replay date: rule versions, edit rows, reference rows and
            overrides that only came after it are left out.
        overrides_path: the deployment's override log (YAML), if any.
        rule_set: run this rule set instead (already filtered); for dry runs.
        rule_set_label: the version to record with ``rule_set`` (its own
            version by default).
        backend: where to run; a fresh DuckDB when omitted.
        batch: report only these claims (``MA_LK``).
        skip: ``(rule_id, ma_lk)`` pairs not checked: their findings are dropped
            before money is decided (``giamdinh.engine.run.drop_findings``).
    """
    if rule_set is None:
        rules, label = load_rules(as_of=as_of, overrides_path=overrides_path)
    else:
        rules, label = rule_set, rule_set_label or rule_set.version
    views = logical_views(
        claims=claims, reference=reference, edits=rules.tables, as_of=as_of
    )
    own = backend is None
    active: Backend = backend if backend is not None else DuckDBBackend()
    try:
        return assess(
            active,
            views,
            rules,
            as_of=as_of,
            batch=batch,
            rule_set_label=label,
            skip=skip,
        )
    finally:
        if own:
            active.close()


# ------------------------------------------------------------ assess the store


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreRun:
    """What ``assess_store`` wrote."""

    folder: Path
    rule_set: str
    as_of: date | None
    claims: int
    findings: int
    totals: dict[str, Decimal]


def _totals(claims: pa.Table) -> dict[str, Decimal]:
    keys = ("claimed", "payable", "refused", "adjusted", "under_review")
    out: dict[str, Decimal] = {}
    for key in keys:
        total = pc.sum(claims.column(key)).as_py() if claims.num_rows else None
        out[key] = Decimal(total) if total is not None else Decimal(0)
    return out


def store_relations(
    con: duckdb.DuckDBPyConnection, *, columns: frozenset[str] | None = None
) -> dict[str, str]:
    """Return the claim views of a store connection as SQL (``claim_view_sql``).

    Args:
        con: a connection to the store's catalogue (``ClaimStore.connect``).
        columns: read only these view columns (``referenced_columns``).
    """
    database = con.execute("select current_database()").fetchall()[0][0]
    views = {
        row[0] for row in con.execute("select view_name from duckdb_views()").fetchall()
    }
    out: dict[str, str] = {}
    for name in TABLES:
        view = name.lower()
        if view not in views:
            continue
        names = [row[0] for row in con.execute(f"describe {view}").fetchall()]
        source = '"' + database.replace('"', '""') + f'".main.{view}'
        out[view] = claim_view_sql(name, source, names, keep=columns)
    return out


@contextmanager
def _assessed_store(
    store_dir: Path,
    rules: RuleSet,
    *,
    reference_dir: Path | None,
    as_of: date | None,
    memory_limit: str | None,
    label: str | None = None,
    decide: bool = True,
    registry_url: str | None = None,
) -> Iterator[tuple[DuckDBBackend, Assessment]]:
    """Assess the store's claims in DuckDB; yield the backend and the result.

    The claim views are read from the store's Parquet files (only the columns
    the rules read); line decisions stay on the backend as ``_line_decisions``
    while the context is open. The tables the run makes are kept compressed in a
    working database file of a temporary folder, where DuckDB also spills beyond
    ``memory_limit``.

    Raises:
        StoreError: the store is missing or empty.
    """
    reference = load_reference(reference_dir, registry_url=registry_url)
    views = logical_views(
        claims={}, reference=reference.tables(), edits=rules.tables, as_of=as_of
    )
    store = ClaimStore.open(store_dir, create=False)
    con = store.connect()
    try:
        # NOTE: before the backend exists: its working catalogue comes first in
        # the connection's search path, and the store's views are named after
        # the store's own database.
        relations = store_relations(con, columns=referenced_columns(rules.rules))
        with tempfile.TemporaryDirectory(prefix="giamdinh-assess-") as spill:
            spill_dir = spill.replace("'", "''")
            con.execute(f"set temp_directory = '{spill_dir}'")
            backend = DuckDBBackend(
                con, memory_limit=memory_limit, work_dir=Path(spill)
            )
            try:
                result = assess(
                    backend,
                    views,
                    rules,
                    as_of=as_of,
                    rule_set_label=label,
                    relations=relations,
                    decide=decide,
                    fetch_lines=False,
                )
                yield backend, result
            finally:
                backend.close()
    finally:
        con.close()


def assess_store(
    store_dir: Path,
    *,
    reference_dir: Path | None = None,
    as_of: date | None = None,
    overrides_path: Path | None = None,
    memory_limit: str | None = None,
    registry_url: str | None = None,
) -> StoreRun:
    """Assess every current claim of the store; write findings and decisions.

    The claim tables are read by DuckDB from the store's Parquet files (only the
    columns the rules read) and the line decisions are written from DuckDB
    straight to Parquet, so memory does not grow with the store: beyond
    ``memory_limit`` DuckDB spills to a temporary folder.

    Results go to ``<store>/assessments/<run>/`` as ``findings.parquet``,
    ``lines.parquet``, ``claims.parquet`` and ``run.json`` (rule-set version,
    as-of date, time of the run, totals), so a past run is never overwritten.

    With ``registry_url`` (default: the ``registry_url`` setting) the licence
    rules judge the licences of every province the registry holds.
    """
    rules, label = load_rules(as_of=as_of, overrides_path=overrides_path)
    now = datetime.now(tz=UTC)
    folder = store_dir / ASSESSMENTS_DIR / f"run-{now:%Y%m%dT%H%M%S%fZ}"
    with _assessed_store(
        store_dir,
        rules,
        reference_dir=reference_dir,
        as_of=as_of,
        memory_limit=memory_limit,
        label=label,
        registry_url=registry_url or get_settings().registry_url,
    ) as (backend, result):
        folder.mkdir(parents=True, exist_ok=False)
        backend.write_parquet(
            f"select * from _line_decisions {LINE_ORDER}",  # noqa: S608
            folder / "lines.parquet",
        )
    pq.write_table(result.findings, folder / "findings.parquet")
    pq.write_table(result.claims, folder / "claims.parquet")
    totals = _totals(result.claims)
    meta = {
        "rule_set": result.rule_set,
        "as_of": as_of.isoformat() if as_of else None,
        "at": now.isoformat(),
        "claims": result.claims.num_rows,
        "findings": result.findings.num_rows,
        "totals": {k: str(v) for k, v in totals.items()},
    }
    (folder / "run.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return StoreRun(
        folder=folder,
        rule_set=result.rule_set,
        as_of=as_of,
        claims=result.claims.num_rows,
        findings=result.findings.num_rows,
        totals=totals,
    )


# ------------------------------------------------------------------ dry runs


@dataclass(frozen=True, slots=True, kw_only=True)
class FacilityImpact:
    """Hits and money of one rule at one facility."""

    ma_cskcb: str
    hits: int
    claims: int
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class DryRun:
    """What a rule (with a proposed override) would do over given claims."""

    rule_id: str
    severity: Severity
    rule_set: str
    facilities: tuple[FacilityImpact, ...]

    @property
    def hits(self) -> int:
        """Return the number of findings."""
        return sum(f.hits for f in self.facilities)

    @property
    def amount(self) -> Decimal:
        """Return the money at stake."""
        return sum((f.amount for f in self.facilities), Decimal(0))


def _dry_rule_set(rule_id: str, severity: Severity | None) -> RuleSet:
    full = load_rule_set()
    rule_set = full.only(full.get(rule_id))
    if severity is not None:
        proposal = Override(
            rule=rule_set.rules[0].id,
            severity=severity,
            by="dry-run",
            why="dry run",
            at=datetime.now(tz=UTC),
        )
        rule_set = apply_overrides(rule_set, [proposal])
    return rule_set


def _impact(rule_id: str, severity: Severity | None, result: Assessment) -> DryRun:
    impact: dict[str, list[Any]] = defaultdict(lambda: [0, set(), Decimal(0)])
    for row in result.findings.to_pylist():
        entry = impact[row["ma_cskcb"] or "?"]
        entry[0] += 1
        entry[1].add(row["ma_lk"])
        entry[2] += row["amount"]
    facilities = tuple(
        FacilityImpact(ma_cskcb=k, hits=v[0], claims=len(v[1]), amount=v[2])
        for k, v in sorted(impact.items(), key=lambda kv: (-kv[1][2], kv[0]))
    )
    versions = load_rule_set().get(rule_id)
    return DryRun(
        rule_id=versions[0].id,
        severity=severity or versions[-1].severity,
        rule_set=result.rule_set,
        facilities=facilities,
    )


def dry_run(
    rule_id: str,
    claims: Mapping[str, pa.Table],
    reference: Mapping[str, pa.Table],
    *,
    severity: Severity | None = None,
    as_of: date | None = None,
) -> DryRun:
    """Run one rule (optionally at another severity) and report hits by facility.

    Nothing is recorded: this is how a rule or an override is tried on past
    claims before it is switched on.
    """
    rule_set = _dry_rule_set(rule_id, severity)
    result = run_assessment(claims, reference, as_of=as_of, rule_set=rule_set)
    return _impact(rule_id, severity, result)


def dry_run_store(
    rule_id: str,
    store_dir: Path,
    *,
    severity: Severity | None = None,
    reference_dir: Path | None = None,
    as_of: date | None = None,
    memory_limit: str | None = None,
) -> DryRun:
    """Dry-run one rule over the claims of a store (read in DuckDB, as ``assess``)."""
    rule_set = _dry_rule_set(rule_id, severity)
    with _assessed_store(
        store_dir,
        rule_set,
        reference_dir=reference_dir,
        as_of=as_of,
        memory_limit=memory_limit,
        decide=False,
    ) as (_, result):
        return _impact(rule_id, severity, result)


def dry_run_files(
    rule_id: str,
    paths: Sequence[Path],
    *,
    severity: Severity | None = None,
    reference_dir: Path | None = None,
    as_of: date | None = None,
) -> DryRun:
    """Dry-run one rule over claim files."""
    reference = load_reference(reference_dir)
    batch = read_batch([str(p) for p in collect_inputs(paths)])
    return dry_run(
        rule_id, batch.tables, reference.tables(), severity=severity, as_of=as_of
    )


def set_override(
    path: Path,
    *,
    rule_id: str,
    by: str,
    why: str,
    enabled: bool | None = None,
    severity: Severity | None = None,
    params: Mapping[str, int | str] | None = None,
) -> Override:
    """Record an override (append-only) after checking it against the rule set.

    Raises:
        RuleDefinitionError: unknown rule, or the override breaks an invariant.
        ConfigError: the entry is invalid (who/why missing) or the log is broken.
    """
    change = Override(
        rule=rule_id,
        enabled=enabled,
        severity=severity,
        params=dict(params) if params else None,
        by=by,
        why=why,
        at=datetime.now(tz=UTC),
    )
    apply_overrides(load_rule_set(), [*load_overrides(path), change])
    record_override(path, change)
    return change


# ------------------------------------------------------------- manager summary


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleStake:
    """One rule's findings and money at stake in a run."""

    rule_id: str
    title: str
    title_en: str
    severity: str
    findings: int
    claims: int
    facilities: int
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class FacilityStake:
    """One facility's claims and money in a run."""

    ma_cskcb: str
    claims: int
    claimed: Decimal
    payable: Decimal
    refused: Decimal
    adjusted: Decimal
    under_review: Decimal

    @property
    def at_stake(self) -> Decimal:
        """Return refused + adjusted + under review."""
        return self.refused + self.adjusted + self.under_review


@dataclass(frozen=True, slots=True, kw_only=True)
class AssessmentSummary:
    """What a manager wants from one assessment run of the store.

    Attributes:
        run: the run folder's name (``run-<UTC time>``).
        folder: the run folder.
        rule_set: the rule-set version the run recorded.
        as_of: the run's as-of date, if any.
        claims: claims assessed.
        lines: XML2/XML3 lines assessed.
        findings: findings of the run.
        totals: money in đồng: ``claimed``, ``payable``, ``refused``,
            ``adjusted``, ``under_review`` (claimed = the other four).
        by_severity: findings per severity.
        rules: the rules with the most money at stake, most first.
        facilities: the facilities with the most money at stake, most first.
        time_findings: findings of rules whose evidence is execution or machine
            time (``info``/``review`` only).
        time_money: money refused or adjusted by such rules (0 by law).
        next_steps: where to look next, one line each, "Việt / English".
    """

    run: str
    folder: Path
    rule_set: str
    as_of: date | None
    claims: int
    lines: int
    findings: int
    totals: dict[str, Decimal]
    by_severity: dict[str, int]
    rules: list[RuleStake]
    facilities: list[FacilityStake]
    time_findings: int
    time_money: Decimal
    next_steps: list[str]


MONEY_KEYS = ("claimed", "payable", "refused", "adjusted", "under_review")


def latest_run(store_dir: Path) -> Path:
    """Return the newest assessment run folder of a store.

    Raises:
        ConfigError: the store has no assessment run yet.
    """
    root = store_dir / ASSESSMENTS_DIR
    runs = sorted(p for p in root.glob("run-*") if p.is_dir()) if root.is_dir() else []
    if not runs:
        msg = (
            f"{store_dir}: chưa có lần giám định nào, chạy `giamdinh assess` trước / "
            "no assessment run yet: run `giamdinh assess` first"
        )
        raise ConfigError(msg)
    return runs[-1]


def _money_text(value: Decimal) -> str:
    return format_dong(value, places=0)


def _next_steps(
    rules: list[RuleStake], facilities: list[FacilityStake], totals: dict[str, Decimal]
) -> list[str]:
    steps: list[str] = []
    if rules and rules[0].amount > 0:
        r = rules[0]
        steps.append(
            f"Quy tắc {r.rule_id} ({r.title}): {r.findings} phát hiện, "
            f"{_money_text(r.amount)} đồng — `giamdinh rules show {r.rule_id}`, "
            f"`giamdinh rules dry-run {r.rule_id}` / rule {r.rule_id} "
            f"({r.title_en}) has the most money at stake"
        )
    if facilities and facilities[0].at_stake > 0:
        f = facilities[0]
        steps.append(
            f"Cơ sở {f.ma_cskcb}: {_money_text(f.at_stake)} đồng cần xem xét trên "
            f"{f.claims} hồ sơ / facility {f.ma_cskcb} has the most money at stake"
        )
    if totals["under_review"] > 0:
        steps.append(
            f"{_money_text(totals['under_review'])} đồng chờ giám định chung với cơ "
            "sở (`giamdinh review list`, `giamdinh signals` cho các đầu mối) / money "
            "under review needs joint verification with the facilities"
        )
    return steps


def summarise_store(
    store_dir: Path, *, run: str | None = None, top: int = 10
) -> AssessmentSummary:
    """Summarise an assessment run of the store for a manager.

    Args:
        store_dir: the claim store.
        run: the run folder's name; the newest run when omitted.
        top: how many rules and facilities to keep, by money at stake.

    Raises:
        ConfigError: no run yet, or no run of that name.
    """
    folder = latest_run(store_dir) if run is None else store_dir / ASSESSMENTS_DIR / run
    if not (folder / "claims.parquet").is_file():
        raise ConfigError(f"{folder}: not an assessment run (claims.parquet missing)")
    meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    findings = pq.read_table(folder / "findings.parquet")
    lines = pq.read_table(folder / "lines.parquet")
    claims = pq.read_table(folder / "claims.parquet")
    rule_info = {r.id: r for r in load_rule_set()}
    time_ids = sorted(
        rid for rid, r in rule_info.items() if any(e.is_time for e in r.evidence)
    )
    con = duckdb.connect()
    try:
        con.register("findings", findings)
        con.register("claims", claims)
        con.register(
            "time_rules", pa.table({"rule_id": pa.array(time_ids, pa.string())})
        )
        sums = ", ".join(f"coalesce(sum({k}), 0)" for k in MONEY_KEYS)
        row = con.execute(f"select {sums} from claims").fetchone()  # noqa: S608
        assert row is not None  # noqa: S101 - an aggregate always returns a row
        by_severity = dict(
            con.execute("select severity, count(*) from findings group by 1").fetchall()
        )
        rule_rows = con.execute(
            """
            select rule_id, arg_max(severity, rule_version), count(*),
                   count(distinct ma_lk), count(distinct ma_cskcb),
                   coalesce(sum(amount), 0) as money
            from findings group by rule_id
            order by money desc, count(*) desc, rule_id limit ?
            """,
            [top],
        ).fetchall()
        facility_rows = con.execute(
            """
            select coalesce(ma_cskcb, '?'), count(*), sum(claimed), sum(payable),
                   sum(refused), sum(adjusted), sum(under_review),
                   sum(refused) + sum(adjusted) + sum(under_review) as stake
            from claims group by 1 order by stake desc, 1 limit ?
            """,
            [top],
        ).fetchall()
        time_row = con.execute(
            """
            select count(*),
                   coalesce(sum(amount) filter (
                       where severity in ('refuse', 'adjust')), 0)
            from findings where rule_id in (select rule_id from time_rules)
            """
        ).fetchone()
    finally:
        con.close()
    assert time_row is not None  # noqa: S101 - an aggregate always returns a row
    totals = {k: Decimal(row[i]) for i, k in enumerate(MONEY_KEYS)}
    rules = [
        RuleStake(
            rule_id=r[0],
            title=rule_info[r[0]].title if r[0] in rule_info else r[0],
            title_en=rule_info[r[0]].title_en if r[0] in rule_info else r[0],
            severity=r[1],
            findings=r[2],
            claims=r[3],
            facilities=r[4],
            amount=Decimal(r[5]),
        )
        for r in rule_rows
    ]
    facilities = [
        FacilityStake(
            ma_cskcb=f[0],
            claims=f[1],
            claimed=Decimal(f[2]),
            payable=Decimal(f[3]),
            refused=Decimal(f[4]),
            adjusted=Decimal(f[5]),
            under_review=Decimal(f[6]),
        )
        for f in facility_rows
    ]
    as_of = meta.get("as_of")
    return AssessmentSummary(
        run=folder.name,
        folder=folder,
        rule_set=str(meta["rule_set"]),
        as_of=date.fromisoformat(as_of) if as_of else None,
        claims=claims.num_rows,
        lines=lines.num_rows,
        findings=findings.num_rows,
        totals=totals,
        by_severity={str(k): int(v) for k, v in by_severity.items()},
        rules=rules,
        facilities=facilities,
        time_findings=int(time_row[0]),
        time_money=Decimal(time_row[1]),
        next_steps=_next_steps(rules, facilities, totals),
    )


def rule_docs(cases_dir: Path, out_dir: Path, *, write: bool = True) -> list[Path]:
    """Generate the rule pages and the citations page from the rule set and cases.

    Returns:
        With ``write``, the pages written; else the pages that are out of date.
    """
    rule_set = load_rule_set()
    pages = ruledocs.generate(rule_set, load_all_cases(cases_dir), out_dir)
    cited = write_citations_page(out_dir, rule_set, write=write)
    if write:
        return [*ruledocs.write(pages), *cited]
    return [
        p
        for p, text in pages.items()
        if not p.exists() or p.read_text(encoding="utf-8") != text
    ] + cited
