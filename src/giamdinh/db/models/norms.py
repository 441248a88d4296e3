"""Tables of the economic-technical norms programme (prefix ``norm_``).

A *technique* is assigned to a *hospital* (one focal hospital per technique, others
participating); the assignment carries the workflow state, whose every change is an
append-only *event*. A hospital sends *drafts* (versions) made of *lines* (the bill of
resources) with *evidence*; reviewers leave *comments* per line. *Price books* hold
dated prices; *national norms* are the consolidated result, line by line, with their
statistics and overrides.
"""

from __future__ import annotations

# NOTE: SQLAlchemy evaluates the ``Mapped[...]`` annotations at run time.
from datetime import date, datetime  # noqa: TC003
from decimal import Decimal  # noqa: TC003

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from giamdinh.db.base import Base


class NormTechnique(Base):
    """A technique of Appendix 02 (TT 23/2024/TT-BYT) as the programme knows it.

    ``code`` is a technique id ``XX.YYYY`` (chapter.number) or a service code
    ``XX.YYYY.ZZZZ`` (``MA_DICH_VU``); the name is kept here so this module does not
    depend on the national catalogue.
    """

    __tablename__ = "norm_technique"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    chapter: Mapped[str] = mapped_column(String(8), index=True)
    chapter_name: Mapped[str | None] = mapped_column(String(200))
    service_unit: Mapped[str] = mapped_column(String(32), default="lần")
    group: Mapped[str | None] = mapped_column(String(32))


class NormHospital(Base):
    """A hospital taking part in the programme (focal or participating)."""

    __tablename__ = "norm_hospital"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))


class NormAssignment(Base):
    """One technique assigned to one hospital, with its workflow state and deadline."""

    __tablename__ = "norm_assignment"
    __table_args__ = (UniqueConstraint("technique_code", "hospital_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    technique_code: Mapped[str] = mapped_column(
        ForeignKey("norm_technique.code"), index=True
    )
    hospital_code: Mapped[str] = mapped_column(
        ForeignKey("norm_hospital.code"), index=True
    )
    is_focal: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(24), default="assigned")
    not_qualified_reason: Mapped[str | None] = mapped_column(String(40))
    deadline: Mapped[date | None] = mapped_column(Date)
    assigned_on: Mapped[date] = mapped_column(Date)

    technique: Mapped[NormTechnique] = relationship()
    hospital: Mapped[NormHospital] = relationship()


class NormEvent(Base):
    """An append-only record of one workflow transition: who, when, from, to, why."""

    __tablename__ = "norm_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("norm_assignment.id"), index=True
    )
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(Text)


class NormDraft(Base):
    """One version of a hospital's draft norm for one technique."""

    __tablename__ = "norm_draft"
    __table_args__ = (UniqueConstraint("assignment_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("norm_assignment.id"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    annual_volume: Mapped[Decimal | None]
    guidance_version: Mapped[str | None] = mapped_column(String(200))
    method: Mapped[str | None] = mapped_column(String(40))
    period_from: Mapped[date | None] = mapped_column(Date)
    period_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    source_file: Mapped[str | None] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(Text)

    lines: Mapped[list[NormLine]] = relationship(
        back_populates="draft", order_by="NormLine.line_no", cascade="all"
    )
    evidence: Mapped[list[NormEvidence]] = relationship(
        back_populates="draft", order_by="NormEvidence.id", cascade="all"
    )
    assignment: Mapped[NormAssignment] = relationship()


class NormLine(Base):
    """One line of the bill of resources of a draft.

    Labour lines use ``title``/``persons``/``minutes``; item and utility lines use
    ``quantity``/``unit``/``unit_price``; equipment lines use ``minutes`` plus the
    machine's ``purchase_value``, ``useful_life_years``, ``minutes_per_year``,
    ``utilisation`` and ``maintenance_rate``.
    """

    __tablename__ = "norm_line"
    __table_args__ = (UniqueConstraint("draft_id", "line_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("norm_draft.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(24))
    resource_code: Mapped[str] = mapped_column(String(64))
    resource_name: Mapped[str | None] = mapped_column(String(300))
    unit: Mapped[str | None] = mapped_column(String(32))
    quantity: Mapped[Decimal | None]
    persons: Mapped[Decimal | None]
    minutes: Mapped[Decimal | None]
    unit_price: Mapped[Decimal | None]
    purchase_value: Mapped[Decimal | None]
    useful_life_years: Mapped[Decimal | None]
    minutes_per_year: Mapped[Decimal | None]
    utilisation: Mapped[Decimal | None]
    maintenance_rate: Mapped[Decimal | None]
    included_in_price: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(Text)

    draft: Mapped[NormDraft] = relationship(back_populates="lines")


class NormEvidence(Base):
    """A document backing a draft (time study, issue records, invoices, machine log)."""

    __tablename__ = "norm_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("norm_draft.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    reference: Mapped[str | None] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(Text)

    draft: Mapped[NormDraft] = relationship(back_populates="evidence")


class NormComment(Base):
    """A reviewer's comment on a draft, or on one of its lines (``line_no``)."""

    __tablename__ = "norm_comment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("norm_draft.id"), index=True)
    line_no: Mapped[int | None] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)


class NormPriceBook(Base):
    """A dated price book: labour rates, item prices, tariffs, equipment values."""

    __tablename__ = "norm_price_book"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)

    entries: Mapped[list[NormPrice]] = relationship(
        back_populates="book", order_by="NormPrice.id", cascade="all"
    )


class NormPrice(Base):
    """One price of a book, keyed by kind (labour/item/tariff/equipment/rate), code."""

    __tablename__ = "norm_price"
    __table_args__ = (UniqueConstraint("book_id", "kind", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("norm_price_book.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(300))
    unit: Mapped[str | None] = mapped_column(String(32))
    price: Mapped[Decimal]
    useful_life_years: Mapped[Decimal | None]
    minutes_per_year: Mapped[Decimal | None]
    maintenance_rate: Mapped[Decimal | None]
    source: Mapped[str | None] = mapped_column(String(300))

    book: Mapped[NormPriceBook] = relationship(back_populates="entries")


class NationalNorm(Base):
    """A consolidated national norm for one technique (one row per version)."""

    __tablename__ = "norm_national"
    __table_args__ = (UniqueConstraint("technique_code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    technique_code: Mapped[str] = mapped_column(
        ForeignKey("norm_technique.code"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(24), default="consolidated")
    price_book_code: Mapped[str | None] = mapped_column(String(64))
    source_drafts: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))

    lines: Mapped[list[NationalNormLine]] = relationship(
        back_populates="norm", order_by="NationalNormLine.line_no", cascade="all"
    )


class NationalNormLine(Base):
    """One consolidated line: the value, how it was chosen, and the spread behind it."""

    __tablename__ = "norm_national_line"
    __table_args__ = (UniqueConstraint("national_id", "line_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    national_id: Mapped[int] = mapped_column(ForeignKey("norm_national.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(24))
    resource_code: Mapped[str] = mapped_column(String(64))
    resource_name: Mapped[str | None] = mapped_column(String(300))
    unit: Mapped[str | None] = mapped_column(String(32))
    value: Mapped[Decimal | None]
    persons: Mapped[Decimal | None]
    method: Mapped[str] = mapped_column(String(24))
    n: Mapped[int] = mapped_column(Integer)
    n_drafts: Mapped[int] = mapped_column(Integer)
    minimum: Mapped[Decimal | None]
    p25: Mapped[Decimal | None]
    median: Mapped[Decimal | None]
    p75: Mapped[Decimal | None]
    maximum: Mapped[Decimal | None]
    outliers: Mapped[str | None] = mapped_column(Text)
    conditional: Mapped[bool] = mapped_column(Boolean, default=False)
    override_value: Mapped[Decimal | None]
    override_reason: Mapped[str | None] = mapped_column(Text)
    override_by: Mapped[str | None] = mapped_column(String(100))

    norm: Mapped[NationalNorm] = relationship(back_populates="lines")
