"""The rule model: one frozen dataclass per rule version, checked when it is built.

A rule is a query over the logical views (``docs/engine/views.md``) returning the
offending rows with their evidence. The engine adds the scope (batch, effective
period per service date, as-of date) and the bookkeeping (rule id, version,
severity, amount); the rule only says *what is wrong* and *why*.

The invariants that are law here (``DESIGN.md`` "The rules") are enforced when a
rule is constructed, so a bad rule file cannot even be imported:

1. a rule whose evidence is execution or machine time can only be ``info`` or
   ``review`` (Ministry of Health, letter to the Ministry of Finance of February
   2026: the time in the procedure guidance is a reference, never a ground for
   refusal); the registry also reads this from the rule's SQL
   (``giamdinh.rules.sqlscan``), whatever its label says;
2. a rule never runs above its ``max_severity``, so an override cannot raise it;
3. a ``refuse`` or ``adjust`` rule must cite at least one basis;
4. ids, names, grains and message placeholders are well formed.

Overlapping versions of one rule, and what each basis must be (a row of
``citations.csv`` in force when the version starts; for a refusal, a complete and
verified text), are rule-*set* invariants, checked when the set is loaded by
``giamdinh.rules.registry``.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from giamdinh.domain import Grain, Period, Severity
from giamdinh.errors import RuleDefinitionError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date
    from decimal import Decimal

    from giamdinh.domain import Basis

ID_RE = re.compile(r"^[A-Z]{2}\d{3}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
PARAM_RE = re.compile(r"^[a-z][a-z0-9_]*$")
LINE_TABLES = ("XML2", "XML3")
KEY_COLUMNS = ("ma_lk", "stt")

TIME_POSITION = (
    "Bộ Y tế (công văn gửi Bộ Tài chính, tháng 02/2026): thời gian thực hiện kỹ thuật "
    "trong hướng dẫn quy trình kỹ thuật (QĐ 2775/2776/QĐ-BYT) chỉ là thời gian tham "
    "khảo, không phải căn cứ từ chối thanh toán BHYT; thời gian ghi trên "
    "PACS/DICOM/nhật ký thiết bị là thời gian máy chạy, không phải toàn bộ quy trình. "
    "(Ministry of Health, letter of February 2026: execution time is a reference "
    "only, never a ground for refusal.)"
)


class Family(StrEnum):
    """Check family: TT 12/2026/TT-BTC Art. 10.1 letters, or a thematic letter."""

    CARD = "a"
    BENEFIT = "b"
    PAYMENT_SCOPE = "c"
    PRICE = "d"
    PAYMENT_RATE = "dd"
    FACILITY_SCOPE = "e"
    PRACTITIONER = "g"
    VISIT_INTERVAL = "h"
    REASONABLENESS = "i"
    CONSISTENCY = "k"
    QUANTITIES = "m"
    THEMATIC = "thematic"

    @property
    def description(self) -> str:
        """Return what the family checks, citing TT 12/2026/TT-BTC Art. 10.1."""
        return _FAMILY_DESCRIPTION[self]


_FAMILY_DESCRIPTION = {
    Family.CARD: "Art. 10.1.a: card validity",
    Family.BENEFIT: "Art. 10.1.b: benefit level",
    Family.PAYMENT_SCOPE: "Art. 10.1.c: payment scope per accepted catalogues",
    Family.PRICE: "Art. 10.1.d: payment amount (price)",
    Family.PAYMENT_RATE: "Art. 10.1.đ: payment rate and conditions",
    Family.FACILITY_SCOPE: "Art. 10.1.e: facility scope and operating hours",
    Family.PRACTITIONER: "Art. 10.1.g: practitioner scope and working time",
    Family.VISIT_INTERVAL: "Art. 10.1.h: interval between visits",
    Family.REASONABLENESS: "Art. 10.1.i: reasonableness per MoH guidance",
    Family.CONSISTENCY: "Art. 10.1.k: consistency of figures in the claim",
    Family.QUANTITIES: "Art. 10.1.m: quantities vs purchases",
    Family.THEMATIC: "thematic rules of BHXH letters (e.g. CV 266/2025)",
}


class Evidence(StrEnum):
    """What kind of evidence a rule rests on (time kinds cannot refuse or adjust)."""

    CLAIM_DATA = "claim_data"
    CATALOGUE = "catalogue"
    EDIT_TABLE = "edit_table"
    EXECUTION_TIME = "execution_time"
    MACHINE_TIME = "machine_time"

    @property
    def is_time(self) -> bool:
        """Return whether this evidence is a duration (execution or machine time)."""
        return self in {Evidence.EXECUTION_TIME, Evidence.MACHINE_TIME}


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One version of one rule.

    Attributes:
        id: stable id, 2 letters (bundle) + 3 digits; never reused.
        name: dotted snake case, e.g. ``catalogue.price_above_approved``.
        version: 1, 2, … ; a new version gets a new ``effective`` period.
        title: short title in Vietnamese.
        title_en: short title in English.
        message: Vietnamese message template; ``{column}`` placeholders name
            output columns of ``sql``.
        message_en: English message template, same placeholders.
        family: TT 12/2026/TT-BTC Art. 10.1 letter, or thematic.
        severity: refuse, adjust, review or info.
        basis: legal bases; required for refuse and adjust.
        effective: service dates on which this version applies (both inclusive).
        grain: ``line`` (one finding per line) or ``claim``.
        table: for line rules, the table of the line (``XML2`` or ``XML3``).
        sql: DuckDB SQL over logical views returning ``ma_lk`` (and ``stt`` for
            line rules) plus evidence columns.
        amount: SQL expression over the output columns giving the fund money
            at stake for ``adjust`` (the difference to what is payable); when
            empty, the engine uses the line's ``T_BHTT``.
        params: named parameters, available to ``sql`` as columns of a one-row
            ``params`` relation.
        evidence: kinds of evidence the rule rests on.
        refusal_code: the insurer's refusal-reason code (e.g. ``S.005.434``).
        topic: the thematic topic code (e.g. CV 266 ``KT183``).
        published: the day this version entered the rule set (for "as of"
            replays); defaults to the start of ``effective``.
        aliases: former ids of this rule.
        doc: the rule's documentation (its module docstring).
        max_severity: the highest severity this rule may ever run at, whatever
            an override says (e.g. ``review`` for a rule whose ground the texts
            do not make explicit). Rules whose SQL reads execution or machine
            time are capped at ``review`` by the registry.
        time_condition: for a rule whose SQL computes an interval between
            orders or dates (hours between two orders, days of stay, age), why
            that interval is a payment condition and not execution time. The
            registry refuses such a rule without it.
    """

    id: str
    name: str
    version: int
    title: str
    title_en: str
    message: str
    message_en: str
    family: Family
    severity: Severity
    effective: Period
    sql: str
    basis: tuple[Basis, ...] = ()
    grain: Grain = Grain.LINE
    table: str | None = "XML3"
    amount: str = ""
    params: Mapping[str, int | str | Decimal | date] = field(default_factory=dict)
    evidence: frozenset[Evidence] = frozenset({Evidence.CLAIM_DATA})
    refusal_code: str | None = None
    topic: str | None = None
    published: date | None = None
    aliases: tuple[str, ...] = ()
    doc: str | None = ""
    max_severity: Severity | None = None
    time_condition: str = ""

    def __post_init__(self) -> None:
        self._check_identity()
        self._check_severity()
        self._check_shape()

    @property
    def key(self) -> str:
        """Return ``ID@version``, the identity of this rule version."""
        return f"{self.id}@{self.version}"

    @property
    def published_on(self) -> date:
        """Return the day this version entered the rule set."""
        return self.published or self.effective.start

    @property
    def placeholders(self) -> frozenset[str]:
        """Return the column names used by the message templates."""
        names: set[str] = set()
        for template in (self.message, self.message_en):
            for _, name, _, _ in string.Formatter().parse(template):
                if name:
                    names.add(name)
        return frozenset(names)

    @property
    def doc_title(self) -> str:
        """Return the first line of the documentation."""
        return (self.doc or "").strip().splitlines()[0] if self.doc else self.title_en

    def _fail(self, problem: str) -> RuleDefinitionError:
        return RuleDefinitionError(f"rule {self.id} v{self.version}: {problem}")

    def _check_identity(self) -> None:
        if not ID_RE.match(self.id):
            msg = f"id {self.id!r} must be 2 capital letters and 3 digits (CT001)"
            raise self._fail(msg)
        if not NAME_RE.match(self.name):
            msg = f"name {self.name!r} must be dotted snake case (family.what)"
            raise self._fail(msg)
        if self.version < 1:
            raise self._fail("version must be 1 or more")
        if not (self.doc or "").strip():
            raise self._fail("the module docstring (its documentation) is empty")
        for name in self.params:
            if not PARAM_RE.match(name):
                raise self._fail(f"parameter {name!r} must be snake case")

    def _check_severity(self) -> None:
        money = self.severity in {Severity.REFUSE, Severity.ADJUST}
        time_kinds = sorted(e.value for e in self.evidence if e.is_time)
        if money and time_kinds:
            msg = (
                f"its evidence is {', '.join(time_kinds)}, so it may only be 'info' "
                f"or 'review', not {self.severity.value!r}. {TIME_POSITION}"
            )
            raise self._fail(msg)
        if money and not self.basis:
            msg = (
                f"a {self.severity.value!r} rule must cite its legal basis "
                "(document, article, date; Decree 188/2025 Art. 51.2): add basis=(...)"
            )
            raise self._fail(msg)
        if (
            self.max_severity is not None
            and self.severity.rank > self.max_severity.rank
        ):
            msg = (
                f"it may run at most at {self.max_severity.value!r}, not "
                f"{self.severity.value!r} (an override cannot raise it)"
            )
            raise self._fail(msg)
        if self.severity is Severity.ADJUST and not self.amount.strip():
            raise self._fail("an 'adjust' rule must give the amount expression")

    def _check_shape(self) -> None:
        if self.grain is Grain.LINE and self.table not in LINE_TABLES:
            msg = f"a line rule needs table= one of {LINE_TABLES}, not {self.table!r}"
            raise self._fail(msg)
        if self.grain is Grain.CLAIM and self.table is not None:
            raise self._fail("a claim rule has table=None")
        if not self.sql.strip():
            raise self._fail("sql is empty")
        if not self.message.strip() or not self.message_en.strip():
            raise self._fail("message and message_en are both required")
        reserved = {"rule_id", "rule_version", "severity", "amount", "evidence"}
        clash = reserved & self.placeholders
        if clash:
            raise self._fail(f"placeholders {sorted(clash)} are reserved by the engine")

    def output_keys(self) -> tuple[str, ...]:
        """Return the key columns the SQL must return for this grain."""
        return KEY_COLUMNS if self.grain is Grain.LINE else ("ma_lk",)
