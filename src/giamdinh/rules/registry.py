"""Load the rule set: every ``xx000.py`` module of this package plus the edit tables.

Loading checks the set: versions, names and periods (``check_rule_set``), every
basis against ``citations.csv`` (``giamdinh.rules.citations.check_bases``: no
version starts before the texts it cites apply; a refusal rests on a complete,
verified basis), and what each rule's SQL reads of time (``guard_time``).

The rule set's version is the SHA-256 of everything that decides a finding: the
whole rule package (rule files, ``shared.py``, the model, the edit tables, the
citations), the engine modules holding the derived views, the wrapper and the
decision queries, and the versions of giamdinh, DuckDB and sqlglot. A finding
recorded with ``rule_set="rs-1a2b3c4d5e6f"`` names exactly the code and data that
produced it. NOTE: the engine files are read as bytes, not imported: rules sit
below the engine in the layers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import pkgutil
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import sqlglot

from giamdinh.domain import Severity
from giamdinh.errors import RuleDefinitionError
from giamdinh.rules.citations import CITATIONS_FILE, check_bases
from giamdinh.rules.edits import TABLES_DIR, EditTable, load_tables
from giamdinh.rules.model import TIME_POSITION, Rule
from giamdinh.rules.sqlscan import TimeEvidence, time_evidence

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from datetime import date

    from giamdinh.rules.citations import Citation

PACKAGE = "giamdinh.rules"
RULES_DIR = Path(__file__).parent
MODULE_RE = re.compile(r"^[a-z]{2}\d{3}$")

BASIS_WAIVERS: Mapping[str, str] = {}
"""Rules whose refusal basis is known to be incomplete, with why they still load.

NOTE: a waiver only skips the refusal-specific basis check; every basis must
still be a row of ``citations.csv`` and no version may start before its texts
apply. ``tests/rules/test_citations.py`` fails once a waived rule passes the
check, so a waiver is removed as soon as its rule is fixed.
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleSet:
    """All rule versions and edit tables, with the version hash of their files."""

    rules: tuple[Rule, ...]
    tables: dict[str, EditTable]
    version: str

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def get(self, rule_id: str) -> tuple[Rule, ...]:
        """Return every version of ``rule_id`` (also found by alias), oldest first.

        Raises:
            RuleDefinitionError: no rule has that id or alias.
        """
        wanted = rule_id.upper()
        found = tuple(r for r in self.rules if wanted in {r.id, *r.aliases})
        if not found:
            known = ", ".join(sorted({r.id for r in self.rules}))
            raise RuleDefinitionError(f"no rule {rule_id!r}; known rules: {known}")
        return found

    def ids(self) -> tuple[str, ...]:
        """Return the rule ids, sorted."""
        return tuple(sorted({r.id for r in self.rules}))

    def published_by(self, day: date) -> RuleSet:
        """Return the rule set as it stood on ``day`` (versions published by then)."""
        kept = tuple(r for r in self.rules if r.published_on <= day)
        return RuleSet(rules=kept, tables=self.tables, version=self.version)

    def only(self, rules: Iterable[Rule]) -> RuleSet:
        """Return a rule set with only ``rules`` (same tables and version)."""
        return RuleSet(rules=tuple(rules), tables=self.tables, version=self.version)


def rule_modules() -> list[str]:
    """Return the names of the rule modules (``ct001``…), sorted."""
    return sorted(
        m.name
        for m in pkgutil.iter_modules([str(RULES_DIR)])
        if MODULE_RE.match(m.name)
    )


def _rules_of(module_name: str) -> tuple[Rule, ...]:
    module = importlib.import_module(f"{PACKAGE}.{module_name}")
    found: list[Rule] = []
    single = getattr(module, "RULE", None)
    several = getattr(module, "RULES", ())
    if isinstance(single, Rule):
        found.append(single)
    found.extend(r for r in several if isinstance(r, Rule))
    if not found:
        msg = f"rule module {module_name}.py defines neither RULE nor RULES"
        raise RuleDefinitionError(msg)
    for rule in found:
        if rule.id.lower() != module_name:
            msg = f"rule module {module_name}.py defines rule {rule.id}: rename one"
            raise RuleDefinitionError(msg)
    return tuple(found)


def check_rule_set(
    rules: Iterable[Rule],
    citations: Mapping[str, Citation] | None = None,
    *,
    waived: Mapping[str, str] = BASIS_WAIVERS,
) -> None:
    """Check the set-level invariants and every rule's bases.

    Args:
        rules: the rule versions.
        citations: the citations to check bases against (default: the shipped
            ``citations.csv``).
        waived: rules exempt from the refusal-specific basis check.

    Raises:
        RuleDefinitionError: two versions of a rule overlap in time, a version is
            repeated, a name is used by two ids, an alias reuses an id, or a
            basis is unknown, applies only after the version starts, or is not
            enough for a refusal.
    """
    rules = tuple(rules)
    check_bases(rules, citations, waived=waived)
    by_id: dict[str, list[Rule]] = {}
    names: dict[str, str] = {}
    for rule in rules:
        by_id.setdefault(rule.id, []).append(rule)
        owner = names.setdefault(rule.name, rule.id)
        if owner != rule.id:
            msg = f"rules {owner} and {rule.id} share the name {rule.name!r}"
            raise RuleDefinitionError(msg)
    for rule_id, versions in by_id.items():
        seen: set[int] = set()
        for i, a in enumerate(versions):
            if a.version in seen:
                raise RuleDefinitionError(f"rule {rule_id}: version {a.version} twice")
            seen.add(a.version)
            for b in versions[i + 1 :]:
                if a.effective.overlaps(b.effective):
                    msg = (
                        f"rule {rule_id}: versions {a.version} and {b.version} overlap "
                        f"({a.effective.start}..{a.effective.end} and "
                        f"{b.effective.start}..{b.effective.end}); end the old version "
                        "the day before the new one starts"
                    )
                    raise RuleDefinitionError(msg)
        aliases = {alias for r in versions for alias in r.aliases}
        reused = aliases & (set(by_id) - {rule_id})
        if reused:
            msg = f"rule {rule_id}: aliases {sorted(reused)} are ids of other rules"
            raise RuleDefinitionError(msg)


def guard_time(rule: Rule) -> Rule:
    """Return the rule capped by what its SQL reads; refuse it if it breaks the law.

    A query that measures execution time, reads reference minutes or device logs
    (``giamdinh.rules.sqlscan.time_evidence``) makes the rule time evidence,
    whatever its ``evidence`` label: it may only be ``info`` or ``review``, and
    its ``max_severity`` becomes ``review`` so no override can raise it. A query
    computing an interval between orders or dates must say in
    ``time_condition`` why that is a payment condition.

    Raises:
        RuleDefinitionError: the rule refuses or adjusts on time, or computes an
            interval without saying why.
    """
    try:
        found = time_evidence(rule.sql)
    except sqlglot.errors.ParseError as exc:
        raise RuleDefinitionError(
            f"rule {rule.key}: SQL does not parse: {exc}"
        ) from exc
    grounds = sorted(k.value for k in found if k.is_time_ground)
    if grounds:
        if rule.severity.rank > Severity.REVIEW.rank:
            msg = (
                f"rule {rule.key}: its SQL reads {', '.join(grounds)}, so it may "
                f"only be 'info' or 'review', not {rule.severity.value!r}, whatever "
                f"its evidence label says. {TIME_POSITION}"
            )
            raise RuleDefinitionError(msg)
        cap = rule.max_severity
        if cap is None or cap.rank > Severity.REVIEW.rank:
            return dataclasses.replace(rule, max_severity=Severity.REVIEW)
        return rule
    if TimeEvidence.ORDER_INTERVAL in found and not rule.time_condition.strip():
        msg = (
            f"rule {rule.key}: its SQL computes an interval between dates or orders; "
            "say in time_condition= why it is a payment condition and not "
            "execution time (which may never refuse)"
        )
        raise RuleDefinitionError(msg)
    return rule


ENGINE_DIR = RULES_DIR.parent / "engine"
DECIDING_ENGINE_FILES = ("sql.py", "derived.py", "views.py", "run.py")
"""Engine modules whose text decides findings and money: the SQL wrapper and
decision queries, the derived views, the logical views, the run itself."""
DECIDING_DISTRIBUTIONS = ("giamdinh", "duckdb", "sqlglot")
"""Packages whose version changes what the SQL computes or how it is translated."""


def version_inputs() -> list[Path]:
    """Return every file whose text decides findings.

    That is the whole rule package (rule files, ``shared.py``, the model, the
    edit tables) and the deciding engine modules (``DECIDING_ENGINE_FILES``).
    """
    files = sorted(RULES_DIR.glob("*.py")) + sorted(TABLES_DIR.glob("*.csv"))
    files += [CITATIONS_FILE]
    files += [ENGINE_DIR / name for name in DECIDING_ENGINE_FILES]
    return [f for f in files if f.is_file()]


def _distribution_versions() -> list[str]:
    out: list[str] = []
    for name in DECIDING_DISTRIBUTIONS:
        try:
            out.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name}==?")
    return out


def rule_set_version(paths: Iterable[Path], *, extra: Iterable[str] = ()) -> str:
    """Return ``rs-`` + the first 12 hex digits of the SHA-256 of the files.

    Args:
        paths: the files (``version_inputs``), hashed by name and content.
        extra: more text that decides (package versions).
    """
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.parent.name.encode() + b"/" + path.name.encode())
        digest.update(path.read_bytes())
    for text in extra:
        digest.update(text.encode())
    return f"rs-{digest.hexdigest()[:12]}"


def load_rule_set() -> RuleSet:
    """Import every rule module and edit table, check them, and return the set.

    Raises:
        RuleDefinitionError: a rule or table breaks an invariant.
    """
    rules = tuple(guard_time(r) for name in rule_modules() for r in _rules_of(name))
    check_rule_set(rules)
    tables = load_tables()
    ordered = tuple(sorted(rules, key=lambda r: (r.id, r.version)))
    version = rule_set_version(version_inputs(), extra=_distribution_versions())
    return RuleSet(rules=ordered, tables=tables, version=version)
