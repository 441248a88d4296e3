"""Plain types shared by every layer: severities, legal bases, periods, findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from decimal import Decimal


class Severity(StrEnum):
    """What a finding does to the line it is about.

    Ordered from the strongest (``refuse``) to the weakest (``info``); ``rank``
    gives the order so that "the worst severity of a line" is a ``max``.
    """

    REFUSE = "refuse"
    ADJUST = "adjust"
    REVIEW = "review"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Return 4 for ``refuse`` down to 1 for ``info``."""
        return _SEVERITY_RANK[self]

    @property
    def description(self) -> str:
        """Return what the severity means, in English."""
        return _SEVERITY_DESCRIPTION[self]


_SEVERITY_RANK = {
    Severity.REFUSE: 4,
    Severity.ADJUST: 3,
    Severity.REVIEW: 2,
    Severity.INFO: 1,
}
_SEVERITY_DESCRIPTION = {
    Severity.REFUSE: "line not paid (từ chối thanh toán)",
    Severity.ADJUST: "paid at another price or quantity (điều chỉnh)",
    Severity.REVIEW: "joint verification with the facility needed (giám định chung)",
    Severity.INFO: "for information; no effect on payment (thông tin)",
}


class Grain(StrEnum):
    """What one finding is about: a whole claim (``MA_LK``) or one line of it."""

    CLAIM = "claim"
    LINE = "line"


@dataclass(frozen=True, slots=True, kw_only=True)
class Basis:
    """A legal basis: the document, the article (and clause) and the date it was issued.

    Decree 188/2025 Art. 51.2 requires every refusal to state its reason and basis.
    ``in_force`` is the first day the cited provision applies (a text may be signed
    before it takes effect, and an article may apply later than its text); a rule
    version may not start before it (``giamdinh.rules.registry``).
    """

    document: str
    article: str = ""
    clause: str = ""
    # NOTE: before ``date``, whose name would hide the type in this class body.
    in_force: date | None = None
    date: date | None = None

    def cite(self) -> str:
        """Return the citation as one line, e.g. ``CV 266/BHXH-CSYT, Art. 2 (2025)``."""
        parts = [self.document]
        where = ", ".join(p for p in (self.article, self.clause) if p)
        if where:
            parts.append(where)
        text = ", ".join(parts)
        if self.date is not None:
            text += f" ({self.date.isoformat()})"
        return text


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    """A validity period with an inclusive first and last day; ``end=None`` is open.

    Vietnamese catalogues write ``TU_NGAY``/``DEN_NGAY`` with both days included, so
    a change is declared as the old row ending the day before the new row starts.
    """

    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            msg = f"period ends ({self.end}) before it starts ({self.start})"
            raise ValueError(msg)

    def contains(self, day: date) -> bool:
        """Return whether ``day`` falls inside the period (both ends included)."""
        return self.start <= day and (self.end is None or day <= self.end)

    def overlaps(self, other: Period) -> bool:
        """Return whether the two periods share at least one day."""
        self_end = self.end or date.max
        other_end = other.end or date.max
        return self.start <= other_end and other.start <= self_end


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    """Where a problem is: file, claim (``MA_LK``), table, line (``STT``) and field.

    Every part is optional because a problem can sit at any depth (a file that is not
    XML has no claim; a missing table has no line).
    """

    file: str | None = None
    ma_lk: str | None = None
    table: str | None = None
    stt: int | None = None
    field: str | None = None
    path: str | None = None

    def describe(self) -> str:
        """Return a human-readable 'file › MA_LK › table › STT › field' string."""
        parts: list[str] = []
        if self.file is not None:
            parts.append(self.file)
        if self.ma_lk is not None:
            parts.append(f"MA_LK={self.ma_lk}")
        if self.table is not None:
            parts.append(self.table)
        if self.stt is not None:
            parts.append(f"STT={self.stt}")
        if self.field is not None:
            parts.append(self.field)
        if self.path is not None and not parts:
            parts.append(self.path)
        return " › ".join(parts) if parts else "(no location)"


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One problem found in claim data: by reception, by a rule or by a signal.

    Data problems are never exceptions: they are findings in one stream, told apart by
    the prefix of their ``code`` (``IN`` ingest, ``RC`` reception, rule ids, ``SG``
    signals).
    """

    code: str
    severity: Severity
    message: str
    location: Location = field(default_factory=Location)
    rule_version: int | None = None
    message_en: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    basis: tuple[Basis, ...] = ()
    amount: Decimal | None = None
    refusal_code: str | None = None
    ma_cskcb: str | None = None
    item_code: str | None = None
    """The line's ``MA_DICH_VU`` / ``MA_THUOC`` / ``MA_VAT_TU`` (rule findings)."""
