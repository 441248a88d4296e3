"""Tables of the licence registry and its exchange between provinces (``registry_``).

A *practitioner* is a person (citizen identity number plus name). A *licence*
(``MACCHN``) belongs to the province that issued it; its *status periods* (active,
suspended, revoked, each with the decision) and its particulars are effective-dated.
A *registration* says where and when a person practises (facility, department,
days and hours) and belongs to the province of the facility.

Facts are never updated in place: a change sets ``replaced_at`` on the rows it
supersedes (system time) and adds new rows, each naming its ``source`` (an import
file and row, or a feed province and seq). Every change is also an entry of a
province's append-only, signed, hash-chained *feed* (``registry_feed_entry``); an
instance pulls its *peers'* feeds with a cursor and applies them. An entry about
a fact its province is not authoritative for is kept in ``registry_refused``,
not applied.
"""

from __future__ import annotations

# NOTE: SQLAlchemy evaluates the ``Mapped[...]`` annotations at run time.
from datetime import date, datetime  # noqa: TC003

from sqlalchemy import Boolean, Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from giamdinh.db.base import Base


class RegistryPractitioner(Base):
    """A person known to the registry: identity number and name, first seen."""

    __tablename__ = "registry_practitioner"
    __table_args__ = (UniqueConstraint("so_dinh_danh", "ho_ten"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    so_dinh_danh: Mapped[str] = mapped_column(String(12), index=True)
    ho_ten: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(300))


class RegistryLicence(Base):
    """A version of a licence's particulars (holder, title, scope, issue dates).

    Current rows have ``replaced_at`` null; at most one current row per licence.
    ``scope_appendix`` names the TT 32/2023/TT-BYT appendix listing the techniques
    of the title (``PL V``, ``PL XIV``, as in ``ref_scope_of_practice``), empty
    when the project does not hold the appendix of that title.
    """

    __tablename__ = "registry_licence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    macchn: Mapped[str] = mapped_column(String(64), index=True)
    so_dinh_danh: Mapped[str] = mapped_column(String(12), index=True)
    ho_ten: Mapped[str] = mapped_column(String(200))
    issuing_province: Mapped[str] = mapped_column(String(2))
    chuc_danh: Mapped[str] = mapped_column(String(200))
    pham_vi: Mapped[str] = mapped_column(Text, default="")
    scope_appendix: Mapped[str] = mapped_column(String(16), default="")
    ngay_cap: Mapped[date] = mapped_column(Date)
    ngay_het_han: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime]
    replaced_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(300))


class RegistryLicenceStatus(Base):
    """A period of a licence's status (``active``/``suspended``/``revoked``).

    ``valid_to`` null: open-ended. A new status over ``[from, to]`` replaces the
    current periods it overlaps and re-adds their parts outside it.
    """

    __tablename__ = "registry_licence_status"
    __table_args__ = (
        Index("ix_registry_licence_status_current", "macchn", "replaced_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    macchn: Mapped[str] = mapped_column(String(64), index=True)
    issuing_province: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    decision_no: Mapped[str] = mapped_column(String(100), default="")
    decision_date: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime]
    replaced_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(300))


class RegistryRegistration(Base):
    """A registration to practise at a facility: department, days, hours, period.

    Keyed by (facility, person, licence, department); a new fact for the same key
    replaces the current row. ``days`` are ISO weekdays (``"12345"`` Monday to
    Friday), hours ``HH:MM``.
    """

    __tablename__ = "registry_registration"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    province: Mapped[str] = mapped_column(String(2), index=True)
    ma_cskcb: Mapped[str] = mapped_column(String(16), index=True)
    ma_khoa: Mapped[str] = mapped_column(String(50), default="")
    so_dinh_danh: Mapped[str] = mapped_column(String(12), index=True)
    ho_ten: Mapped[str] = mapped_column(String(200))
    macchn: Mapped[str] = mapped_column(String(64), index=True)
    full_time: Mapped[bool] = mapped_column(Boolean, default=True)
    days: Mapped[str] = mapped_column(String(7))
    hour_from: Mapped[str] = mapped_column(String(5))
    hour_to: Mapped[str] = mapped_column(String(5))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime]
    replaced_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(300))


class RegistryFeedEntry(Base):
    """One signed entry of a province's feed (own or pulled), in seq order."""

    __tablename__ = "registry_feed_entry"
    __table_args__ = (UniqueConstraint("province", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    province: Mapped[str] = mapped_column(String(2))
    seq: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(32))
    fact: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(16))


class RegistryRefused(Base):
    """An entry not applied: its province is not authoritative for the fact."""

    __tablename__ = "registry_refused"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    province: Mapped[str] = mapped_column(String(2), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    fact: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    reason_en: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime]


class RegistryPeer(Base):
    """A neighbour province whose feed this instance pulls."""

    __tablename__ = "registry_peer"

    province: Mapped[str] = mapped_column(String(2), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    public_key: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[datetime]
    last_pull_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    stopped_at_seq: Mapped[int | None] = mapped_column(Integer)
