"""Run a rule set over logical views on a backend: findings, then decisions.

``assess`` is the one entry point: it registers the views and the scope tables,
runs the compiled set in a few passes of ``RULES_PER_PASS`` rules and one query
that scopes their hits, then the line and claim decisions in two more,
all on the same backend. The result carries the rule-set version and the as-of
date, so any decision can be replayed.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from giamdinh.backends.base import ValueKind
from giamdinh.domain import Finding, Location, Severity
from giamdinh.domain.money import format_dong
from giamdinh.engine.derived import closure
from giamdinh.engine.sql import (
    CLAIM_VIEWS,
    CLAIMS_QUERY,
    DECISIONS_QUERY,
    assessment_query,
    evidence_columns,
    hits_query,
    referenced_views,
    with_params,
)
from giamdinh.engine.views import conform_sql

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from giamdinh.backends.base import Backend
    from giamdinh.rules.model import Rule
    from giamdinh.rules.registry import RuleSet

OPEN_END = date(9999, 12, 31)
RULES_PER_PASS = 8
"""Rules computed together in one pass; their raw hits are kept between passes.

NOTE: one query for all 54 rules kept every branch's hash tables alive at once:
at 10 million lines DuckDB ran out of a 2 GB budget it could not spill. Passes of
eight rules took the same time at 1 million lines and bound what one pass holds."""
FINDINGS_SCHEMA = pa.schema(
    [
        ("rule_id", pa.string()),
        ("rule_version", pa.int64()),
        ("severity", pa.string()),
        ("ma_lk", pa.string()),
        ("tbl", pa.string()),
        ("stt", pa.int64()),
        ("code", pa.string()),
        ("ma_cskcb", pa.string()),
        ("service_date", pa.date32()),
        ("claimed", pa.decimal128(18, 2)),
        ("amount", pa.decimal128(18, 2)),
        ("evidence", pa.string()),
    ]
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Assessment:
    """What one run produced.

    Attributes:
        findings: one row per (rule version, line or claim) hit; ``FINDINGS_SCHEMA``.
        lines: one decision per XML2/XML3 line (claimed, payable, refused,
            adjusted, under_review, status).
        claims: one decision per claim (``MA_LK``).
        rule_set: the rule-set version (hash of rule files and tables, plus the
            overrides' hash when overrides were applied).
        as_of: the as-of date of the run, if any.
        rules: the rule versions that ran (after overrides), by ``ID@version``.
        kinds: per rule version, the kind of each evidence column
            (``evidence_kinds``), so evidence is read back with its types.
    """

    findings: pa.Table
    lines: pa.Table
    claims: pa.Table
    rule_set: str
    as_of: date | None
    rules: Mapping[str, Rule] = field(default_factory=dict)
    kinds: Mapping[str, Mapping[str, ValueKind]] = field(default_factory=dict)

    def finding_objects(
        self, *, files: Mapping[str, str] | None = None
    ) -> list[Finding]:
        """Return the findings as ``Finding`` objects with rendered messages.

        Args:
            files: ``MA_LK`` → file path, to fill ``Location.file``.
        """
        out: list[Finding] = []
        for row in self.findings.to_pylist():
            key = f"{row['rule_id']}@{row['rule_version']}"
            rule = self.rules[key]
            evidence = parse_evidence(row["evidence"], self.kinds.get(key))
            # NOTE: the claim's keys are not evidence (the engine adds them), but
            # a message may name them: "Hồ sơ {ma_lk}".
            context = {
                "ma_lk": row["ma_lk"],
                "stt": row["stt"],
                "ma_cskcb": row["ma_cskcb"],
                **evidence,
            }
            out.append(
                Finding(
                    code=rule.id,
                    rule_version=rule.version,
                    severity=Severity(row["severity"]),
                    message=render(rule.message, context),
                    message_en=render(rule.message_en, context),
                    location=Location(
                        file=(files or {}).get(row["ma_lk"]),
                        ma_lk=row["ma_lk"],
                        table=row["tbl"],
                        stt=row["stt"],
                    ),
                    evidence=evidence,
                    basis=rule.basis,
                    amount=row["amount"],
                    refusal_code=refusal_code(rule, evidence),
                    ma_cskcb=row["ma_cskcb"],
                    item_code=row["code"],
                )
            )
        return out


def drop_findings(findings: pa.Table, skip: pa.Table | None) -> pa.Table:
    """Return ``findings`` without those of the ``(rule_id, ma_lk)`` pairs of ``skip``.

    A rule that could not be checked on a claim (a field it reads did not parse)
    must not decide money on it: its findings there are dropped before decisions.
    """
    if skip is None or not skip.num_rows or not findings.num_rows:
        return findings
    sep = "\x1f"
    have = pc.binary_join_element_wise(findings["rule_id"], findings["ma_lk"], sep)
    drop = pc.binary_join_element_wise(skip["rule_id"], skip["ma_lk"], sep)
    return findings.filter(pc.invert(pc.is_in(have, value_set=drop)))


def refusal_code(rule: Rule, evidence: Mapping[str, Any]) -> str | None:
    """Return a finding's refusal-reason code.

    A thematic rule reads edit-table rows that carry the insurer's own code
    (``ma_ly_do`` in the evidence, e.g. ``S.005.650``); that code names the
    finding more exactly than the rule's general one, which is the fallback.
    """
    own = evidence.get("ma_ly_do")
    if isinstance(own, str) and own.strip():
        return own.strip()
    return rule.refusal_code


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "—"


def _shown(value: Any) -> Any:
    """Return how a typed evidence value reads in a message (Vietnamese usage)."""
    if isinstance(value, Decimal):
        return format_dong(value)
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return value


def render(template: str, evidence: Mapping[str, Any]) -> str:
    """Fill ``{column}`` placeholders from the evidence (absent values show '—').

    Decimals read the Vietnamese way (``70.000``, ``0,5``; ``format_dong``), dates
    ``dd/mm/yyyy``; texts exactly as they are (a code keeps its leading zero).
    """
    shown = _Blank({k: _shown(v) for k, v in evidence.items()})
    return string.Formatter().vformat(template, (), shown)


def parse_evidence(
    text: str | None, kinds: Mapping[str, ValueKind] | None = None
) -> dict[str, Any]:
    """Parse the evidence JSON back into typed values; nulls are dropped.

    Evidence values travel as text so that DuckDB and Spark agree to the byte.
    With ``kinds`` (the rule's output columns, ``evidence_kinds``) each value gets
    its column's type back: a text stays text (``01929`` keeps its zero), an
    integer is an ``int``, a decimal a ``Decimal``, a date a ``date``. Without
    them (e.g. findings written before kinds were kept) numbers are guessed,
    except digit strings with a leading zero, which are codes.
    """
    raw: dict[str, Any] = json.loads(text) if text else {}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None:
            continue
        if not isinstance(value, str):
            out[key] = value
        elif kinds is not None and key in kinds:
            out[key] = _typed(value, kinds[key])
        else:
            out[key] = _number(value)
    return out


def _typed(text: str, kind: ValueKind) -> Any:  # noqa: PLR0911 - one return per kind
    try:
        if kind is ValueKind.INTEGER:
            return int(text)
        if kind in {ValueKind.DECIMAL, ValueKind.FLOAT}:
            number = Decimal(text)
            return number if number.is_finite() else text
        if kind is ValueKind.DATE:
            return date.fromisoformat(text)
        if kind is ValueKind.TIMESTAMP:
            return datetime.fromisoformat(text)
        if kind is ValueKind.BOOLEAN:
            return text.strip().lower() == "true"
    except (ValueError, InvalidOperation):
        return text
    return text


def _number(text: str) -> Any:
    stripped = text.strip()
    if not stripped or not (stripped[0].isdigit() or stripped[0] in "-+"):
        return text
    if len(stripped) > 1 and stripped[0] == "0" and stripped[1].isdigit():
        return text  # NOTE: a leading zero makes a code (MA_CSKCB 01929), not a number
    if stripped.lstrip("-+").isdigit():
        return int(stripped) if len(stripped) < 16 else text  # noqa: PLR2004
    try:
        number = Decimal(stripped)
    except InvalidOperation:
        return text
    return number if number.is_finite() else text


def evidence_kinds(
    backend: Backend, rules: Iterable[Rule]
) -> dict[str, dict[str, ValueKind]]:
    """Return, per rule version (``ID@version``), the kind of each evidence column.

    The backend binds each rule's query without running it (the views must be
    registered), so evidence comes back with its types and no value is guessed.
    """
    out: dict[str, dict[str, ValueKind]] = {}
    for rule in rules:
        columns = evidence_columns(rule)
        if not columns:
            out[rule.key] = {}
            continue
        listed = ", ".join(f"r.{c}" for c in columns)
        out[rule.key] = backend.kinds(
            f"select {listed} from ({with_params(rule)}) as r"  # noqa: S608
        )
    return out


def scope_table(rules: Iterable[Rule]) -> pa.Table:
    """Return ``_scope_rules``: effective period and severity per rule version."""
    rows = [
        {
            "rule_id": r.id,
            "rule_version": r.version,
            "severity": r.severity.value,
            "eff_from": r.effective.start,
            "eff_to": r.effective.end or OPEN_END,
        }
        for r in rules
    ]
    schema = pa.schema(
        [
            ("rule_id", pa.string()),
            ("rule_version", pa.int64()),
            ("severity", pa.string()),
            ("eff_from", pa.date32()),
            ("eff_to", pa.date32()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def run_rules(
    backend: Backend,
    rules: Sequence[Rule],
    *,
    batch: Sequence[str] | None = None,
) -> pa.Table:
    """Run ``rules`` over the views already registered on ``backend``.

    Returns:
        The findings (``FINDINGS_SCHEMA``), sorted by claim, table, line, rule.
    """
    if not rules:
        return FINDINGS_SCHEMA.empty_table()
    backend.register("_scope_rules", scope_table(rules))
    if batch is not None:
        backend.register(
            "_scope_batch", pa.table({"ma_lk": pa.array(batch, pa.string())})
        )
    names: list[str] = []
    for start in range(0, len(rules), RULES_PER_PASS):
        names.append(f"_hits_{len(names)}")
        backend.materialise(
            names[-1], hits_query(rules[start : start + RULES_PER_PASS])
        )
    result = backend.query(assessment_query(rules, batch=batch is not None, hits=names))
    result = result.cast(FINDINGS_SCHEMA)
    return result.sort_by(
        [
            ("ma_lk", "ascending"),
            ("tbl", "ascending"),
            ("stt", "ascending"),
            ("rule_id", "ascending"),
            ("rule_version", "ascending"),
            ("evidence", "ascending"),
        ]
    )


LINE_ORDER = "order by ma_lk, tbl, stt"


def decide_all(
    backend: Backend,
    findings: pa.Table,
    *,
    batch: bool = False,
    fetch_lines: bool = True,
    causes: Mapping[str, str] | None = None,
) -> tuple[pa.Table, pa.Table]:
    """Compute line and claim decisions from ``findings`` on ``backend``.

    The line decisions stay on the backend as ``_line_decisions`` (the claim
    decisions are computed from them there), so a caller writing them out
    (``Backend.write_parquet``) need not hold them in memory.

    Args:
        backend: where the views are.
        findings: the scoped findings of ``run_rules``.
        batch: only decide claims of ``_scope_batch``.
        fetch_lines: also return the line decisions (sorted by claim, table,
            line); an empty table when ``False``.
        causes: rule id → cause of its adjustments (``with_causes``); each rule
            is its own cause when omitted.

    Returns:
        (line decisions, claim decisions sorted by ``ma_lk``).
    """
    backend.register("_findings", with_causes(findings, causes or {}))
    line_filter = "where l.ma_lk in (select ma_lk from _scope_batch)" if batch else ""
    backend.materialise(
        "_line_decisions", DECISIONS_QUERY.replace("{batch}", line_filter)
    )
    lines = (
        backend.query(f"select * from _line_decisions {LINE_ORDER}")  # noqa: S608
        if fetch_lines
        else pa.table({})
    )
    claim_filter = "where c.ma_lk in (select ma_lk from _scope_batch)" if batch else ""
    claims = backend.query(
        CLAIMS_QUERY.replace("{batch}", claim_filter) + " order by ma_lk"
    )
    return lines, claims


def with_causes(findings: pa.Table, causes: Mapping[str, str]) -> pa.Table:
    """Return ``findings`` with a ``cause`` column: what an adjustment corrects.

    Two adjustments of one cause (e.g. two price rules on the same excess) must
    not withhold the same money twice: the decision keeps the larger. The cause
    of a rule is its check family (``Rule.family``); a rule without one is its
    own cause.
    """
    ids = findings.column("rule_id")
    keys = pa.array(list(causes), pa.string())
    at = pc.index_in(ids, value_set=keys)
    named = pc.take(pa.array(list(causes.values()), pa.string()), at)
    cause = pc.if_else(pc.is_null(at), ids, named)
    if "cause" in findings.column_names:
        findings = findings.drop_columns(["cause"])
    return findings.append_column("cause", cause)


def prepare_views(
    backend: Backend,
    views: Mapping[str, pa.Table],
    rules: Sequence[Rule],
    *,
    relations: Mapping[str, str] | None = None,
) -> None:
    """Register the logical views ``rules`` read; materialise the derived ones.

    Derived views (``giamdinh.engine.derived``) are computed once here, after the
    logical views they read, so every rule reading them shares the work.

    Args:
        backend: where to run.
        views: logical views as Arrow tables.
        rules: the rules that will run.
        relations: views given as SQL instead (``claim_view_sql``), computed by
            the backend where the data are; they take the place of ``views``.
            A claim view's rows are stored as ``_data_<view>`` and the view adds
            the fields the SQL left out as nulls (``conform_sql``).
    """
    base, derived = closure(referenced_views(rules))
    given = relations or {}
    for name in sorted(base & given.keys()):
        if name not in CLAIM_VIEWS:
            backend.materialise(name, given[name])
            continue
        data = f"_data_{name}"
        backend.materialise(data, given[name])
        columns = backend.query(f"select * from {data} limit 0").schema.names  # noqa: S608
        backend.view(name, conform_sql(name.upper(), data, columns))
    for name, table in views.items():
        if name in base and name not in given:
            backend.register(name, table)
    for view in derived:
        backend.materialise(view.name, view.sql)


def assess(
    backend: Backend,
    views: Mapping[str, pa.Table],
    rule_set: RuleSet,
    *,
    as_of: date | None = None,
    batch: Sequence[str] | None = None,
    rule_set_label: str | None = None,
    decide: bool = True,
    fetch_lines: bool = True,
    relations: Mapping[str, str] | None = None,
    skip: pa.Table | None = None,
) -> Assessment:
    """Register ``views`` on ``backend`` and run the whole rule set, then decide.

    Args:
        backend: where to run (DuckDB or Spark).
        views: the logical views (``giamdinh.engine.views.logical_views``).
        rule_set: the rules to run (already filtered by overrides and as-of).
        as_of: recorded with the result.
        batch: only report claims with these ``MA_LK`` (all claims still serve
            as context, e.g. for pairs across claims).
        rule_set_label: the version to record; ``rule_set.version`` by default.
        decide: also compute line and claim decisions (else they are empty).
        fetch_lines: return the line decisions in the result; when ``False``
            they stay on the backend as ``_line_decisions`` (e.g. to be written
            out with ``Backend.write_parquet``) and ``lines`` is empty.
        relations: claim views given as SQL the backend runs where the data are
            (``giamdinh.engine.views.claim_view_sql``), instead of Arrow tables.
        skip: ``(rule_id, ma_lk)`` pairs not checked (``drop_findings``).
    """
    prepare_views(backend, views, rule_set.rules, relations=relations)
    kinds = evidence_kinds(backend, rule_set.rules)
    findings = drop_findings(run_rules(backend, rule_set.rules, batch=batch), skip)
    if batch is not None and not rule_set.rules:
        backend.register(
            "_scope_batch", pa.table({"ma_lk": pa.array(batch, pa.string())})
        )
    if decide:
        lines, claims = decide_all(
            backend,
            findings,
            batch=batch is not None,
            fetch_lines=fetch_lines,
            causes={r.id: r.family.value for r in rule_set.rules},
        )
    else:
        lines, claims = pa.table({}), pa.table({})
    return Assessment(
        findings=findings,
        lines=lines,
        claims=claims,
        rule_set=rule_set_label or rule_set.version,
        as_of=as_of,
        rules={r.key: r for r in rule_set.rules},
        kinds=kinds,
    )
