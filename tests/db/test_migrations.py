"""The migrations create exactly what the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from itertools import pairwise
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import inspect, select

from giamdinh.db import (
    Base,
    check_models_match,
    current_revision,
    make_session_factory,
    upgrade,
)
from giamdinh.db.migrate import downgrade, head_revision, history
from giamdinh.db.models.norms import NormPrice, NormPriceBook

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def test_upgrade_reaches_head_and_matches_models(bare_engine: Engine) -> None:
    assert current_revision(bare_engine) is None
    assert upgrade(bare_engine) == head_revision()
    assert check_models_match(bare_engine) == []
    tables = set(inspect(bare_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_upgrade_is_idempotent_and_downgrade_removes_tables(
    bare_engine: Engine,
) -> None:
    upgrade(bare_engine)
    assert upgrade(bare_engine) == head_revision()
    assert downgrade(bare_engine, "base") is None
    remaining = set(inspect(bare_engine).get_table_names()) - {"alembic_version"}
    assert remaining.isdisjoint(Base.metadata.tables)


def test_diff_detects_a_model_without_migration(bare_engine: Engine) -> None:
    # Upgrade only part of the way: the models then differ from the database.
    upgrade(bare_engine)
    downgrade(bare_engine, "base")
    assert check_models_match(bare_engine) != []


def test_history_is_linear_and_starts_at_base() -> None:
    rows = history()
    assert rows[0][1] is None
    for (revision, _down, _msg), (_next, down, _m) in pairwise(rows):
        assert down == revision
    assert rows[-1][0] == head_revision()


def test_decimals_are_exact_and_timestamps_aware(engine: Engine) -> None:
    factory = make_session_factory(engine)
    tricky = Decimal("0.1") + Decimal("0.2")  # 0.3 exactly; a float would not be
    big = Decimal("123456789012345.12345678")
    with factory() as session:
        book = NormPriceBook(
            code="T", name="t", valid_from=datetime(2025, 1, 1, tzinfo=UTC).date()
        )
        book.entries = [
            NormPrice(kind="item", code="A", price=tricky),
            NormPrice(kind="item", code="B", price=big),
        ]
        session.add(book)
        session.commit()
    with factory() as session:
        prices = dict(session.execute(select(NormPrice.code, NormPrice.price)).all())
    assert prices["A"] == Decimal("0.3")
    assert isinstance(prices["A"], Decimal)
    assert prices["B"] == big


def test_naive_datetime_is_refused(engine: Engine) -> None:
    from giamdinh.db.models.norms import NormHospital

    factory = make_session_factory(engine)
    with factory() as session:
        session.add(NormHospital(code="H", name="h"))
        session.commit()
    from giamdinh.db.types import UTCDateTime

    column_type = UTCDateTime()
    aware = datetime(2025, 11, 11, 9, 0, tzinfo=timezone(timedelta(hours=7)))
    assert column_type.process_bind_param(aware, engine.dialect) == datetime(
        2025, 11, 11, 2, 0, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="naive"):
        column_type.process_bind_param(datetime(2025, 1, 1), engine.dialect)  # noqa: DTZ001
