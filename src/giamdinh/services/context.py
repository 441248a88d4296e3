"""What a running server needs to know: where the data is, how to sign sessions.

``AppContext`` is built once by ``giamdinh serve`` (or a test) and handed to the web
application and the API; the services take its parts as arguments, so no request
reads global state.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from giamdinh.config import get_settings
from giamdinh.review.accounts import LoginThrottle

if TYPE_CHECKING:
    from collections.abc import Callable

SECRET_FILE = "session-secret"  # noqa: S105 - the name of the file, not a secret
#: Largest upload of one request (claim files, a zip, reference files, evidence).
MAX_UPLOAD_BYTES = 256 * 1024 * 1024
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def today_in_vietnam() -> date:
    """Return today's date in Viet Nam (the legal clock's day)."""
    return datetime.now(tz=VIETNAM).date()


@dataclass(frozen=True, slots=True, kw_only=True)
class AppContext:
    """Where the server's data lives and how it protects sessions.

    Attributes:
        database_url: the operational store (accounts, cases, norms, audit).
        store_dir: the claim store the insurer's pages read.
        data_dir: the server's own files: uploaded checks and their results, the
            facilities' reference folders, the session secret.
        reference_dirs: reference folders per facility for checks and the claim
            pages (``<dir>/<MA_CSKCB>``); uploads replace a facility's folder.
        secret_key: signs the session cookies.
        secure_cookies: mark cookies ``Secure`` (served over TLS).
        max_upload_bytes: largest upload accepted in one request.
        throttle: the login lock-out of this process.
        clock: returns "today" for deadlines and the day of an act (today in
            Viet Nam; a test gives a fixed day).
        overrides_path: the append-only log of this deployment's rule overrides
            (``rule_overrides``: ``<data_dir>/overrides.yaml`` when not given).
    """

    database_url: str
    store_dir: Path
    data_dir: Path
    reference_dirs: Path
    secret_key: str
    secure_cookies: bool = False
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    clock: Callable[[], date] = today_in_vietnam
    overrides_path: Path | None = None

    def today(self) -> date:
        """Return the day the server counts deadlines from."""
        return self.clock()

    @property
    def checks_dir(self) -> Path:
        """Return the folder of uploaded checks."""
        return self.data_dir / "checks"

    @property
    def rule_overrides(self) -> Path:
        """Return the log of this deployment's rule overrides (YAML, append-only)."""
        return self.overrides_path or self.data_dir / "overrides.yaml"


def _secret(data_dir: Path) -> str:
    """Return the session secret kept in ``data_dir`` (made on first start)."""
    path = data_dir / SECRET_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value + "\n", encoding="utf-8")
    path.chmod(0o600)
    return value


def app_context(
    *,
    database_url: str | None = None,
    store_dir: Path | None = None,
    data_dir: Path | None = None,
    reference_dirs: Path | None = None,
    secure_cookies: bool = False,
    overrides_path: Path | None = None,
) -> AppContext:
    """Build the context from arguments, falling back to the settings."""
    settings = get_settings()
    data = data_dir or Path("giamdinh-data")
    return AppContext(
        database_url=database_url or settings.database_url,
        store_dir=store_dir or settings.store_dir,
        data_dir=data,
        reference_dirs=reference_dirs or data / "reference",
        secret_key=_secret(data),
        secure_cookies=secure_cookies,
        overrides_path=overrides_path,
    )


__all__ = ["MAX_UPLOAD_BYTES", "AppContext", "app_context", "today_in_vietnam"]
