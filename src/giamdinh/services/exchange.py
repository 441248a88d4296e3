"""Use cases of the licence registry and its exchange between provinces.

Every province runs its own instance on its own registry database
(``GIAMDINH_REGISTRY_URL``, else ``GIAMDINH_DATABASE_URL``) with its own key
(``GIAMDINH_EXCHANGE_KEY_FILE``) and province code (``GIAMDINH_EXCHANGE_PROVINCE``).
A change made here (an import) is published as signed entries of this province's
feed and applied here in the same transaction; neighbours pull it. See
``docs/exchange.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from giamdinh.config import get_settings
from giamdinh.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    import httpx
    import pyarrow as pa
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from fastapi import FastAPI
    from sqlalchemy.orm import Session, sessionmaker

    from giamdinh.exchange.imports import ImportReport

_PROVINCE = re.compile(r"^\d{2}$")


# ------------------------------------------------------------- settings


def registry_url(database_url: str | None = None) -> str:
    """Return the registry database URL: given, else the settings'."""
    settings = get_settings()
    return database_url or settings.registry_url or settings.database_url


def _province(province: str | None) -> str:
    code = province or get_settings().exchange_province
    if code is None:
        msg = (
            "chưa cấu hình mã tỉnh / no province configured: give --province or set "
            "GIAMDINH_EXCHANGE_PROVINCE (two digits, e.g. 79)"
        )
        raise ConfigError(msg)
    if not _PROVINCE.match(code):
        msg = f"mã tỉnh phải gồm 2 chữ số / province code must be two digits: {code!r}"
        raise ConfigError(msg)
    return code


def _key_file(key_file: Path | None) -> Path:
    path = key_file or get_settings().exchange_key_file
    if path is None:
        msg = (
            "chưa cấu hình khóa / no key configured: give --key-file or set "
            "GIAMDINH_EXCHANGE_KEY_FILE (giamdinh exchange keygen makes one)"
        )
        raise ConfigError(msg)
    return path


def _private_key(key_file: Path | None) -> Ed25519PrivateKey:
    from giamdinh.exchange.feed import load_private_key  # noqa: PLC0415

    path = _key_file(key_file)
    try:
        return load_private_key(path)
    except FileNotFoundError:
        msg = f"{path}: không có tệp khóa / key file not found"
        raise ConfigError(msg) from None
    except (PermissionError, ValueError) as error:
        raise ConfigError(str(error)) from None


def _sessions(database_url: str | None) -> sessionmaker[Session]:
    from giamdinh.db import make_engine, make_session_factory  # noqa: PLC0415
    from giamdinh.db.migrate import current_revision, head_revision  # noqa: PLC0415

    url = registry_url(database_url)
    engine = make_engine(url)
    if current_revision(engine) != head_revision():
        msg = (
            f"cơ sở dữ liệu sổ đăng ký chưa cập nhật / registry database not at the "
            f"newest revision: run `giamdinh db upgrade --database-url {url}`"
        )
        raise ConfigError(msg)
    return make_session_factory(engine)


# ------------------------------------------------------------------ keys


def keygen(key_file: Path) -> str:
    """Create the province's private key file (mode 0600); return the public key.

    Raises:
        ConfigError: the file exists (keys are never overwritten).
    """
    from giamdinh.exchange.feed import generate_key  # noqa: PLC0415

    try:
        return generate_key(key_file)
    except FileExistsError:
        msg = (
            f"{key_file}: tệp khóa đã có, không ghi đè / key file exists, not replaced"
        )
        raise ConfigError(msg) from None


def public_key(key_file: Path | None = None) -> str:
    """Return the public key (base64) of the configured private key."""
    from giamdinh.exchange.feed import public_key_text  # noqa: PLC0415

    return public_key_text(_private_key(key_file).public_key())


# ----------------------------------------------------------------- peers


def add_peer(
    *, province: str, url: str, key: str, database_url: str | None = None
) -> None:
    """Add (or change) a neighbour whose feed this instance pulls.

    Raises:
        ConfigError: bad province code or public key.
    """
    from giamdinh.db.models.registry import RegistryPeer  # noqa: PLC0415
    from giamdinh.exchange.feed import parse_public_key  # noqa: PLC0415

    code = _province(province)
    try:
        parse_public_key(key)
    except ValueError as error:
        msg = f"khóa công khai không hợp lệ / bad public key: {error}"
        raise ConfigError(msg) from None
    with _sessions(database_url)() as session:
        peer = session.get(RegistryPeer, code)
        if peer is None:
            session.add(
                RegistryPeer(
                    province=code,
                    url=url,
                    public_key=key.strip(),
                    added_at=datetime.now(tz=UTC),
                )
            )
        else:
            peer.url, peer.public_key = url, key.strip()
        session.commit()


# ---------------------------------------------------------------- import


@dataclass(slots=True)
class ImportOutcome:
    """What an import did: per file the report; entries published and refused."""

    reports: list[ImportReport] = field(default_factory=list)
    published: int = 0
    unchanged: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)


def import_files(
    paths: Sequence[Path],
    *,
    form: str | None = None,
    province: str | None = None,
    key_file: Path | None = None,
    database_url: str | None = None,
) -> ImportOutcome:
    """Read licence lists or M02 forms and publish their facts on this feed.

    Facts the registry already holds are not published again (re-importing a file
    changes nothing). Bad rows are in the reports and nothing else is lost.

    Raises:
        ConfigError: a file does not exist, or no province/key is configured.
    """
    from giamdinh.db.models.registry import RegistryRefused  # noqa: PLC0415
    from giamdinh.exchange.feed import Outcome, publish  # noqa: PLC0415
    from giamdinh.exchange.imports import RowProblem, read_file  # noqa: PLC0415
    from giamdinh.exchange.registry import (  # noqa: PLC0415
        FactError,
        check_authority,
        is_current,
    )

    code = _province(province)
    key = _private_key(key_file)
    for path in paths:
        if not path.is_file():
            msg = f"{path}: không có tệp / no such file"
            raise ConfigError(msg)
    outcome = ImportOutcome()
    sessions = _sessions(database_url)
    for path in paths:
        report = read_file(path, province=code, form=form)
        outcome.reports.append(report)
        with sessions() as session:
            fresh = []
            for fact in report.facts:
                try:
                    # NOTE: a fact this province may not state is not published:
                    # every neighbour would refuse it (docs/exchange.md).
                    check_authority(session, province=code, fact=fact)
                except FactError as error:
                    report.problems.append(
                        RowProblem(
                            file=report.file,
                            row=int(fact.source.rpartition(":")[2] or 0),
                            column=None,
                            value="",
                            message=error.message,
                            message_en=error.message_en,
                        )
                    )
                    continue
                if is_current(session, fact):
                    outcome.unchanged += 1
                else:
                    fresh.append(fact)
            for entry, result in publish(session, key=key, province=code, facts=fresh):
                outcome.published += 1
                if result is Outcome.REFUSED:
                    reason = (
                        session.query(RegistryRefused.reason_en)
                        .filter_by(province=code, seq=entry.seq)
                        .scalar()
                    )
                    outcome.refused.append((entry.seq, str(reason)))
            session.commit()
    return outcome


# ------------------------------------------------------------------ pull


@dataclass(frozen=True, slots=True, kw_only=True)
class PullOutcome:
    """One peer's pull: entries applied, refused (authority), skipped (held)."""

    province: str
    url: str
    applied: int
    refused: int
    skipped: int
    last_seq: int
    error: str | None


def pull(
    *,
    peers: Sequence[str] = (),
    database_url: str | None = None,
    client: httpx.Client | None = None,
    page: int = 1000,
) -> list[PullOutcome]:
    """Pull every configured neighbour's feed (or those named) after its cursor.

    A bad signature, gap, fork, tampered entry or unreachable peer stops that
    peer only; what was applied before stays (committed page by page).
    """
    import httpx  # noqa: PLC0415

    from giamdinh.db.models.registry import RegistryPeer  # noqa: PLC0415
    from giamdinh.exchange.feed import apply_entries, head, parse_public_key  # noqa: PLC0415
    from giamdinh.exchange.http import fetch_pages  # noqa: PLC0415

    sessions = _sessions(database_url)
    with sessions() as session:
        configured = {
            p.province: (p.url, p.public_key) for p in session.query(RegistryPeer)
        }
    unknown = sorted(set(peers) - configured.keys())
    if unknown:
        msg = f"tỉnh chưa cấu hình / peers not configured: {', '.join(unknown)}"
        raise ConfigError(msg)
    own = client is None
    http = client if client is not None else httpx.Client(timeout=30.0)
    out: list[PullOutcome] = []
    try:
        for code in sorted(peers or configured):
            url, key_text = configured[code]
            key = parse_public_key(key_text)
            applied = refused = skipped = 0
            error: str | None = None
            stopped_at: int | None = None
            with sessions() as session:
                last, _ = head(session, code)
            try:
                for entries in fetch_pages(http, url, after=last, limit=page):
                    with sessions() as session:
                        result = apply_entries(
                            session, province=code, key=key, entries=entries
                        )
                        session.commit()
                    applied += result.applied
                    refused += result.refused
                    skipped += result.skipped
                    last = result.last_seq
                    if result.error is not None:
                        error = str(result.error)
                        stopped_at = result.error.seq
                        break
            except (httpx.HTTPError, ValueError) as failure:
                error = (
                    f"không lấy được nguồn tin tỉnh {code} / cannot fetch the feed of "
                    f"province {code} at {url}: {failure}"
                )
            with sessions() as session:
                peer = session.get_one(RegistryPeer, code)
                peer.last_pull_at = datetime.now(tz=UTC)
                peer.last_error = error
                peer.stopped_at_seq = stopped_at
                session.commit()
            out.append(
                PullOutcome(
                    province=code,
                    url=url,
                    applied=applied,
                    refused=refused,
                    skipped=skipped,
                    last_seq=last,
                    error=error,
                )
            )
    finally:
        if own:
            http.close()
    return out


# ---------------------------------------------------------------- status


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerStatus:
    """A neighbour as this instance sees it."""

    province: str
    url: str
    cursor: int
    last_pull_at: datetime | None
    last_error: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExchangeStatus:
    """This instance: its feed head, what it holds, its peers and refusals."""

    province: str | None
    own_seq: int
    entries: dict[str, int]
    licences: int
    registrations: int
    conflicts: int
    refused: int
    peers: list[PeerStatus]


def status(
    *, province: str | None = None, database_url: str | None = None
) -> ExchangeStatus:
    """Return where this instance and each neighbour's feed stand."""
    from sqlalchemy import func, select  # noqa: PLC0415

    from giamdinh.db.models.registry import (  # noqa: PLC0415
        RegistryLicence,
        RegistryPeer,
        RegistryRefused,
        RegistryRegistration,
    )
    from giamdinh.exchange.feed import count_entries, head  # noqa: PLC0415
    from giamdinh.exchange.registry import registration_conflicts  # noqa: PLC0415

    code = province or get_settings().exchange_province
    with _sessions(database_url)() as session:
        peers = [
            PeerStatus(
                province=p.province,
                url=p.url,
                cursor=head(session, p.province)[0],
                last_pull_at=p.last_pull_at,
                last_error=p.last_error,
            )
            for p in session.scalars(
                select(RegistryPeer).order_by(RegistryPeer.province)
            )
        ]
        return ExchangeStatus(
            province=code,
            own_seq=head(session, code)[0] if code else 0,
            entries=count_entries(session),
            licences=session.scalar(
                select(func.count()).where(RegistryLicence.replaced_at.is_(None))
            )
            or 0,
            registrations=session.scalar(
                select(func.count()).where(RegistryRegistration.replaced_at.is_(None))
            )
            or 0,
            conflicts=len(registration_conflicts(session)),
            refused=session.scalar(select(func.count()).select_from(RegistryRefused))
            or 0,
            peers=peers,
        )


# ----------------------------------------------------------------- serve


def feed_app(
    *,
    province: str | None = None,
    key_file: Path | None = None,
    database_url: str | None = None,
) -> FastAPI:
    """Return the app serving this province's feed (``/feed``, ``/key``)."""
    from giamdinh.exchange.http import create_app  # noqa: PLC0415

    return create_app(
        sessions=_sessions(database_url),
        province=_province(province),
        public_key=public_key(key_file),
    )


# ------------------------------------------------------- for the rules


def registry_licences(url: str) -> pa.Table:
    """Return the registry's current licence status periods as ``ref_licences`` rows.

    Licences of every province the registry holds (its own and those pulled).

    Raises:
        ConfigError: the registry database is not reachable or not migrated.
    """
    import pyarrow as pa  # noqa: PLC0415
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    from giamdinh.exchange.registry import status_periods  # noqa: PLC0415

    try:
        sessions = _sessions(url)
        try:
            with sessions() as session:
                rows = status_periods(session)
        finally:
            engine = sessions.kw.get("bind")
            if engine is not None:
                engine.dispose()
    except SQLAlchemyError as error:
        msg = f"không đọc được sổ đăng ký / cannot read the registry at {url}: {error}"
        raise ConfigError(msg) from None
    return pa.table(
        {
            "macchn": pa.array([r.macchn for r in rows], pa.string()),
            "ho_ten": pa.array([r.ho_ten for r in rows], pa.string()),
            "noicap": pa.array([r.issuing_province for r in rows], pa.string()),
            "trang_thai": pa.array([r.status for r in rows], pa.string()),
            "ngay_hieu_luc": pa.array([r.valid_from for r in rows], pa.date32()),
            "ngay_het_hieu_luc": pa.array([r.valid_to for r in rows], pa.date32()),
            "phamvi_cm": pa.array([r.pham_vi for r in rows], pa.string()),
            "valid_from": pa.array([r.valid_from for r in rows], pa.date32()),
            "valid_to": pa.array([r.valid_to for r in rows], pa.date32()),
            "_file": pa.array([f"registry {r.source}" for r in rows], pa.string()),
            "_row": pa.array([None] * len(rows), pa.int32()),
        }
    )


def registry_signal_inputs(url: str) -> dict[str, pa.Table]:
    """Return the registry's tables for the unauthorised-practice leads.

    ``reg_licences``, ``reg_status``, ``reg_registrations`` and ``reg_conflicts``
    (``giamdinh.exchange.tables``): every current fact, own and pulled, with the
    feed entry that stated it.

    Raises:
        ConfigError: the registry database is not reachable or not migrated.
    """
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    from giamdinh.exchange.tables import registry_tables  # noqa: PLC0415

    try:
        sessions = _sessions(url)
        try:
            with sessions() as session:
                return registry_tables(session)
        finally:
            engine = sessions.kw.get("bind")
            if engine is not None:
                engine.dispose()
    except SQLAlchemyError as error:
        msg = f"không đọc được sổ đăng ký / cannot read the registry at {url}: {error}"
        raise ConfigError(msg) from None


__all__ = [
    "ExchangeStatus",
    "ImportOutcome",
    "PeerStatus",
    "PullOutcome",
    "add_peer",
    "feed_app",
    "import_files",
    "keygen",
    "public_key",
    "pull",
    "registry_licences",
    "registry_signal_inputs",
    "registry_url",
    "status",
]
