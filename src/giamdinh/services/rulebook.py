"""The rule set as the insurer reads it: catalogue, rule pages, dry runs, overrides.

Everything is read from the rule objects (``giamdinh.rules.registry``), not from
the generated Markdown: the catalogue (id, title, family, severity, versions with
their periods, legal bases), one rule's page (what it checks, its messages, its
bases with how far each citation was verified, its evidence kinds, its executed
examples where the rule cases are at hand), a dry run of one rule over the store
(``dry_run_store``: hits and money by facility, at a proposed severity), and this
deployment's overrides, an append-only YAML log (who, when, why).

Facility staff may read the catalogue and the rule pages (the rule set is open);
dry runs and overrides are the insurer's; only a supervisor records an override.
"""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from giamdinh.backends.duck import DuckDBBackend
from giamdinh.domain import Severity
from giamdinh.engine.cases import default_cases_dir, load_case_file, run_case
from giamdinh.engine.overrides import apply_overrides, load_overrides
from giamdinh.errors import ConfigError, ForbiddenError, RuleDefinitionError
from giamdinh.review.workflow import Role
from giamdinh.rules.model import Family
from giamdinh.rules.registry import load_rule_set
from giamdinh.services.assessment import dry_run_store, set_override
from giamdinh.services.claims import (
    CLAIM_ROLES,
    INSURER,
    BasisView,
    NotFoundError,
    basis_views,
    require_role,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date
    from decimal import Decimal

    from giamdinh.engine.overrides import Override
    from giamdinh.review.workflow import Actor
    from giamdinh.rules.model import Rule
    from giamdinh.rules.registry import RuleSet
    from giamdinh.services.assessment import DryRun

_RECORDING = threading.Lock()


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionView:
    """One version of a rule, as its page shows it."""

    version: int
    name: str
    severity: Severity
    max_severity: Severity | None
    start: date
    end: date | None
    published: date
    grain: str
    table: str | None
    params: dict[str, Any]
    message: str
    message_en: str
    basis: tuple[BasisView, ...]
    evidence: tuple[str, ...]
    is_time: bool
    refusal_code: str | None
    topic: str | None
    time_condition: str
    sql: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleState:
    """How this deployment runs a rule today (its overrides applied)."""

    enabled: bool
    severity: Severity | None
    params: dict[str, Any]
    overridden: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleSummary:
    """One rule in the catalogue (its newest version, its periods)."""

    id: str
    title: str
    title_en: str
    family: Family
    severity: Severity
    versions: tuple[VersionView, ...]
    state: RuleState
    is_time: bool

    @property
    def latest(self) -> VersionView:
        """Return the newest version."""
        return self.versions[-1]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExampleFinding:
    """What a rule found on an example."""

    ma_lk: str | None
    stt: int | None
    severity: Severity
    amount: Decimal | None
    message: str
    message_en: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Example:
    """One documented case of a rule, executed: given tables and what it found."""

    name: str
    description: str
    given: dict[str, list[dict[str, str]]]
    findings: tuple[ExampleFinding, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleDetail:
    """Everything a rule's page shows.

    Attributes:
        summary: the rule in the catalogue.
        doc: what it checks (the rule's documentation), paragraph by paragraph.
        examples: its documented cases, executed (empty without the cases).
        allowed_severities: the severities an override may give it.
        overrides: this deployment's overrides of the rule, oldest first
            (``None`` for a role that may not see them).
    """

    summary: RuleSummary
    doc: list[str]
    examples: list[Example]
    allowed_severities: list[Severity]
    overrides: list[Override] | None


def _version(rule: Rule) -> VersionView:
    return VersionView(
        version=rule.version,
        name=rule.name,
        severity=rule.severity,
        max_severity=rule.max_severity,
        start=rule.effective.start,
        end=rule.effective.end,
        published=rule.published_on,
        grain=rule.grain.value,
        table=rule.table,
        params=dict(rule.params),
        message=rule.message,
        message_en=rule.message_en,
        basis=basis_views(rule.basis),
        evidence=tuple(sorted(e.value for e in rule.evidence)),
        is_time=any(e.is_time for e in rule.evidence),
        refusal_code=rule.refusal_code,
        topic=rule.topic,
        time_condition=rule.time_condition,
        sql=_dedent(rule.sql),
    )


def _dedent(sql: str) -> str:
    rows = sql.strip("\n").splitlines()
    indent = min((len(r) - len(r.lstrip()) for r in rows if r.strip()), default=0)
    return "\n".join(r[indent:].rstrip() for r in rows)


def _states(rule_set: RuleSet, overrides: list[Override]) -> dict[str, RuleState]:
    applied = apply_overrides(rule_set, overrides)
    touched = {o.rule for o in overrides}
    # NOTE: the newest version of each rule still running (versions are sorted).
    now: dict[str, Rule] = {rule.id: rule for rule in applied.rules}
    out: dict[str, RuleState] = {}
    for rule_id in rule_set.ids():
        found = now.get(rule_id)
        out[rule_id] = RuleState(
            enabled=found is not None,
            severity=found.severity if found is not None else None,
            params=dict(found.params) if found is not None else {},
            overridden=rule_id in touched,
        )
    return out


def _summaries(
    rule_set: RuleSet, states: Mapping[str, RuleState]
) -> dict[str, RuleSummary]:
    out: dict[str, RuleSummary] = {}
    for rule_id in rule_set.ids():
        versions = rule_set.get(rule_id)
        latest = versions[-1]
        out[rule_id] = RuleSummary(
            id=rule_id,
            title=latest.title,
            title_en=latest.title_en,
            family=latest.family,
            severity=latest.severity,
            versions=tuple(_version(r) for r in versions),
            state=states[rule_id],
            is_time=any(e.is_time for r in versions for e in r.evidence),
        )
    return out


def rule_catalogue(
    actor: Actor,
    *,
    overrides_path: Path | None = None,
    family: str | None = None,
    severity: str | None = None,
) -> list[RuleSummary]:
    """Return the rules, by id, with their state in this deployment.

    Args:
        actor: who asks.
        overrides_path: this deployment's override log.
        family: only rules of this family (``Family`` value: ``d``, ``thematic``).
        severity: only rules whose newest version has this severity.

    Raises:
        ForbiddenError: the actor's role does not work on claims.
        ConfigError: an unknown family or severity, or a broken override log.
    """
    require_role(actor, CLAIM_ROLES)
    wanted_family = _family(family)
    wanted_severity = parse_severity(severity)
    rule_set = load_rule_set()
    overrides = load_overrides(overrides_path)
    summaries = _summaries(rule_set, _states(rule_set, overrides))
    return [
        s
        for s in summaries.values()
        if (wanted_family is None or s.family is wanted_family)
        and (wanted_severity is None or s.severity is wanted_severity)
    ]


def _family(text: str | None) -> Family | None:
    if not text:
        return None
    try:
        return Family(text)
    except ValueError as exc:
        known = ", ".join(f.value for f in Family)
        msg = f"nhóm {text!r} không có; chọn {known} / unknown family"
        raise ConfigError(msg) from exc


def parse_severity(text: str | None) -> Severity | None:
    """Return the severity named ``text`` (``None`` for none).

    Raises:
        ConfigError: not a severity.
    """
    if not text:
        return None
    try:
        return Severity(text.strip().lower())
    except ValueError as exc:
        known = ", ".join(s.value for s in Severity)
        msg = f"mức {text!r} không có; chọn {known} / unknown severity"
        raise ConfigError(msg) from exc


def _rule_versions(rule_set: RuleSet, rule_id: str) -> tuple[Rule, ...]:
    try:
        return rule_set.get(rule_id)
    except RuleDefinitionError as exc:
        msg = f"không có quy tắc {rule_id} / no rule {rule_id}"
        raise NotFoundError(msg) from exc


def allowed_severities(versions: tuple[Rule, ...]) -> list[Severity]:
    """Return the severities every version of a rule may run at.

    The rule model decides (time evidence only ``info``/``review``; a refusal
    needs a basis; an adjustment its amount; never above ``max_severity``).
    """
    allowed: list[Severity] = []
    for severity in Severity:
        try:
            for rule in versions:
                dataclasses.replace(rule, severity=severity)
        except RuleDefinitionError:
            continue
        allowed.append(severity)
    return allowed


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


@lru_cache(maxsize=128)
def _examples(rule_id: str, version: str, cases_dir: str) -> tuple[Example, ...]:
    del version  # NOTE: part of the cache key: a new rule set runs them again
    path = (Path(cases_dir) if cases_dir else default_cases_dir()) / (f"{rule_id}.yml")
    if not path.is_file():
        return ()
    rule_set = load_rule_set()
    subset = rule_set.only(rule_set.get(rule_id))
    out: list[Example] = []
    for case in load_case_file(path).cases:
        if not case.doc:
            continue
        backend = DuckDBBackend()
        try:
            result = run_case(case, subset, backend, decide=False)
            found = result.finding_objects()
        finally:
            backend.close()
        out.append(
            Example(
                name=case.name,
                description=case.description,
                given={
                    table: [{k: _cell(v) for k, v in row.items()} for row in rows]
                    for table, rows in case.given.items()
                },
                findings=tuple(
                    ExampleFinding(
                        ma_lk=f.location.ma_lk,
                        stt=f.location.stt,
                        severity=f.severity,
                        amount=f.amount,
                        message=f.message,
                        message_en=f.message_en or f.message,
                    )
                    for f in found
                ),
            )
        )
    return tuple(out)


def rule_examples(rule_id: str, *, cases_dir: Path | None = None) -> list[Example]:
    """Return a rule's documented cases, executed on DuckDB (empty without cases).

    The cases are the rule's tests (``tests/rules/cases/<ID>.yml`` of a source
    checkout); an installed deployment without them shows none.
    """
    rule_set = load_rule_set()
    versions = _rule_versions(rule_set, rule_id)
    return list(
        _examples(versions[0].id, rule_set.version, str(cases_dir) if cases_dir else "")
    )


def rule_detail(
    actor: Actor,
    rule_id: str,
    *,
    overrides_path: Path | None = None,
    cases_dir: Path | None = None,
) -> RuleDetail:
    """Return one rule's page.

    Raises:
        ForbiddenError: the actor's role does not work on claims.
        NotFoundError: no such rule.
    """
    require_role(actor, CLAIM_ROLES)
    rule_set = load_rule_set()
    versions = _rule_versions(rule_set, rule_id)
    overrides = load_overrides(overrides_path)
    summary = _summaries(rule_set, _states(rule_set, overrides))[versions[0].id]
    doc = (versions[-1].doc or "").strip()
    paragraphs = [" ".join(p.split()) for p in doc.split("\n\n") if p.strip()]
    insurer = actor.role in INSURER
    return RuleDetail(
        summary=summary,
        doc=paragraphs[1:] if len(paragraphs) > 1 else paragraphs,
        examples=rule_examples(summary.id, cases_dir=cases_dir),
        allowed_severities=allowed_severities(versions),
        overrides=[o for o in overrides if o.rule == summary.id] if insurer else None,
    )


def rule_dry_run(
    actor: Actor,
    rule_id: str,
    store_dir: Path,
    *,
    severity: str | None = None,
    reference_dir: Path | None = None,
    as_of: date | None = None,
) -> DryRun:
    """Dry-run one rule over the store's claims (``dry_run_store``); nothing recorded.

    Raises:
        ForbiddenError: the actor is not the insurer's.
        NotFoundError: no such rule.
        ConfigError: an unknown severity.
        RuleDefinitionError: the rule may not run at that severity.
        StoreError: no claim store.
    """
    require_role(actor, INSURER)
    level = parse_severity(severity)
    versions = _rule_versions(load_rule_set(), rule_id)
    folder = (
        reference_dir if reference_dir is not None and reference_dir.is_dir() else None
    )
    # NOTE: in a thread of its own that ends before this returns. Loading the
    # reference folders keeps a DuckDB connection per thread (a threading.local
    # of giamdinh.refdata.facility); freed when a server's worker thread dies at
    # interpreter exit, it aborted the process ("exception not rethrown").
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dry-run") as pool:
        return pool.submit(
            dry_run_store,
            versions[0].id,
            store_dir,
            severity=level,
            reference_dir=folder,
            as_of=as_of,
        ).result()


def rule_overrides(
    actor: Actor, overrides_path: Path | None, *, rule_id: str | None = None
) -> list[Override]:
    """Return the deployment's overrides (of one rule), oldest first.

    Raises:
        ForbiddenError: the actor is not the insurer's.
        ConfigError: the log is broken.
    """
    require_role(actor, INSURER)
    every = load_overrides(overrides_path)
    wanted = rule_id.strip().upper() if rule_id else None
    return [o for o in every if wanted is None or o.rule == wanted]


def parse_params(text: str | None) -> dict[str, int | str]:
    """Read parameters written one per line (or ``;``-separated) as ``NAME=VALUE``.

    Raises:
        ConfigError: a line is not ``NAME=VALUE``.
    """
    params: dict[str, int | str] = {}
    for item in (text or "").replace(";", "\n").splitlines():
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            msg = f"tham số {item.strip()!r}: viết TÊN=GIÁ_TRỊ / write NAME=VALUE"
            raise ConfigError(msg)
        raw = value.strip()
        params[name.strip()] = int(raw) if raw.lstrip("-").isdigit() else raw
    return params


def record_override(
    actor: Actor,
    overrides_path: Path,
    *,
    rule_id: str,
    why: str,
    enabled: bool | None = None,
    severity: str | None = None,
    params: Mapping[str, int | str] | None = None,
) -> Override:
    """Record an override by a supervisor, with the reason, in the append-only log.

    Raises:
        ForbiddenError: the actor is not a supervisor.
        NotFoundError: no such rule.
        ConfigError: nothing to change, no reason, or a broken log.
        RuleDefinitionError: the override breaks a rule invariant (e.g. a
            time-evidence rule may never refuse).
    """
    if actor.role is not Role.SUPERVISOR:
        msg = (
            "chỉ trưởng phòng giám định được ghi đè quy tắc / only a supervisor may "
            "override a rule"
        )
        raise ForbiddenError(msg)
    versions = _rule_versions(load_rule_set(), rule_id)
    level = parse_severity(severity)
    if enabled is None and level is None and not params:
        msg = (
            "không có thay đổi: chọn bật/tắt, mức hoặc tham số / nothing to change: "
            "choose on/off, a severity or a parameter"
        )
        raise ConfigError(msg)
    if not why.strip():
        raise ConfigError("cần ghi lý do / a reason is required")
    overrides_path.parent.mkdir(parents=True, exist_ok=True)
    with _RECORDING:
        return set_override(
            overrides_path,
            rule_id=versions[0].id,
            by=actor.username,
            why=why.strip(),
            enabled=enabled,
            severity=level,
            params=params,
        )


__all__ = [
    "Example",
    "ExampleFinding",
    "RuleDetail",
    "RuleState",
    "RuleSummary",
    "VersionView",
    "allowed_severities",
    "parse_params",
    "parse_severity",
    "record_override",
    "rule_catalogue",
    "rule_detail",
    "rule_dry_run",
    "rule_examples",
    "rule_overrides",
]
