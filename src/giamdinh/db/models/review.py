"""Tables of joint verification (prefix ``review_``).

A *case* groups claim *lines* whose money is at stake (held under review by the
automated assessment, or named by an inspection lead); each line gets *decisions*
(payable / refused / adjusted, per round: a second round follows an appeal or a
reopening). The facility answers with *attachments* (stored by content hash in a
folder beside the database); joint verification is recorded as *meetings* with
minutes. Every action is an *audit* entry, hash-chained to the one before it.
A case carries a version number: an edit made on a stale copy is refused.
"""

from __future__ import annotations

# NOTE: SQLAlchemy evaluates the ``Mapped[...]`` annotations at run time.
from datetime import date, datetime  # noqa: TC003
from decimal import Decimal  # noqa: TC003

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from giamdinh.db.base import Base


class ReviewUser(Base):
    """An account: facility staff (of one facility), the insurer's, the Ministry's.

    ``password_hash`` is an argon2id hash (``None``: no web login, CLI only).
    """

    __tablename__ = "review_user"

    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    ma_cskcb: Mapped[str | None] = mapped_column(String(16), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    password_hash: Mapped[str | None] = mapped_column(String(200))
    last_login_at: Mapped[datetime | None]


class ApiToken(Base):
    """A token a system (a hospital's HIS) uses for the API, stored as its SHA-256."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(
        ForeignKey("review_user.username"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ReviewCase(Base):
    """One joint verification with one facility.

    ``key`` makes opening idempotent: the grouping it came from (``rule|facility|
    month``, ``claim|MA_LK`` or ``lead|id``). ``round`` is 1 until an appeal or a
    reopening starts the next round of decisions.
    """

    __tablename__ = "review_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    origin: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    ma_cskcb: Mapped[str] = mapped_column(String(16), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(24), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    assignee: Mapped[str | None] = mapped_column(ForeignKey("review_user.username"))
    received_on: Mapped[date] = mapped_column(Date)
    sent_on: Mapped[date | None] = mapped_column(Date)
    answered_on: Mapped[date | None] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    appealed_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    evidence: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    lines: Mapped[list[ReviewLine]] = relationship(
        back_populates="case", order_by="ReviewLine.id", cascade="all"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read by SQLAlchemy


class ReviewLine(Base):
    """A claim line of a case, with the automated decision it started from.

    ``line_key`` (``MA_LK|table|STT``) is unique across cases, so no money is in
    two cases. ``stake`` is what the case decides: the amount held under review,
    or for a lead the amount the automated assessment found payable.
    """

    __tablename__ = "review_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("review_case.id"), index=True)
    line_key: Mapped[str] = mapped_column(String(200), unique=True)
    ma_lk: Mapped[str] = mapped_column(String(100), index=True)
    tbl: Mapped[str] = mapped_column(String(8))
    stt: Mapped[int] = mapped_column(Integer)
    code: Mapped[str | None] = mapped_column(String(64))
    service_date: Mapped[date | None] = mapped_column(Date)
    claimed: Mapped[Decimal]
    stake_kind: Mapped[str] = mapped_column(String(16))
    stake: Mapped[Decimal]
    auto_payable: Mapped[Decimal]
    auto_refused: Mapped[Decimal]
    auto_adjusted: Mapped[Decimal]
    auto_under_review: Mapped[Decimal]
    findings: Mapped[str] = mapped_column(Text, default="[]")

    case: Mapped[ReviewCase] = relationship(back_populates="lines")


class ReviewDecision(Base):
    """A decision on one line in one round; the newest of a line counts."""

    __tablename__ = "review_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("review_case.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("review_line.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    payable: Mapped[Decimal]
    refused: Mapped[Decimal]
    adjusted: Mapped[Decimal]
    reason: Mapped[str] = mapped_column(Text)
    basis: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(ForeignKey("review_user.username"))
    decided_on: Mapped[date] = mapped_column(Date)
    decided_at: Mapped[datetime]


class ReviewAttachment(Base):
    """A file a party attached, stored once by its SHA-256 beside the database."""

    __tablename__ = "review_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("review_case.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    uploaded_by: Mapped[str] = mapped_column(ForeignKey("review_user.username"))
    uploaded_at: Mapped[datetime]


class ReviewMeeting(Base):
    """A joint-verification meeting with the facility, and its minutes."""

    __tablename__ = "review_meeting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("review_case.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    participants: Mapped[str] = mapped_column(Text)
    minutes: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(ForeignKey("review_user.username"))
    recorded_at: Mapped[datetime]


class ReviewAudit(Base):
    """One action, append-only: who, when, what, before and after, hash-chained.

    ``hash`` is the SHA-256 of ``prev_hash`` and the entry's canonical JSON;
    ``prev_hash`` is unique, so the log cannot fork even under concurrent writers.
    """

    __tablename__ = "review_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(24))
    case_code: Mapped[str | None] = mapped_column(String(32), index=True)
    before: Mapped[str] = mapped_column(Text)
    after: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
