"""The administrator's use cases: accounts, passwords, API tokens, the account log.

Every function takes the ``Actor`` and refuses anyone but an ``admin``
(``ForbiddenError``). Each change is made by the account functions of
``giamdinh.review`` in one transaction and is an entry of the review audit chain
(who, when, before and after); :func:`account_log` reads those entries back.
Secrets never come back out: a password is stored as its argon2id hash, a token
as its SHA-256, and a new token is returned once, to be shown once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime  # noqa: TC003 - a dataclass field type
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from giamdinh.db.models.review import ApiToken, ReviewAudit, ReviewUser
from giamdinh.errors import ConfigError, ConflictError, ForbiddenError
from giamdinh.review import accounts, cases
from giamdinh.review.workflow import Role
from giamdinh.services.accounts import Account, list_users
from giamdinh.services.review import review_session

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from giamdinh.review.workflow import Actor

#: The audit actions that concern accounts (the rest of the chain is about cases).
ACCOUNT_ACTIONS = (
    "user",
    "password",
    "disable",
    "token",
    "login",
    "login_failed",
    "login_locked",
    "logout",
)
LOG_ENTRIES = 50
#: A user name: it appears in addresses of the pages, so letters, digits, . _ @ -.
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")
FACILITY = re.compile(r"[A-Za-z0-9]{1,16}")


def _admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        msg = (
            "chỉ quản trị hệ thống quản lý tài khoản / only the administrator "
            "manages accounts"
        )
        raise ForbiddenError(msg)


def _ensure_user(session: Session, username: str) -> None:
    """Raise "no such account" unless ``username`` names one."""
    # NOTE: a name with a control character is no account's (the pattern of
    # create_account), and PostgreSQL refuses a NUL in a query.
    if not username.isprintable() or session.get(ReviewUser, username) is None:
        raise ConfigError(f"không có tài khoản {username!r} / no account {username!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountRow:
    """An account as the administrator sees it: no secret, its live tokens counted."""

    account: Account
    tokens: int


def list_accounts(actor: Actor, *, database_url: str | None = None) -> list[AccountRow]:
    """Return every account with the number of its tokens not revoked."""
    _admin(actor)
    with review_session(database_url) as session:
        live = dict(
            session.execute(
                select(ApiToken.username, func.count())
                .where(ApiToken.revoked_at.is_(None))
                .group_by(ApiToken.username)
            ).all()
        )
    return [
        AccountRow(account=a, tokens=int(live.get(a.username, 0)))
        for a in list_users(database_url)
    ]


def create_account(
    actor: Actor,
    *,
    username: str,
    name: str,
    role: str,
    facility: str | None,
    password: str,
    database_url: str | None = None,
) -> None:
    """Add a new account with its first password (audited as ``user``, ``password``).

    Raises:
        ForbiddenError: the actor is not an administrator.
        ConflictError: the user name is taken (an account is never overwritten
            from here: a disabled one keeps its history and stays disabled).
        ConfigError: a bad user name, role or facility, a missing name, or a
            password shorter than the minimum.
    """
    _admin(actor)
    username = username.strip()
    name = name.strip()
    facility = (facility or "").strip() or None
    if not USERNAME.fullmatch(username):
        msg = (
            "tên đăng nhập chỉ gồm chữ, số và . _ @ - (tối đa 100) / a user name has "
            "letters, digits and . _ @ - only (at most 100)"
        )
        raise ConfigError(msg)
    if not name:
        raise ConfigError("cần họ tên / the name is required")
    if facility is not None and not FACILITY.fullmatch(facility):
        msg = "mã cơ sở (MA_CSKCB) chỉ gồm chữ và số / MA_CSKCB has letters and digits"
        raise ConfigError(msg)
    try:
        parsed = Role(role)
    except ValueError as exc:
        roles = ", ".join(r.value for r in Role)
        msg = f"vai trò {role!r} không có; chọn {roles} / unknown role"
        raise ConfigError(msg) from exc
    with review_session(database_url) as session:
        if session.get(ReviewUser, username) is not None:
            msg = (
                f"tên đăng nhập {username!r} đã có / the user name {username!r} is "
                "taken"
            )
            raise ConflictError(msg)
        cases.add_user(
            session, username=username, name=name, role=parsed, ma_cskcb=facility,
            by=actor.username,
        )  # fmt: skip
        accounts.set_password(session, username, password, by=actor.username)


def disable_account(
    actor: Actor, username: str, *, database_url: str | None = None
) -> None:
    """Disable an account and revoke its tokens; its sessions end at their next click.

    Raises:
        ForbiddenError: the actor is not an administrator.
        ConfigError: no such account, or the administrator's own account.
    """
    _admin(actor)
    if username == actor.username:
        msg = "không tự khóa tài khoản của mình / you cannot disable your own account"
        raise ConfigError(msg)
    with review_session(database_url) as session:
        _ensure_user(session, username)
        accounts.disable(session, username, by=actor.username)


def set_account_password(
    actor: Actor, username: str, password: str, *, database_url: str | None = None
) -> None:
    """Set an account's web password (audited without the password).

    Raises:
        ForbiddenError: the actor is not an administrator.
        ConfigError: no such account, or the password is too short.
    """
    _admin(actor)
    with review_session(database_url) as session:
        _ensure_user(session, username)
        accounts.set_password(session, username, password, by=actor.username)


def issue_account_token(
    actor: Actor, username: str, *, name: str, database_url: str | None = None
) -> str:
    """Issue an API token for an active account; return it (it is shown once).

    Raises:
        ForbiddenError: the actor is not an administrator.
        ConfigError: no such active account, or no name for the token.
    """
    _admin(actor)
    name = name.strip()
    if not name:
        msg = "cần tên của mã (hệ thống dùng nó) / the token needs a name"
        raise ConfigError(msg)
    with review_session(database_url) as session:
        _ensure_user(session, username)
        return accounts.issue_token(
            session, username, name=name[:100], by=actor.username
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountEvent:
    """One entry of the audit chain about an account."""

    id: int
    at: datetime
    actor: str
    role: str
    action: str
    username: str | None
    detail: dict[str, Any]


def _loads(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def account_log(
    actor: Actor, *, limit: int = LOG_ENTRIES, database_url: str | None = None
) -> list[AccountEvent]:
    """Return the newest ``limit`` audit entries about accounts, newest first.

    The entries are those of the review audit chain whose action is one of
    ``ACCOUNT_ACTIONS``; a login's subject is its actor, a change's subject is
    the account it names. No secret is in any of them.
    """
    _admin(actor)
    with review_session(database_url) as session:
        rows = session.scalars(
            select(ReviewAudit)
            .where(ReviewAudit.action.in_(ACCOUNT_ACTIONS))
            .order_by(ReviewAudit.id.desc())
            .limit(limit)
        ).all()
        events: list[AccountEvent] = []
        for row in rows:
            before, after = _loads(row.before), _loads(row.after)
            subject = after.get("username") or before.get("username")
            if row.action.startswith("log"):
                subject = row.actor
            detail = {k: v for k, v in after.items() if k not in {"username", "sha256"}}
            events.append(
                AccountEvent(
                    id=row.id,
                    at=row.at,
                    actor=row.actor,
                    role=row.role,
                    action=row.action,
                    username=str(subject) if subject is not None else None,
                    detail=detail,
                )
            )
    return events


__all__ = [
    "ACCOUNT_ACTIONS",
    "AccountEvent",
    "AccountRow",
    "account_log",
    "create_account",
    "disable_account",
    "issue_account_token",
    "list_accounts",
    "set_account_password",
]
