"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no exact decimal type (SQLAlchemy would go through ``float``) and no time
zones; these decorators keep money exact and timestamps aware on both back ends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Numeric, String
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect
    from sqlalchemy.types import TypeEngine


class ExactDecimal(TypeDecorator[Decimal]):
    """A ``Decimal`` stored exactly: ``NUMERIC(p, s)`` on PostgreSQL, text on SQLite.

    Values are stored as given (no rounding by the store); callers round with
    ``giamdinh.domain.money`` where the domain says so.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 28, scale: int = 8) -> None:
        super().__init__()
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Pick text on SQLite, an exact ``NUMERIC`` elsewhere."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(self.precision + 3))
        return dialect.type_descriptor(
            Numeric(self.precision, self.scale, asdecimal=True)
        )

    def process_bind_param(
        self, value: Decimal | None, dialect: Dialect
    ) -> Decimal | str | None:
        """Send text to SQLite, a ``Decimal`` to the others."""
        if value is None:
            return None
        value = Decimal(value)
        if dialect.name == "sqlite":
            return str(value) if value.is_nan() else format(value, "f")
        return value

    def process_result_value(
        self, value: object | None, dialect: Dialect
    ) -> Decimal | None:
        """Return a ``Decimal`` (no trailing zeros from ``NUMERIC`` on a whole number).

        A whole number keeps exponent 0: ``normalize()`` would turn 24600 into
        ``2.46E+4``, which ``str`` and JSON then write in scientific notation.
        """
        del dialect
        if value is None:
            return None
        result = Decimal(str(value))
        return result.quantize(Decimal(1)) if result == result.to_integral() else result


class UTCDateTime(TypeDecorator[datetime]):
    """An aware timestamp, stored in UTC (SQLite keeps no zone; we put it back)."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Use ``TIMESTAMP WITH TIME ZONE`` where the back end has it."""
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        """Refuse naive datetimes; store UTC."""
        del dialect
        if value is None:
            return None
        if value.tzinfo is None:
            msg = "naive datetime given to a UTCDateTime column; pass an aware one"
            raise ValueError(msg)
        return value.astimezone(UTC)

    def process_result_value(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        """Return an aware UTC datetime."""
        del dialect
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
