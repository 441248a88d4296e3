"""The legal texts the rules cite: their dates, and how far each was verified.

``citations.csv`` holds one row per citation (document, article, clause): the day
the document was signed, the first day the cited provision applies
(``in_force``: a text may take effect after it is signed, and one article later
than the rest), whether its number, dates and wording were checked against a
public copy, and the source consulted:

* ``yes``: the provision's wording, number and date were read in a public copy of
  the text itself;
* ``partly``: number and dates confirmed, but the wording only through a secondary
  copy (a legal database, a research note, the insurer's news) or not at all;
* ``no``: not found; such a citation can support a ``review`` or ``info`` rule
  only.

A rule cites a row with ``cite(key)``. At load, ``giamdinh.rules.registry``
checks every basis of every rule against these rows (``check_bases``), and
``docs/rules/citations.md`` is generated from them (``citations_page``), so the
verification status lives with the data the rules use.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from giamdinh.domain import Basis, Severity
from giamdinh.errors import RuleDefinitionError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from giamdinh.rules.model import Rule

CITATIONS_FILE = Path(__file__).with_name("citations.csv")
COLUMNS = (
    "key",
    "document",
    "article",
    "clause",
    "signed",
    "in_force",
    "verified",
    "source",
    "note",
)
NUMBER_RE = re.compile(r"\d+/\S")
"""A document number: digits and a slash (``12/2026/TT-BTC``, ``2348/BYT-KH-TC``)."""
MONEY_SEVERITIES = frozenset({Severity.REFUSE, Severity.ADJUST})
PAGE = "citations.md"


class Verified(StrEnum):
    """How far a citation was checked against a public copy of the text."""

    YES = "yes"
    PARTLY = "partly"
    NO = "no"


@dataclass(frozen=True, slots=True, kw_only=True)
class Citation:
    """One row of ``citations.csv``: a provision of a text and its verification."""

    key: str
    document: str
    article: str
    clause: str
    signed: date | None
    in_force: date | None
    verified: Verified
    source: str
    note: str

    @property
    def basis(self) -> Basis:
        """Return the citation as a rule's basis."""
        return Basis(
            document=self.document,
            article=self.article,
            clause=self.clause,
            date=self.signed,
            in_force=self.in_force,
        )

    @property
    def match(self) -> tuple[str, str, str]:
        """Return what identifies the citation in a basis: document, article, clause."""
        return (self.document, self.article, self.clause)

    def lacks_for_refusal(self) -> list[str]:
        """Return what this citation lacks to ground a refusal on its own (or ``[]``).

        Decree 188/2025 Art. 51.2: a refusal states a specific basis, so the text
        needs a number, an article or clause, the date it was signed, the day it
        applies from, and a verification better than ``no``.
        """
        lacks = []
        if not NUMBER_RE.search(self.document):
            lacks.append("a document number")
        if not (self.article or self.clause):
            lacks.append("an article or clause")
        if self.signed is None:
            lacks.append("the date it was signed")
        if self.in_force is None:
            lacks.append("the day it applies from")
        if self.verified is Verified.NO:
            lacks.append("a verification (verified = no)")
        return lacks


def _date(text: str, *, where: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise RuleDefinitionError(
            f"{where}: {text!r} is not a date (yyyy-mm-dd)"
        ) from exc


def _row(row: Mapping[str, str], *, where: str) -> Citation:
    for column in ("key", "document", "verified", "source"):
        if not (row.get(column) or "").strip():
            raise RuleDefinitionError(f"{where}: column {column} is empty")
    try:
        verified = Verified(row["verified"].strip())
    except ValueError as exc:
        allowed = ", ".join(v.value for v in Verified)
        msg = f"{where}: verified {row['verified']!r} is not one of {allowed}"
        raise RuleDefinitionError(msg) from exc
    citation = Citation(
        key=row["key"].strip(),
        document=row["document"].strip(),
        article=(row.get("article") or "").strip(),
        clause=(row.get("clause") or "").strip(),
        signed=_date(row.get("signed") or "", where=f"{where}, signed"),
        in_force=_date(row.get("in_force") or "", where=f"{where}, in_force"),
        verified=verified,
        source=row["source"].strip(),
        note=(row.get("note") or "").strip(),
    )
    if citation.signed and citation.in_force and citation.in_force < citation.signed:
        msg = (
            f"{where}: in_force {citation.in_force} is before signed {citation.signed}"
        )
        raise RuleDefinitionError(msg)
    return citation


def load_citations(path: Path = CITATIONS_FILE) -> dict[str, Citation]:
    """Read and check ``citations.csv``; return the citations by key, in file order.

    Raises:
        RuleDefinitionError: a column is missing, a cell is invalid, or a key or a
            (document, article, clause) appears twice.
    """
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            msg = f"{path.name}: the header must be {','.join(COLUMNS)}"
            raise RuleDefinitionError(msg)
        rows = [_row(row, where=f"{path.name}:{n}") for n, row in enumerate(reader, 2)]
    found: dict[str, Citation] = {}
    seen: dict[tuple[str, str, str], str] = {}
    for citation in rows:
        if citation.key in found:
            raise RuleDefinitionError(f"{path.name}: key {citation.key!r} twice")
        other = seen.setdefault(citation.match, citation.key)
        if other != citation.key:
            msg = f"{path.name}: {citation.key!r} cites the same as {other!r}"
            raise RuleDefinitionError(msg)
        found[citation.key] = citation
    return found


@cache
def citations() -> dict[str, Citation]:
    """Return the shipped citations (read once per process)."""
    return load_citations()


def cite(key: str) -> Basis:
    """Return the basis of the citation ``key`` of ``citations.csv``.

    Raises:
        RuleDefinitionError: no citation has that key.
    """
    found = citations().get(key)
    if found is None:
        raise RuleDefinitionError(f"no citation {key!r} in {CITATIONS_FILE.name}")
    return found.basis


def find(basis: Basis, known: Mapping[str, Citation]) -> Citation | None:
    """Return the citation a basis names (same document, article and clause)."""
    wanted = (basis.document, basis.article, basis.clause)
    return next((c for c in known.values() if c.match == wanted), None)


def _fail(rule: Rule, problem: str) -> RuleDefinitionError:
    return RuleDefinitionError(f"rule {rule.id} v{rule.version}: {problem}")


def _resolve(rule: Rule, known: Mapping[str, Citation]) -> list[Citation]:
    resolved = []
    for basis in rule.basis:
        citation = find(basis, known)
        if citation is None:
            msg = (
                f"basis {basis.cite()!r} is not in {CITATIONS_FILE.name}: add a row "
                "with its dates, verification and source, and cite it with cite(key)"
            )
            raise _fail(rule, msg)
        if basis.date is not None and basis.date != citation.signed:
            msg = (
                f"basis {basis.cite()!r} gives the date {basis.date}, but "
                f"{citation.key!r} was signed {citation.signed}"
            )
            raise _fail(rule, msg)
        if basis.in_force is not None and basis.in_force != citation.in_force:
            msg = (
                f"basis {basis.cite()!r} says in force from {basis.in_force}, but "
                f"{citation.key!r} is in force from {citation.in_force}"
            )
            raise _fail(rule, msg)
        resolved.append(citation)
    return resolved


def _check_refusal_basis(rule: Rule, cited: list[Citation]) -> None:
    for citation in cited:
        if not NUMBER_RE.search(citation.document):
            msg = (
                f"{citation.document!r} is not a basis for a {rule.severity.value!r} "
                "rule: it names no document number (Decree 188/2025 Art. 51.2 asks "
                "for a specific basis); cite the decision itself or drop it"
            )
            raise _fail(rule, msg)
        if citation.in_force is None:
            msg = (
                f"basis {citation.key!r} has no in_force date, so the rule's start "
                f"cannot be checked against it; a {rule.severity.value!r} rule needs it"
            )
            raise _fail(rule, msg)
    if not any(not c.lacks_for_refusal() for c in cited):
        lacks = "; ".join(
            f"{c.key} lacks {', '.join(c.lacks_for_refusal())}" for c in cited
        )
        msg = (
            f"a {rule.severity.value!r} rule needs at least one complete basis "
            "(document number, article or clause, date signed and in force, "
            f"verified yes or partly; Decree 188/2025 Art. 51.2): {lacks or 'none'}"
        )
        raise _fail(rule, msg)


def check_bases(
    rules: Iterable[Rule],
    known: Mapping[str, Citation] | None = None,
    *,
    waived: Mapping[str, str] | None = None,
) -> None:
    """Check every rule's bases against the citations.

    Every basis must be a row of ``citations.csv`` (same dates where it gives
    them); no version may start before a basis it cites applies; a ``refuse`` or
    ``adjust`` rule may cite only numbered texts with a known ``in_force`` and
    needs at least one complete, verified basis. Rules named in ``waived`` skip
    this last, refusal-specific part (see ``registry.BASIS_WAIVERS``).

    Raises:
        RuleDefinitionError: naming the rule, the basis and what is wrong.
    """
    known = citations() if known is None else known
    waived = waived or {}
    for rule in rules:
        cited = _resolve(rule, known)
        for citation in cited:
            if (
                citation.in_force is not None
                and rule.effective.start < citation.in_force
            ):
                msg = (
                    f"starts {rule.effective.start} but its basis {citation.key!r} "
                    f"({citation.basis.cite()}) applies only from {citation.in_force}: "
                    "start the version then, or cite the text that governed the "
                    "earlier days in a version of their own"
                )
                raise _fail(rule, msg)
        if rule.severity in MONEY_SEVERITIES and rule.id not in waived:
            _check_refusal_basis(rule, cited)


def uses(rules: Iterable[Rule], known: Mapping[str, Citation]) -> dict[str, list[str]]:
    """Return, per citation key, the rule versions citing it (``CT001 v1``…)."""
    used: dict[str, list[str]] = {key: [] for key in known}
    for rule in sorted(rules, key=lambda r: (r.id, r.version)):
        for basis in rule.basis:
            citation = find(basis, known)
            if citation is not None:
                used[citation.key].append(f"{rule.id} v{rule.version}")
    return used


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _grouped(versions: list[str]) -> str:
    by_id: dict[str, list[str]] = {}
    for item in versions:
        rule_id, version = item.split(" ")
        by_id.setdefault(rule_id, []).append(version)
    return ", ".join(
        f"[{rule_id}]({rule_id}.md) {'/'.join(vs)}" for rule_id, vs in by_id.items()
    )


def citations_page(rules: Iterable[Rule], known: Mapping[str, Citation]) -> str:
    """Return ``docs/rules/citations.md``: every citation, its users and its check."""
    used = uses(rules, known)
    counts = {v: sum(1 for c in known.values() if c.verified is v) for v in Verified}
    lines = [
        "<!-- Generated from src/giamdinh/rules/citations.csv; do not edit. -->",
        "",
        "# Citations",
        "",
        "Every text the rules cite, with the day it was signed, the first day the",
        "cited provision applies, the rule versions citing it, and how far it was",
        "verified: **yes** (wording, number and date read in a public copy of the",
        "text), **partly** (number and dates confirmed; wording only through a",
        "secondary copy, or not read), **no** (not found; review and info rules",
        "only). At load a rule version may not start before a basis it cites",
        "applies, and a refuse or adjust rule needs at least one complete basis",
        "(document number, article, dates) verified yes or partly.",
        "",
        f"{len(known)} citations: {counts[Verified.YES]} verified, "
        f"{counts[Verified.PARTLY]} partly, {counts[Verified.NO]} not.",
        "",
        "| key | citation | signed | in force | verified | rules | source | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for citation in known.values():
        where = ", ".join(p for p in (citation.article, citation.clause) if p)
        text = f"{citation.document}, {where}" if where else citation.document
        lines.append(
            f"| `{citation.key}` | {_cell(text)} | "
            f"{citation.signed.isoformat() if citation.signed else '—'} | "
            f"{citation.in_force.isoformat() if citation.in_force else '—'} | "
            f"{citation.verified.value} | {_grouped(used[citation.key]) or '—'} | "
            f"{_cell(citation.source)} | {_cell(citation.note) or '—'} |"
        )
    return "\n".join(lines) + "\n"


def write_citations_page(
    out_dir: Path, rules: Iterable[Rule], *, write: bool = True
) -> list[Path]:
    """Write ``citations.md`` into ``out_dir`` when it changed.

    Returns:
        With ``write``, the page if it was written; else the page if it is stale.
    """
    path = out_dir / PAGE
    text = citations_page(rules, citations())
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return []
    if write:
        path.write_text(text, encoding="utf-8")
    return [path]
