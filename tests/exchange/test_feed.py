"""The feed: entries, the chain, and each way a neighbour's feed is refused.

Runs on SQLite and PostgreSQL (each a migrated database of its own).
"""

from __future__ import annotations

import copy
import hashlib
import json
import stat
from datetime import date
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from tests.exchange.support import licence, registration, status

from giamdinh.db import make_session_factory
from giamdinh.db.models.registry import (
    RegistryLicenceStatus,
    RegistryRefused,
    RegistryRegistration,
)
from giamdinh.db.testing import temporary_database
from giamdinh.exchange.feed import (
    GENESIS,
    FeedFailure,
    canonical,
    entries_after,
    generate_key,
    load_private_key,
    publish,
)
from giamdinh.exchange.feed import apply_entries as apply_feed
from giamdinh.exchange.registry import (
    licences_of_person,
    registration_conflicts,
    status_periods,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from sqlalchemy.orm import Session, sessionmaker

    from giamdinh.exchange.feed import ApplyResult


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def databases(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[sessionmaker[Session], sessionmaker[Session]]]:
    """Two registries: the publisher's (Đồng Nai) and the puller's (HCMC)."""
    backend = str(request.param)
    pg_url = request.getfixturevalue("pg_url") if backend == "postgres" else None
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        temporary_database(backend, tmp_path=tmp_path / "a", pg_url=pg_url) as one,
        temporary_database(backend, tmp_path=tmp_path / "b", pg_url=pg_url) as two,
    ):
        yield make_session_factory(one), make_session_factory(two)


KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key()


def _feed(sessions: sessionmaker[Session]) -> list[dict[str, Any]]:
    with sessions() as session:
        publish(
            session,
            key=KEY,
            province="75",
            facts=[
                licence("A1", "75"),
                licence("A2", "75", person="075080000002", name="TRẦN THỊ B"),
                status("A2", "75", "revoked", date(2026, 1, 15)),
                licence("A3", "75", person="075080000003", name="LÊ VĂN C"),
            ],
        )
        session.commit()
        return [e.to_json() for e in entries_after(session, "75", after=0, limit=100)]


def _apply(
    sessions: sessionmaker[Session],
    entries: list[dict[str, Any]],
    key: Ed25519PublicKey = PUBLIC,
) -> ApplyResult:
    with sessions() as session:
        result = apply_feed(session, province="75", key=key, entries=entries)
        session.commit()
    return result


def _held(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return sorted({p.macchn for p in status_periods(session)})


def test_entries_are_canonical_chained_and_signed(
    databases: tuple[sessionmaker[Session], sessionmaker[Session]],
) -> None:
    feed = _feed(databases[0])
    assert [e["seq"] for e in feed] == [1, 2, 3, 4]
    assert feed[0]["prev_hash"] == GENESIS
    for before, entry in pairwise(feed):
        assert entry["prev_hash"] == before["hash"]
    body = {k: feed[0][k] for k in ("province", "seq", "prev_hash", "recorded_at")}
    body |= {"kind": feed[0]["kind"], "fact": feed[0]["fact"]}
    data = canonical(body)
    assert (
        data
        == json.dumps(
            body, ensure_ascii=False, sort_keys=True, separators=(",", ":")
        ).encode()
    )
    assert hashlib.sha256(data).hexdigest() == feed[0]["hash"]
    result = _apply(databases[1], feed)
    assert (result.applied, result.error) == (4, None)
    assert _held(databases[1]) == ["A1", "A2", "A3"]


def test_a_tampered_entry_stops_the_feed_after_what_came_before(
    databases: tuple[sessionmaker[Session], sessionmaker[Session]],
) -> None:
    feed = _feed(databases[0])
    tampered = copy.deepcopy(feed)
    tampered[2]["fact"]["status"] = "active"  # un-revoke, keeping hash and signature
    result = _apply(databases[1], tampered)
    assert result.error is not None
    assert (result.error.province, result.error.seq) == ("75", 3)
    assert result.error.failure is FeedFailure.TAMPERED
    assert "75" in str(result.error)
    assert "3" in str(result.error)
    assert result.applied == 2
    assert _held(databases[1]) == ["A1", "A2"]
    # the same entry, hash recomputed: the signature no longer verifies
    body = {k: v for k, v in tampered[2].items() if k not in {"hash", "signature"}}
    tampered[2]["hash"] = hashlib.sha256(canonical(body)).hexdigest()
    result = _apply(databases[1], tampered[2:])
    assert result.error is not None
    assert result.error.failure is FeedFailure.BAD_SIGNATURE
    # the genuine feed then resumes where it stopped
    result = _apply(databases[1], feed)
    assert (result.skipped, result.applied, result.error) == (2, 2, None)


def test_a_wrong_key_a_gap_and_a_fork_are_each_refused_and_named(
    databases: tuple[sessionmaker[Session], sessionmaker[Session]],
) -> None:
    feed = _feed(databases[0])
    other = Ed25519PrivateKey.generate().public_key()
    wrong = _apply(databases[1], feed, key=other)
    assert wrong.error is not None
    assert (wrong.error.failure, wrong.error.seq, wrong.applied) == (
        FeedFailure.BAD_SIGNATURE,
        1,
        0,
    )

    garbage = _apply(databases[1], [feed[0], ["not", "an", "entry"]])  # type: ignore[list-item]
    assert garbage.error is not None
    assert (garbage.error.failure, garbage.error.seq) == (FeedFailure.MALFORMED, 2)
    assert garbage.applied == 1

    gap = _apply(databases[1], [feed[1], feed[3]])
    assert gap.error is not None
    assert (gap.error.failure, gap.error.seq, gap.applied) == (FeedFailure.GAP, 4, 1)
    assert "expected seq 3" in str(gap.error)

    # Đồng Nai's key signs another history after seq 1: a fork of what HCMC holds
    with databases[0]() as session:
        third = publish_fork(session, prev_hash=feed[0]["hash"], seq=3)
        second = publish_fork(session, prev_hash=feed[0]["hash"], seq=2)
    result = _apply(databases[1], [feed[1], third])
    assert result.error is not None
    assert (result.error.failure, result.error.seq) == (FeedFailure.FORK, 3)
    assert "prev_hash" in result.error.detail
    # and a seq already held, received with another hash, is a fork too
    result = _apply(databases[1], [second])
    assert result.error is not None
    assert (result.error.failure, result.error.seq) == (FeedFailure.FORK, 2)
    assert "held" in result.error.detail
    assert _held(databases[1]) == ["A1", "A2"]


def publish_fork(session: Session, *, prev_hash: str, seq: int) -> dict[str, Any]:
    """Entries signed with the right key but a different content at ``seq``."""
    from giamdinh.exchange.feed import sign_entry

    fact = licence("FORGED", "75").to_json()
    entry = sign_entry(
        KEY,
        province="75",
        seq=seq,
        prev_hash=prev_hash,
        recorded_at="2026-03-01T00:00:00+00:00",
        kind="licence",
        fact=fact,
    )
    session.rollback()
    return entry.to_json()


def test_an_entry_outside_the_senders_authority_is_kept_not_applied(
    databases: tuple[sessionmaker[Session], sessionmaker[Session]],
) -> None:
    dong_nai, hcm = databases
    with dong_nai() as session:
        publish(
            session,
            key=KEY,
            province="75",
            facts=[
                licence("H1", "79"),  # a licence HCMC issued
                registration("79001", "H1"),  # at a HCMC facility
                licence("D1", "75"),
            ],
        )
        session.commit()
        feed = [e.to_json() for e in entries_after(session, "75", after=0, limit=9)]
    result = _apply(hcm, feed)
    assert (result.applied, result.refused, result.error) == (1, 2, None)
    assert result.refused_seqs == [1, 2]
    with hcm() as session:
        refused = session.scalars(
            select(RegistryRefused).order_by(RegistryRefused.seq)
        ).all()
        assert [r.seq for r in refused] == [1, 2]
        assert "not authoritative" in refused[0].reason_en
        assert "79" in refused[0].reason_en
        assert "79001" in refused[1].reason_en
        assert session.scalars(select(RegistryRegistration)).all() == []
    assert _held(hcm) == ["D1"]


def test_history_is_kept_and_conflicts_listed(tmp_path: Path) -> None:
    with temporary_database("sqlite", tmp_path=tmp_path) as engine:
        sessions = make_session_factory(engine)
        with sessions() as session:
            publish(
                session,
                key=KEY,
                province="79",
                facts=[
                    licence("H1", "79"),
                    status(
                        "H1", "79", "suspended", date(2025, 3, 1), end=date(2025, 5, 31)
                    ),
                    status("H1", "79", "revoked", date(2026, 2, 1), decision="QĐ 7"),
                    registration("79001", "H1", hours=("07:00", "11:30")),
                    registration("79001", "H1", hours=("13:00", "16:30")),
                ],
            )
            session.commit()
            rows = session.scalars(select(RegistryLicenceStatus)).all()
            current = [r for r in rows if r.replaced_at is None]
            assert len(rows) > len(current)  # replaced rows are kept
            assert sorted((r.status, r.valid_from) for r in current) == [
                ("active", date(2024, 1, 10)),
                ("active", date(2025, 6, 1)),
                ("revoked", date(2026, 2, 1)),
                ("suspended", date(2025, 3, 1)),
            ]
            revoked = next(r for r in current if r.status == "revoked")
            assert revoked.decision_no == "QĐ 7"
            assert revoked.source == "79#3"
            on_day = licences_of_person(session, "079090000001", date(2026, 3, 2))
            assert [(x.macchn, x.status) for x in on_day] == [("H1", "revoked")]
            # "Bác sỹ y khoa": the techniques of the title are TT 32/2023's PL V
            assert on_day[0].scope_appendix == "PL V"
            regs = session.scalars(select(RegistryRegistration)).all()
            assert [(r.hour_from, r.replaced_at is None) for r in regs] == [
                ("07:00", False),
                ("13:00", True),
            ]
            # same province: a change of hours, not a conflict
            assert registration_conflicts(session) == []


def test_a_key_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "79.key"
    public = generate_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(public) == 44
    with pytest.raises(FileExistsError):
        generate_key(path)
    load_private_key(path)
    path.chmod(0o644)
    with pytest.raises(PermissionError, match="0600"):
        load_private_key(path)


def test_only_full_time_registrations_overlapping_in_days_and_hours_conflict(
    tmp_path: Path,
) -> None:
    facts = {
        "79": [registration("79001", "H1")],  # Monday–Friday 07:00–17:00
        "75": [
            registration("75001", "H1", days="6", hours=("08:00", "12:00")),
            registration("75002", "H1", days="1", hours=("17:00", "20:00")),
        ],
        "74": [
            registration("74001", "H1", full_time=False, hours=("09:00", "10:00")),
            registration("74002", "H1", days="36", hours=("16:00", "18:00")),
        ],
    }
    with temporary_database("sqlite", tmp_path=tmp_path) as engine:
        sessions = make_session_factory(engine)
        with sessions() as session:
            for province, listed in facts.items():
                publish(session, key=KEY, province=province, facts=listed)
            session.commit()
            conflicts = registration_conflicts(session)
            assert [
                (c.first.ma_cskcb, c.second.ma_cskcb, c.days, c.hours)
                for c in conflicts
            ] == [("74002", "79001", "3", ("16:00", "17:00"))]
            assert conflicts[0].period == (date(2025, 1, 1), None)
