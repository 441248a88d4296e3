"""A province's feed: append-only, canonically serialised, signed, hash-chained.

An entry is ``{province, seq, prev_hash, recorded_at, kind, fact}``. Its canonical
form is the JSON Canonicalization Scheme (RFC 8785) of that object; ``hash`` is the
SHA-256 of the canonical bytes (hex) and ``signature`` the Ed25519 signature of the
same bytes (base64) with the province's key. ``seq`` starts at 1 and grows by one;
the first ``prev_hash`` is 64 zeros, every later one the previous entry's hash.

Applying a peer's entries (:func:`apply_entries`) checks, entry by entry: that the
entry is the peer's, its hash, its signature under the peer's configured key, that
``seq`` follows (a *gap* otherwise) and that ``prev_hash`` is the hash held for the
entry before (a *fork* otherwise; so is a seq already held with another hash). The
first failure stops the feed with a :class:`FeedError` naming peer, seq and reason;
everything before it stays applied. An entry seen before with the same hash is
skipped (replaying a feed changes nothing).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy import func, insert, select

from giamdinh.db.models.registry import RegistryFeedEntry
from giamdinh.exchange.registry import (
    FactError,
    apply_fact,
    kind_of,
    parse_fact,
    record_refused,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from pathlib import Path

    from sqlalchemy.orm import Session

    from giamdinh.exchange.registry import Fact

GENESIS = "0" * 64
BODY_FIELDS = ("province", "seq", "prev_hash", "recorded_at", "kind", "fact")


class Outcome(StrEnum):
    """What became of an entry at this instance."""

    APPLIED = "applied"
    REFUSED = "refused"


class FeedFailure(StrEnum):
    """Why a feed was stopped."""

    MALFORMED = "malformed"
    WRONG_PROVINCE = "wrong_province"
    TAMPERED = "tampered"
    BAD_SIGNATURE = "bad_signature"
    GAP = "gap"
    FORK = "fork"


_FAILURE_VI = {
    FeedFailure.MALFORMED: "mục không đúng cấu trúc",
    FeedFailure.WRONG_PROVINCE: "mục của tỉnh khác",
    FeedFailure.TAMPERED: "nội dung bị sửa (hash không khớp)",
    FeedFailure.BAD_SIGNATURE: "chữ ký không hợp lệ với khóa công khai đã cấu hình",
    FeedFailure.GAP: "thiếu mục (đứt số thứ tự)",
    FeedFailure.FORK: "rẽ nhánh (khác với chuỗi đã nhận)",
}
_FAILURE_EN = {
    FeedFailure.MALFORMED: "malformed entry",
    FeedFailure.WRONG_PROVINCE: "entry of another province",
    FeedFailure.TAMPERED: "content altered (hash does not match)",
    FeedFailure.BAD_SIGNATURE: "signature does not verify with the configured key",
    FeedFailure.GAP: "gap in the sequence",
    FeedFailure.FORK: "fork (differs from the chain already received)",
}


class FeedError(Exception):
    """A peer's feed was stopped at an entry; what came before stays applied."""

    def __init__(
        self, *, province: str, seq: int, failure: FeedFailure, detail: str
    ) -> None:
        self.province = province
        self.seq = seq
        self.failure = failure
        self.detail = detail
        self.message = (
            f"nguồn tin tỉnh {province} dừng ở mục {seq}: {_FAILURE_VI[failure]} "
            f"({detail})"
        )
        self.message_en = (
            f"feed of province {province} stopped at seq {seq}: {failure.value}: "
            f"{_FAILURE_EN[failure]} ({detail})"
        )
        super().__init__(f"{self.message} / {self.message_en}")


# ------------------------------------------------------------------- keys


def generate_key(path: Path) -> str:
    """Write a new Ed25519 private key (PEM, mode 0600); return the public key.

    Raises:
        FileExistsError: the file exists (a key is never overwritten).
    """
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return public_key_text(key.public_key())


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read a private key file, refusing one readable by others.

    Raises:
        PermissionError: the file is readable or writable by group or others.
        ValueError: the file is not an Ed25519 private key.
    """
    mode = path.stat().st_mode & 0o077
    if mode:
        msg = f"{path}: a private key must be mode 0600 (chmod 600 {path.name})"
        raise PermissionError(msg)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        msg = f"{path}: not an Ed25519 private key"
        raise ValueError(msg)  # noqa: TRY004 - a bad file, not a bad argument type
    return key


def public_key_text(key: Ed25519PublicKey) -> str:
    """Return the raw 32-byte public key in base64 (how peers are configured)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def parse_public_key(text: str) -> Ed25519PublicKey:
    """Return the public key of its base64 text.

    Raises:
        ValueError: not 32 bytes of base64.
    """
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        msg = f"public key is not base64: {text!r}"
        raise ValueError(msg) from None
    if len(raw) != 32:  # noqa: PLR2004 - Ed25519 public keys are 32 bytes
        msg = f"public key must be 32 bytes, got {len(raw)}"
        raise ValueError(msg)
    return Ed25519PublicKey.from_public_bytes(raw)


# ---------------------------------------------------------------- entries


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One feed entry as it travels (the signed body plus hash and signature)."""

    province: str
    seq: int
    prev_hash: str
    recorded_at: str
    kind: str
    fact: dict[str, Any]
    hash: str
    signature: str

    def body(self) -> dict[str, Any]:
        """Return the signed part."""
        return {
            "province": self.province,
            "seq": self.seq,
            "prev_hash": self.prev_hash,
            "recorded_at": self.recorded_at,
            "kind": self.kind,
            "fact": self.fact,
        }

    def to_json(self) -> dict[str, Any]:
        """Return the entry as served on ``/feed``."""
        return {**self.body(), "hash": self.hash, "signature": self.signature}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Entry:
        """Return an entry of its JSON form.

        Raises:
            ValueError: a field is missing or of the wrong type.
        """
        if not isinstance(data, dict):
            msg = "entry is not an object"
            raise ValueError(msg)  # noqa: TRY004 - data, not an argument type
        seq: Any = data.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            msg = f"seq is not an integer: {seq!r}"
            raise ValueError(msg)  # noqa: TRY004 - data, not an argument type
        fact: Any = data.get("fact")
        if not isinstance(fact, dict):
            msg = "fact is not an object"
            raise ValueError(msg)  # noqa: TRY004 - data, not an argument type
        try:
            return cls(
                province=str(data["province"]),
                seq=seq,
                prev_hash=str(data["prev_hash"]),
                recorded_at=str(data["recorded_at"]),
                kind=str(data["kind"]),
                fact=fact,
                hash=str(data["hash"]),
                signature=str(data["signature"]),
            )
        except KeyError as error:
            msg = f"entry field missing: {error}"
            raise ValueError(msg) from None


def canonical(body: Mapping[str, Any]) -> bytes:
    """Return the RFC 8785 canonical bytes of an entry body."""
    return rfc8785.dumps(dict(body))


def sign_entry(
    key: Ed25519PrivateKey,
    *,
    province: str,
    seq: int,
    prev_hash: str,
    recorded_at: str,
    kind: str,
    fact: dict[str, Any],
) -> Entry:
    """Return a signed entry."""
    body = {
        "province": province,
        "seq": seq,
        "prev_hash": prev_hash,
        "recorded_at": recorded_at,
        "kind": kind,
        "fact": fact,
    }
    data = canonical(body)
    return Entry(
        province=province,
        seq=seq,
        prev_hash=prev_hash,
        recorded_at=recorded_at,
        kind=kind,
        fact=fact,
        hash=hashlib.sha256(data).hexdigest(),
        signature=base64.b64encode(key.sign(data)).decode("ascii"),
    )


def _row(entry: Entry, outcome: Outcome) -> dict[str, Any]:
    return {
        "province": entry.province,
        "seq": entry.seq,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
        "recorded_at": entry.recorded_at,
        "kind": entry.kind,
        "fact": json.dumps(entry.fact, ensure_ascii=False, sort_keys=True),
        "signature": entry.signature,
        "outcome": outcome.value,
    }


def _entry_of(row: RegistryFeedEntry) -> Entry:
    return Entry(
        province=row.province,
        seq=row.seq,
        prev_hash=row.prev_hash,
        recorded_at=row.recorded_at,
        kind=row.kind,
        fact=json.loads(row.fact),
        hash=row.hash,
        signature=row.signature,
    )


def head(session: Session, province: str) -> tuple[int, str]:
    """Return the last seq held for a province and its hash (``0``, genesis if none)."""
    row = session.execute(
        select(RegistryFeedEntry.seq, RegistryFeedEntry.hash)
        .where(RegistryFeedEntry.province == province)
        .order_by(RegistryFeedEntry.seq.desc())
        .limit(1)
    ).first()
    return (0, GENESIS) if row is None else (row[0], row[1])


def entries_after(
    session: Session, province: str, *, after: int, limit: int
) -> list[Entry]:
    """Return a province's entries with ``seq > after``, in order, at most ``limit``."""
    rows = session.scalars(
        select(RegistryFeedEntry)
        .where(RegistryFeedEntry.province == province, RegistryFeedEntry.seq > after)
        .order_by(RegistryFeedEntry.seq)
        .limit(limit)
    )
    return [_entry_of(r) for r in rows]


def count_entries(session: Session) -> dict[str, int]:
    """Return the number of entries held per province."""
    rows = session.execute(
        select(RegistryFeedEntry.province, func.count()).group_by(
            RegistryFeedEntry.province
        )
    ).all()
    return dict(rows)


def _source(entry: Entry) -> str:
    own = entry.fact.get("source")
    tail = f" {own}" if isinstance(own, str) and own else ""
    return f"{entry.province}#{entry.seq}{tail}"[:300]


def _apply_one(session: Session, entry: Entry, now: datetime) -> Outcome:
    try:
        fact = parse_fact(entry.kind, entry.fact)
        apply_fact(
            session, province=entry.province, fact=fact, source=_source(entry), now=now
        )
    except FactError as error:
        record_refused(
            session,
            province=entry.province,
            seq=entry.seq,
            kind=entry.kind,
            fact=entry.fact,
            error=error,
            now=now,
        )
        return Outcome.REFUSED
    return Outcome.APPLIED


def publish(
    session: Session,
    *,
    key: Ed25519PrivateKey,
    province: str,
    facts: Iterable[Fact],
    now: datetime | None = None,
) -> list[tuple[Entry, Outcome]]:
    """Append facts to this province's feed, signed, and apply them here.

    The caller commits: the entries and their effect are one transaction.
    A fact this province is not authoritative for is still published (its
    neighbours will refuse it too) but recorded as refused here.
    """
    moment = now or datetime.now(tz=UTC)
    seq, prev = head(session, province)
    out: list[tuple[Entry, Outcome]] = []
    for fact in facts:
        seq += 1
        entry = sign_entry(
            key,
            province=province,
            seq=seq,
            prev_hash=prev,
            recorded_at=moment.isoformat(),
            kind=kind_of(fact),
            fact=fact.to_json(),
        )
        outcome = _apply_one(session, entry, moment)
        session.execute(insert(RegistryFeedEntry), [_row(entry, outcome)])
        prev = entry.hash
        out.append((entry, outcome))
    return out


@dataclass(slots=True)
class ApplyResult:
    """What one call of :func:`apply_entries` did."""

    applied: int = 0
    refused: int = 0
    skipped: int = 0
    last_seq: int = 0
    error: FeedError | None = None
    refused_seqs: list[int] = field(default_factory=list)


def _fail(province: str, seq: int, failure: FeedFailure, detail: str) -> FeedError:
    return FeedError(province=province, seq=seq, failure=failure, detail=detail)


def verify_entry(entry: Entry, *, province: str, key: Ed25519PublicKey) -> None:
    """Check an entry on its own: its province, hash and signature.

    Raises:
        FeedError: wrong province, tampered content or bad signature.
    """
    if entry.province != province:
        raise _fail(
            province,
            entry.seq,
            FeedFailure.WRONG_PROVINCE,
            f"entry says province {entry.province!r}",
        )
    data = canonical(entry.body())
    if hashlib.sha256(data).hexdigest() != entry.hash:
        raise _fail(
            province,
            entry.seq,
            FeedFailure.TAMPERED,
            f"hash {entry.hash[:12]}… is not the hash of the content",
        )
    try:
        key.verify(base64.b64decode(entry.signature, validate=True), data)
    except (InvalidSignature, ValueError):
        raise _fail(
            province,
            entry.seq,
            FeedFailure.BAD_SIGNATURE,
            "wrong key or altered entry",
        ) from None


def apply_entries(
    session: Session,
    *,
    province: str,
    key: Ed25519PublicKey,
    entries: Sequence[Mapping[str, Any]],
    now: datetime | None = None,
) -> ApplyResult:
    """Verify and apply a peer's entries in order; stop at the first bad one.

    Args:
        session: an open session; the caller commits (what was applied before a
            failure is meant to be committed).
        province: the peer's province code.
        key: the peer's configured public key.
        entries: entries in their JSON form, in seq order.
        now: the recording time.

    Returns:
        Counts, the last seq held, and the error that stopped the feed (if any).
    """
    moment = now or datetime.now(tz=UTC)
    result = ApplyResult()
    last, last_hash = head(session, province)
    rows: list[dict[str, Any]] = []
    for raw in entries:
        try:
            entry = Entry.from_json(raw)
        except ValueError as error:
            seq = raw.get("seq") if isinstance(raw, dict) else None
            result.error = _fail(
                province,
                seq if isinstance(seq, int) else last + 1,
                FeedFailure.MALFORMED,
                str(error),
            )
            break
        try:
            verify_entry(entry, province=province, key=key)
        except FeedError as error:
            result.error = error
            break
        if entry.seq <= last:
            held = session.scalar(
                select(RegistryFeedEntry.hash).where(
                    RegistryFeedEntry.province == province,
                    RegistryFeedEntry.seq == entry.seq,
                )
            )
            if held == entry.hash:
                result.skipped += 1
                continue
            result.error = _fail(
                province,
                entry.seq,
                FeedFailure.FORK,
                f"seq {entry.seq} is held with hash {str(held)[:12]}…, "
                f"received {entry.hash[:12]}…",
            )
            break
        if entry.seq != last + 1:
            result.error = _fail(
                province,
                entry.seq,
                FeedFailure.GAP,
                f"expected seq {last + 1}, received {entry.seq}",
            )
            break
        if entry.prev_hash != last_hash:
            result.error = _fail(
                province,
                entry.seq,
                FeedFailure.FORK,
                f"prev_hash {entry.prev_hash[:12]}… is not the hash of seq {last} "
                f"({last_hash[:12]}…)",
            )
            break
        outcome = _apply_one(session, entry, moment)
        rows.append(_row(entry, outcome))
        if outcome is Outcome.APPLIED:
            result.applied += 1
        else:
            result.refused += 1
            result.refused_seqs.append(entry.seq)
        last, last_hash = entry.seq, entry.hash
    if rows:
        session.execute(insert(RegistryFeedEntry), rows)
    result.last_seq = last
    return result


__all__ = [
    "GENESIS",
    "ApplyResult",
    "Entry",
    "FeedError",
    "FeedFailure",
    "Outcome",
    "apply_entries",
    "canonical",
    "count_entries",
    "entries_after",
    "generate_key",
    "head",
    "load_private_key",
    "parse_public_key",
    "public_key_text",
    "publish",
    "sign_entry",
    "verify_entry",
]
