"""A small demo site for the web and API tests: province, store, cases, accounts.

``build_site`` runs the demo on a few hundred claims (once per test session, via
the ``site`` fixtures of ``tests/web/conftest.py`` and ``tests/api/conftest.py``);
``copy_site`` gives a test that changes data a copy of its own.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from giamdinh.services.context import AppContext, app_context
from giamdinh.services.demo import DEMO_PASSWORD, demo_accounts, run_demo

if TYPE_CHECKING:
    from pathlib import Path

    from starlette.testclient import TestClient

SITE_CLAIMS = 400
SITE_SEED = 2026


@dataclass(frozen=True, slots=True)
class Site:
    """A demo site: its folder, the server context and the accounts."""

    folder: Path
    context: AppContext
    accounts: list[tuple[str, str, str | None]]

    def users(self, role: str) -> list[str]:
        """Return the user names of a role."""
        return [u for u, r, _ in self.accounts if r == role]

    def facility_user(self, ma_cskcb: str) -> str:
        """Return the facility account of ``ma_cskcb``."""
        return next(u for u, r, f in self.accounts if r == "facility" and f == ma_cskcb)

    @property
    def facilities(self) -> list[str]:
        """Return the facilities that have an account, sorted."""
        return sorted(f for _, r, f in self.accounts if r == "facility" and f)


def _context(folder: Path) -> AppContext:
    return app_context(
        database_url=f"sqlite:///{folder / 'giamdinh.db'}",
        store_dir=folder / "store",
        data_dir=folder / "web",
        reference_dirs=folder / "province" / "reference",
    )


def build_site(folder: Path) -> Site:
    """Run the demo on ``SITE_CLAIMS`` claims in ``folder`` with its accounts."""
    run_demo(folder, claims=SITE_CLAIMS, seed=SITE_SEED)
    accounts = demo_accounts(folder)
    return Site(folder=folder, context=_context(folder), accounts=accounts)


def copy_site(site: Site, target: Path) -> Site:
    """Return a copy of ``site`` in ``target`` (a test may change it freely)."""
    shutil.copytree(site.folder, target)
    return replace(site, folder=target, context=_context(target))


_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(client: TestClient, path: str = "/login") -> str:
    """Return the form token of the client's session, read from a page's form."""
    page = client.get(path)
    found = _TOKEN.search(page.text)
    assert found is not None, f"no form token on {path}"
    return found.group(1)


def login(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> str:
    """Log ``client`` in as ``username``; return the session's form token."""
    token = form_token(client)
    response = client.post(
        "/login",
        data={
            "csrf_token": token,
            "username": username,
            "password": password,
            "next": "/",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    return form_token(client, "/")
