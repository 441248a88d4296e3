"""Use cases of accounts: add, list, disable, passwords, API tokens, logins.

The accounts live in the operational store (``review_user``); every change and
every login is an entry of the audit chain. Facility accounts are bound to their
``MA_CSKCB``; every service that returns claims or cases scopes by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime  # noqa: TC003 - a dataclass field type
from typing import TYPE_CHECKING

from giamdinh.errors import ConfigError
from giamdinh.review import accounts, cases
from giamdinh.review.workflow import Actor, Role
from giamdinh.services.review import review_session

if TYPE_CHECKING:
    from giamdinh.review.accounts import LoginThrottle


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """An account as listed: no secret in it."""

    username: str
    name: str
    role: Role
    ma_cskcb: str | None
    active: bool
    has_password: bool
    last_login_at: datetime | None


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError as exc:
        roles = ", ".join(r.value for r in Role)
        msg = f"vai trò {role!r} không có; chọn {roles} / unknown role"
        raise ConfigError(msg) from exc


def add_user(
    username: str,
    *,
    name: str,
    role: str,
    facility: str | None = None,
    password: str | None = None,
    by: str = "admin",
    database_url: str | None = None,
) -> None:
    """Create or update an account, optionally with a web password."""
    parsed = _role(role)
    with review_session(database_url) as session:
        cases.add_user(
            session, username=username, name=name, role=parsed, ma_cskcb=facility, by=by
        )
        if password is not None:
            accounts.set_password(session, username, password, by=by)


def list_users(database_url: str | None = None) -> list[Account]:
    """Return every account, by user name."""
    with review_session(database_url) as session:
        return [
            Account(
                username=u.username,
                name=u.name,
                role=Role(u.role),
                ma_cskcb=u.ma_cskcb,
                active=u.active,
                has_password=u.password_hash is not None,
                last_login_at=u.last_login_at,
            )
            for u in cases.users(session)
        ]


def disable_user(
    username: str, *, by: str = "admin", database_url: str | None = None
) -> None:
    """Disable an account and revoke its tokens."""
    with review_session(database_url) as session:
        accounts.disable(session, username, by=by)


def set_password(
    username: str, password: str, *, by: str = "admin", database_url: str | None = None
) -> None:
    """Set an account's web password."""
    with review_session(database_url) as session:
        accounts.set_password(session, username, password, by=by)


def issue_token(
    username: str, *, name: str, by: str = "admin", database_url: str | None = None
) -> str:
    """Create an API token for an account; the token is returned once."""
    with review_session(database_url) as session:
        return accounts.issue_token(session, username, name=name, by=by)


def login(
    username: str,
    password: str,
    *,
    address: str,
    throttle: LoginThrottle,
    database_url: str | None = None,
) -> Actor:
    """Check a web login (audited); the lock-out is ``throttle``'s."""
    with review_session(database_url) as session:
        try:
            return accounts.authenticate(
                session, username, password, address=address, throttle=throttle
            )
        except Exception:
            # NOTE: the failed login's audit entry must survive the refusal.
            session.commit()
            raise


def logout(actor: Actor, *, address: str, database_url: str | None = None) -> None:
    """Record a logout in the audit chain."""
    from giamdinh.review import audit  # noqa: PLC0415

    with review_session(database_url) as session:
        audit.append(
            session,
            actor=actor.username,
            role=actor.role.value,
            action="logout",
            case_code=None,
            before=None,
            after={"address": address},
        )


def actor_for_token(token: str, *, database_url: str | None = None) -> Actor:
    """Return the account an API token acts for (raises ``AuthError``)."""
    with review_session(database_url) as session:
        return accounts.actor_for_token(session, token)


def actor_of(username: str, *, database_url: str | None = None) -> Actor:
    """Return the account a session names, if still active (raises ``AuthError``)."""
    with review_session(database_url) as session:
        return accounts.actor_of(session, username)


__all__ = [
    "Account",
    "actor_for_token",
    "actor_of",
    "add_user",
    "disable_user",
    "issue_token",
    "list_users",
    "login",
    "logout",
    "set_password",
]
