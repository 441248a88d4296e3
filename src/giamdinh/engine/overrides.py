"""Per-deployment overrides of rules, kept as an append-only YAML log.

A deployment may switch a rule off, change its severity or set one of its
declared parameters (a policy option such as BH001's ``grace_days``)
without touching code.
Each change is one entry of a YAML list, appended (never edited) with who made it,
why, and when::

    - rule: TH002
      severity: review
      by: gdv.nguyen
      why: "Chờ BHXH tỉnh xác nhận cặp KT217 cho tuyến huyện"
      at: 2026-03-05T08:30:00+07:00
    - rule: RS001
      enabled: false
      by: gdv.tran
      why: "Bỏ thông tin thời gian trong đợt thí điểm"
      at: 2026-03-06T10:00:00+07:00
    - rule: BH001
      params: {grace_days: 15}
      by: gd.le
      why: "Ghi rõ thời hạn 15 ngày sau khi thẻ hết hạn (NĐ 188/2025 Điều 50)"
      at: 2026-03-07T09:00:00+07:00

The state of a rule is its code's state folded with its entries in order, up to
the as-of time of the run. An override goes through the rule model again, so it
cannot make a time-evidence rule refuse, or a rule without basis refuse or adjust.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

import yaml
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    ValidationError,
    field_validator,
)

from giamdinh.domain import Severity
from giamdinh.errors import ConfigError, RuleDefinitionError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from giamdinh.rules.model import Rule
    from giamdinh.rules.registry import RuleSet


class Override(BaseModel):
    """One recorded change of one rule's enablement, severity or parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    enabled: bool | None = None
    severity: Severity | None = None
    params: dict[str, int | str] | None = None
    by: str
    why: str
    at: AwareDatetime

    @field_validator("by", "why")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            msg = "must say who made the change and why"
            raise ValueError(msg)
        return value

    @field_validator("rule")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.strip().upper()


def load_overrides(path: Path | None) -> list[Override]:
    """Read the override log; a missing or absent path means no override.

    Raises:
        ConfigError: the file is not a YAML list of valid entries, or the entries
            are not in time order (the log is append-only).
    """
    if path is None or not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        raise ConfigError(f"override file {path}: not valid YAML: {exc}") from exc
    if not isinstance(data, list):
        raise ConfigError(f"override file {path}: must be a YAML list of changes")
    entries: list[Override] = []
    for n, item in enumerate(data, start=1):
        try:
            entries.append(Override.model_validate(item))
        except ValidationError as exc:
            msg = f"override file {path}, entry {n}: {exc.errors()[0]['msg']} ({exc})"
            raise ConfigError(msg) from exc
    for before, after in itertools.pairwise(entries):
        if after.at < before.at:
            msg = (
                f"override file {path}: entry for {after.rule} at {after.at} comes "
                f"after one at {before.at}; the log is append-only, in time order"
            )
            raise ConfigError(msg)
    return entries


def record_override(path: Path, change: Override) -> None:
    """Append one change to the log (creating it); earlier entries are untouched.

    Raises:
        ConfigError: the change is older than the last recorded one.
    """
    existing = load_overrides(path)
    if existing and change.at < existing[-1].at:
        msg = f"change at {change.at} is older than the last entry ({existing[-1].at})"
        raise ConfigError(msg)
    entry = change.model_dump(mode="json", exclude_none=True)
    text = yaml.safe_dump([entry], allow_unicode=True, sort_keys=False)
    with path.open("a", encoding="utf-8") as out:
        out.write(text)


def _cutoff(as_of: date | None) -> datetime | None:
    if as_of is None:
        return None
    return datetime.combine(as_of, time.max, tzinfo=UTC)


ParamValue = int | str | Decimal | date


def _param_value(rule: Rule, name: str, value: int | str) -> ParamValue:
    """Return ``value`` typed like the rule's own value of parameter ``name``.

    Raises:
        RuleDefinitionError: the rule has no such parameter or the value does not
            fit its type.
    """
    if name not in rule.params:
        known = ", ".join(sorted(rule.params)) or "none"
        msg = f"rule {rule.id} has no parameter {name!r} (its parameters: {known})"
        raise RuleDefinitionError(msg)
    current = rule.params[name]
    try:
        if isinstance(current, bool | int):
            return int(value)
        if isinstance(current, Decimal):
            return Decimal(str(value))
        if isinstance(current, date):
            return date.fromisoformat(str(value))
    except (ValueError, InvalidOperation) as exc:
        kind = type(current).__name__
        msg = f"rule {rule.id}: parameter {name}={value!r} is not a valid {kind}"
        raise RuleDefinitionError(msg) from exc
    return str(value)


def _with_params(rule: Rule, given: Mapping[str, int | str]) -> Rule:
    if not given:
        return rule
    params = {**rule.params}
    for name, value in given.items():
        params[name] = _param_value(rule, name, value)
    return dataclasses.replace(rule, params=params)


def apply_overrides(
    rule_set: RuleSet, overrides: list[Override], *, as_of: date | None = None
) -> RuleSet:
    """Return the rule set with the overrides recorded by ``as_of`` applied.

    Raises:
        RuleDefinitionError: an override names an unknown rule or breaks a rule
            invariant (e.g. raises a time-evidence rule to ``refuse``).
    """
    cutoff = _cutoff(as_of)
    known = set(rule_set.ids())
    enabled: dict[str, bool] = {}
    severity: dict[str, Severity] = {}
    params: dict[str, dict[str, int | str]] = {}
    for change in overrides:
        if cutoff is not None and change.at > cutoff:
            continue
        if change.rule not in known:
            msg = f"override by {change.by} at {change.at}: no rule {change.rule}"
            raise RuleDefinitionError(msg)
        if change.enabled is not None:
            enabled[change.rule] = change.enabled
        if change.severity is not None:
            severity[change.rule] = change.severity
        if change.params:
            params.setdefault(change.rule, {}).update(change.params)
    kept: list[Rule] = []
    for rule in rule_set.rules:
        if not enabled.get(rule.id, True):
            continue
        new = severity.get(rule.id)
        changed = (
            dataclasses.replace(rule, severity=new)
            if new is not None and new is not rule.severity
            else rule
        )
        kept.append(_with_params(changed, params.get(rule.id, {})))
    return rule_set.only(kept)


def overrides_label(
    rule_set: RuleSet, overrides: list[Override], as_of: date | None
) -> str:
    """Return the rule-set version, suffixed with the hash of applied overrides."""
    cutoff = _cutoff(as_of)
    applied = [o for o in overrides if cutoff is None or o.at <= cutoff]
    if not applied:
        return rule_set.version
    digest = hashlib.sha256(
        "\n".join(o.model_dump_json() for o in applied).encode()
    ).hexdigest()[:8]
    return f"{rule_set.version}+ov-{digest}"
