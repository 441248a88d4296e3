"""The append-only, hash-chained log of every action on a case.

Each entry's ``hash`` is the SHA-256 of the previous entry's hash and the entry's
own canonical JSON (id, time, actor, role, action, case, before, after), so
changing, deleting or reordering any entry breaks every hash after it;
``verify`` recomputes the chain and names the first entry that does not hold.
The first entry chains to 64 zeros. ``prev_hash`` is unique in the table, so two
writers cannot both extend the same entry: the log cannot fork.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text

from giamdinh.db.models.review import ReviewAudit

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.orm import Session

GENESIS = "0" * 64
#: PostgreSQL advisory-lock key that serialises appends (SQLite serialises writes).
_LOCK_KEY = 0x6769616D  # "giam"


def canonical(value: Any) -> str:
    """Return ``value`` as canonical JSON: sorted keys, no spaces, text as is."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def entry_hash(prev_hash: str, entry: ReviewAudit) -> str:
    """Return the hash an entry must carry, given the hash before it."""
    body = canonical(
        {
            "id": entry.id,
            "at": entry.at.astimezone(UTC).isoformat(),
            "actor": entry.actor,
            "role": entry.role,
            "action": entry.action,
            "case": entry.case_code,
            "before": entry.before,
            "after": entry.after,
        }
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def append(
    session: Session,
    *,
    actor: str,
    role: str,
    action: str,
    case_code: str | None,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    at: datetime | None = None,
) -> ReviewAudit:
    """Append one entry to the log, in the caller's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("select pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    last = session.scalars(
        select(ReviewAudit).order_by(ReviewAudit.id.desc()).limit(1)
    ).first()
    entry = ReviewAudit(
        id=(last.id + 1) if last is not None else 1,
        at=at or datetime.now(tz=UTC),
        actor=actor,
        role=role,
        action=action,
        case_code=case_code,
        before=canonical(before or {}),
        after=canonical(after or {}),
        prev_hash=last.hash if last is not None else GENESIS,
        hash="",
    )
    entry.hash = entry_hash(entry.prev_hash, entry)
    session.add(entry)
    session.flush()
    return entry


def entries(session: Session, case_code: str | None = None) -> list[ReviewAudit]:
    """Return the log's entries (of one case, when given), oldest first."""
    query = select(ReviewAudit).order_by(ReviewAudit.id)
    if case_code is not None:
        query = query.where(ReviewAudit.case_code == case_code)
    return list(session.scalars(query))


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainReport:
    """What ``verify`` found: entries checked and the first broken one, if any."""

    entries: int
    broken_id: int | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        """Return whether every entry holds."""
        return self.broken_id is None


def verify(session: Session) -> ChainReport:
    """Recompute the chain in id order; report the first entry that breaks it."""
    prev = GENESIS
    expected_id = 1
    count = 0
    for entry in session.scalars(select(ReviewAudit).order_by(ReviewAudit.id)):
        count += 1
        if entry.id != expected_id:
            return ChainReport(
                entries=count,
                broken_id=entry.id,
                reason=f"entry {expected_id} is missing before entry {entry.id}",
            )
        if entry.prev_hash != prev:
            return ChainReport(
                entries=count,
                broken_id=entry.id,
                reason="its previous-hash does not match the entry before it",
            )
        if entry_hash(prev, entry) != entry.hash:
            return ChainReport(
                entries=count,
                broken_id=entry.id,
                reason="its content does not match its hash (it was changed)",
            )
        prev = entry.hash
        expected_id += 1
    return ChainReport(entries=count)


__all__ = [
    "GENESIS",
    "ChainReport",
    "append",
    "canonical",
    "entries",
    "entry_hash",
    "verify",
]
