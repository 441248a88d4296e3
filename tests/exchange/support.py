"""Instances of the exchange for tests: a database, a key, a real HTTP server each."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import uvicorn

from giamdinh.db import make_engine, make_session_factory, upgrade
from giamdinh.exchange.feed import load_private_key, publish
from giamdinh.exchange.registry import LicenceFact, RegistrationFact, StatusFact
from giamdinh.services.exchange import feed_app, keygen

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

    from sqlalchemy.orm import Session, sessionmaker

    from giamdinh.exchange.registry import Fact


@dataclass(slots=True)
class Instance:
    """One province's instance: its own SQLite database and key."""

    province: str
    database_url: str
    key_file: Path
    public_key: str
    sessions: sessionmaker[Session]
    base_url: str = ""

    def publish(self, *facts: Fact) -> None:
        """Publish facts on this province's feed (as an import does)."""
        key = load_private_key(self.key_file)
        with self.sessions() as session:
            publish(session, key=key, province=self.province, facts=facts)
            session.commit()


def make_instance(root: Path, province: str) -> Instance:
    """Create a migrated database and a key for a province under ``root``."""
    folder = root / province
    folder.mkdir(parents=True)
    url = f"sqlite:///{folder / 'registry.db'}"
    engine = make_engine(url)
    upgrade(engine)
    key_file = folder / "province.key"
    public = keygen(key_file)
    return Instance(
        province=province,
        database_url=url,
        key_file=key_file,
        public_key=public,
        sessions=make_session_factory(engine),
    )


@contextmanager
def serving(instances: Sequence[Instance]) -> Iterator[None]:
    """Serve each instance's feed on a free loopback port, in threads."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []
    try:
        for inst in instances:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            app = feed_app(
                province=inst.province,
                key_file=inst.key_file,
                database_url=inst.database_url,
            )
            config = uvicorn.Config(
                app, log_level="warning", lifespan="off", ws="none", access_log=False
            )
            server = uvicorn.Server(config)
            thread = threading.Thread(
                target=server.run, kwargs={"sockets": [sock]}, daemon=True
            )
            thread.start()
            servers.append((server, thread))
            inst.base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while not all(s.started for s, _ in servers):
            if time.monotonic() > deadline:
                msg = "feed servers did not start"
                raise RuntimeError(msg)
            time.sleep(0.02)
        yield
    finally:
        for server, _ in servers:
            server.should_exit = True
        for _, thread in servers:
            thread.join(timeout=10)


def licence(
    macchn: str,
    province: str,
    *,
    person: str = "079090000001",
    name: str = "NGUYỄN VĂN A",
    issued: date = date(2024, 1, 10),
) -> LicenceFact:
    """A licence granted by ``province``."""
    return LicenceFact(
        macchn=macchn,
        so_dinh_danh=person,
        ho_ten=name,
        issuing_province=province,
        chuc_danh="Bác sỹ y khoa",
        pham_vi="Khám bệnh, chữa bệnh đa khoa",
        ngay_cap=issued,
        ngay_het_han=None,
    )


def status(
    macchn: str,
    province: str,
    kind: str,
    start: date,
    *,
    end: date | None = None,
    decision: str = "QĐ 1/QĐ-SYT",
) -> StatusFact:
    """A status decision of ``province`` on a licence."""
    return StatusFact(
        macchn=macchn,
        issuing_province=province,
        status=kind,
        valid_from=start,
        valid_to=end,
        decision_no=decision,
        decision_date=start,
    )


def registration(
    ma_cskcb: str,
    macchn: str,
    *,
    person: str = "079090000001",
    name: str = "NGUYỄN VĂN A",
    hours: tuple[str, str] = ("07:00", "17:00"),
    days: str = "12345",
    full_time: bool = True,
    start: date = date(2025, 1, 1),
) -> RegistrationFact:
    """A registration to practise at ``ma_cskcb``."""
    return RegistrationFact(
        ma_cskcb=ma_cskcb,
        ma_khoa="K01",
        so_dinh_danh=person,
        ho_ten=name,
        macchn=macchn,
        full_time=full_time,
        days=days,
        hour_from=hours[0],
        hour_to=hours[1],
        valid_from=start,
        valid_to=None,
    )


def snapshot(inst: Instance) -> dict[str, Any]:
    """What an instance holds, independent of where each fact came from."""
    from giamdinh.exchange.feed import count_entries
    from giamdinh.exchange.registry import (
        registration_conflicts,
        registrations_on,
        status_periods,
    )

    with inst.sessions() as session:
        return {
            "entries": count_entries(session),
            "periods": sorted(
                (p.macchn, p.status, p.valid_from, p.valid_to, p.issuing_province)
                for p in status_periods(session)
            ),
            "registrations": sorted(
                (r.ma_cskcb, r.so_dinh_danh, r.macchn, r.days, r.hour_from, r.hour_to)
                for r in registrations_on(session, date(2026, 3, 2))
            ),
            "conflicts": sorted(
                (c.first.ma_cskcb, c.second.ma_cskcb)
                for c in registration_conflicts(session)
            ),
        }
