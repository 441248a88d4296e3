"""Accounts: passwords, logins, API tokens, and the lock-out of repeated failures.

Passwords are hashed with argon2id (``argon2-cffi``, the reference implementation's
maintained binding) and rehashed on login when its parameters change. API tokens
are random (``secrets``), shown once, and stored as their SHA-256. Every login,
failed login, password change, token issue and revocation is an entry of the
review audit chain (``giamdinh.review.audit``).

The lock-out counts failures per user name and per client address in memory (one
process): after ``max_failures`` within ``window`` the key is refused until the
window passes, whatever the password. A deployment with several processes puts a
shared limiter in front; this one keeps a single server honest.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import defaultdict, deque
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from giamdinh.db.models.review import ApiToken, ReviewUser
from giamdinh.errors import AuthError, ConfigError
from giamdinh.review import audit
from giamdinh.review.workflow import Actor, Role

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

MIN_PASSWORD = 10
#: What every failed login says, whatever failed (no hint whether the user exists).
BAD_LOGIN = "sai tên đăng nhập hoặc mật khẩu / wrong user name or password"


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password``.

    Raises:
        ConfigError: the password is shorter than ``MIN_PASSWORD``.
    """
    if len(password) < MIN_PASSWORD:
        msg = (
            f"mật khẩu cần ít nhất {MIN_PASSWORD} ký tự / a password needs at least "
            f"{MIN_PASSWORD} characters"
        )
        raise ConfigError(msg)
    from argon2 import PasswordHasher  # noqa: PLC0415

    return PasswordHasher().hash(password)


def _now() -> datetime:
    return datetime.now(tz=UTC)


def set_password(session: Session, username: str, password: str, *, by: str) -> None:
    """Set a user's password (hashed); audited without the password.

    Raises:
        ConfigError: no such user, or the password is too short.
    """
    user = session.get(ReviewUser, username)
    if user is None:
        raise ConfigError(f"không có người dùng {username!r} / no user {username!r}")
    user.password_hash = hash_password(password)
    session.flush()
    audit.append(
        session,
        actor=by,
        role="admin",
        action="password",
        case_code=None,
        before=None,
        after={"username": username},
    )


def disable(session: Session, username: str, *, by: str) -> None:
    """Disable a user: no login, no token, no action; history kept.

    Raises:
        ConfigError: no such user.
    """
    user = session.get(ReviewUser, username)
    if user is None:
        raise ConfigError(f"không có người dùng {username!r} / no user {username!r}")
    user.active = False
    for token in session.scalars(select(ApiToken).where(ApiToken.username == username)):
        if token.revoked_at is None:
            token.revoked_at = _now()
    session.flush()
    audit.append(
        session,
        actor=by,
        role="admin",
        action="disable",
        case_code=None,
        before={"username": username, "active": True},
        after={"username": username, "active": False},
    )


class LoginThrottle:
    """Refuse a user name or an address after too many failures in a window."""

    def __init__(self, *, max_failures: int = 5, window: float = 900.0) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures[key]
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def blocked(self, *keys: str) -> bool:
        """Return whether any key has reached the limit within the window."""
        now = time.monotonic()
        with self._lock:
            return any(len(self._recent(k, now)) >= self.max_failures for k in keys)

    def fail(self, *keys: str) -> None:
        """Count one failure for each key."""
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def clear(self, *keys: str) -> None:
        """Forget the failures of the keys (after a successful login)."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    address: str,
    throttle: LoginThrottle,
) -> Actor:
    """Check a login; audit it either way.

    Raises:
        AuthError: wrong user or password, disabled, no web password, or locked
            out by too many failures (the message never says which).
    """
    keys = (f"user:{username.lower()}", f"addr:{address}")
    if throttle.blocked(*keys):
        audit.append(
            session,
            actor=username[:100],
            role="anonymous",
            action="login_locked",
            case_code=None,
            before=None,
            after={"address": address},
        )
        msg = (
            "quá nhiều lần đăng nhập sai, thử lại sau 15 phút / too many failed "
            "logins: try again in 15 minutes"
        )
        raise AuthError(msg)
    user = session.get(ReviewUser, username)
    ok = False
    if user is not None and user.active and user.password_hash:
        from argon2 import PasswordHasher  # noqa: PLC0415
        from argon2.exceptions import VerificationError  # noqa: PLC0415

        hasher = PasswordHasher()
        try:
            ok = hasher.verify(user.password_hash, password)
        except VerificationError:
            ok = False
        if ok and hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(password)
    if not ok or user is None:
        throttle.fail(*keys)
        audit.append(
            session,
            actor=username[:100],
            role="anonymous",
            action="login_failed",
            case_code=None,
            before=None,
            after={"address": address},
        )
        raise AuthError(BAD_LOGIN)
    throttle.clear(*keys)
    user.last_login_at = _now()
    session.flush()
    audit.append(
        session,
        actor=user.username,
        role=user.role,
        action="login",
        case_code=None,
        before=None,
        after={"address": address},
    )
    return Actor(username=user.username, role=Role(user.role), ma_cskcb=user.ma_cskcb)


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, username: str, *, name: str, by: str) -> str:
    """Create an API token for a user; return it (it is not stored, only its hash).

    Raises:
        ConfigError: no such active user.
    """
    user = session.get(ReviewUser, username)
    if user is None or not user.active:
        raise ConfigError(f"không có người dùng {username!r} / no active user")
    token = "gd_" + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            username=username, name=name, token_sha256=_sha(token), created_at=_now()
        )
    )
    session.flush()
    audit.append(
        session,
        actor=by,
        role="admin",
        action="token",
        case_code=None,
        before=None,
        after={"username": username, "name": name, "sha256": _sha(token)[:12]},
    )
    return token


def actor_for_token(session: Session, token: str) -> Actor:
    """Return the user a token acts for.

    Raises:
        AuthError: unknown or revoked token, or a disabled user.
    """
    row = session.scalars(
        select(ApiToken).where(ApiToken.token_sha256 == _sha(token))
    ).first()
    user = session.get(ReviewUser, row.username) if row is not None else None
    if row is None or row.revoked_at is not None or user is None or not user.active:
        raise AuthError("mã truy cập không hợp lệ / invalid or revoked token")
    row.last_used_at = _now()
    return Actor(username=user.username, role=Role(user.role), ma_cskcb=user.ma_cskcb)


def actor_of(session: Session, username: str) -> Actor:
    """Return the actor of an active user (a session cookie names the user).

    Raises:
        AuthError: no such active user.
    """
    user = session.get(ReviewUser, username)
    if user is None or not user.active:
        raise AuthError("phiên đăng nhập không còn hiệu lực / the session has ended")
    return Actor(username=user.username, role=Role(user.role), ma_cskcb=user.ma_cskcb)


__all__ = [
    "BAD_LOGIN",
    "MIN_PASSWORD",
    "LoginThrottle",
    "actor_for_token",
    "actor_of",
    "authenticate",
    "disable",
    "hash_password",
    "issue_token",
    "set_password",
]
