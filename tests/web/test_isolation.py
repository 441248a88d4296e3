"""Isolation matrix: every page and API route × every role × another facility's ids.

The routes are read from the composed server (``create_server``: the pages of
``giamdinh.web.routes.ROUTERS``, the API mounted at ``/api/v1`` with
``giamdinh.api.routes.ROUTERS``), never listed by hand: a route added later
without an entry in ``MATRIX`` makes its test fail, saying which route and
which parameters to describe. Every path and query parameter of a route must
be in its entry, either as a kind of another facility's id (``Kind.CASE``,
``Kind.MA_LK``, …), as a value no facility owns (``Kind.RULE``, …, "global"),
or as ``Kind.FREE`` (a filter or a page number: not sent).

One copy of the demo site; facility B (the owner) has a check uploaded through
the API and a case answered with a file. For every route and every role —
facility staff of A, facility staff of B, assessor, supervisor, Ministry, admin,
anonymous — the request names B's ids:

- facility A gets 403 or 404 on a route naming B's record, and never a byte of
  B's data (MA_LK, case codes and titles, check id, patients, staff, amounts,
  file names, notes; an id A itself put in the request aside);
- facility B and the insurer get the record (so the ids are real);
- the Ministry and the admin get 403 on every claim, case and check route;
- anonymous gets the login page (pages) or 401 (API);
- a POST is refused with nothing changed in the store, the checks, the
  reference folders and the override log (a case action carries a stale
  version, so an allowed role gets 409 and a refused one 403 or 404 — never the
  409 that would tell it the case exists);
- lists answered to facility A (no id in the path) hold none of B's data.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import sqlite3
import zipfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

import duckdb
import pyarrow.parquet as pq
import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route
from starlette.testclient import TestClient
from tests.casework import ASSESSOR, PDF, SUPERVISOR, codes_by_facility
from tests.site import copy_site, form_token, login
from tests.uploads import claim_files

from giamdinh.api.routes import ROUTERS as API_ROUTERS
from giamdinh.server import create_server
from giamdinh.services import ministry
from giamdinh.services.accounts import actor_of, issue_token
from giamdinh.services.assessment import latest_run
from giamdinh.services.context import AppContext
from giamdinh.services.policy import list_runs
from giamdinh.services.review import show_case
from giamdinh.services.rulebook import rule_catalogue
from giamdinh.web.routes import ROUTERS as WEB_ROUTERS

if TYPE_CHECKING:
    from collections.abc import Iterator

    import httpx2 as httpx
    from starlette.routing import BaseRoute
    from tests.site import Site

API = "/api/v1"
ROLES = (
    "facility_a",
    "facility_b",
    "assessor",
    "supervisor",
    "ministry",
    "admin",
    "anonymous",
)
#: A version no case has: an action that gets past the scoping is refused (409).
STALE = 999_999
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Kind(Enum):
    """What a route's parameter names."""

    # another facility's records: facility B's ids in every request
    CASE = "case"
    ATTACHMENT = "attachment"
    MA_LK = "ma_lk"
    CHECK = "check"
    FACILITY = "facility"
    # values no facility owns ("global"): the same for every role
    RULE = "rule"
    TECHNIQUE = "technique"
    HOSPITAL = "norms hospital"
    USERNAME = "username"
    ACTION = "action"
    LANG = "lang"
    RUN = "policy run"
    # a filter, a page, a switch: not an id, not sent
    FREE = "free"


SCOPED = frozenset({Kind.CASE, Kind.ATTACHMENT, Kind.MA_LK, Kind.CHECK, Kind.FACILITY})

CLAIM = frozenset({"facility", "assessor", "supervisor"})
INSURER = frozenset({"assessor", "supervisor"})
SUPERVISOR_ONLY = frozenset({"supervisor"})
MINISTRY = frozenset({"ministry"})
ADMIN = frozenset({"admin"})
LOGGED_IN = frozenset({"facility", "assessor", "supervisor", "ministry", "admin"})
PUBLIC = LOGGED_IN | {"anonymous"}

REFUSED = frozenset({403, 404})
#: A case action past the scoping: a stale version (409), or not this role's (403).
STALE_ACTION = frozenset({403, 409})


@dataclass(frozen=True)
class Entry:
    """What a route is, for the matrix.

    Attributes:
        who: the roles that may use it ("anonymous" for a public route).
        params: every path and query parameter, by what it names.
        ok: what a role that may use it gets for the request sent.
        form: a POST's form (pages) or JSON body (API); ``{kind}`` in a value
            is replaced by that kind's value (``{facility}``: B's MA_CSKCB).
        multipart: send the POST as multipart with ``files`` (the form as fields).
        files: ``"pdf"`` a small PDF, ``"claim"`` one of B's claim files.
        not_sent: why a role that may use the route is not sent the POST (it
            would change data); its happy path is the area's own test.
        fresh_client: the request changes the session: each role gets its own
            new, logged-in client (and its own address, for the login lock-out).
        changes: the route's purpose is to change the session (login, logout):
            the store is not compared.
        machines_to: roles that may see B's machine codes (``MA_MAY``) there
            though they see no claim: the lent-machine register, which the
            Ministry oversees (equipment, not patients or staff).
    """

    who: frozenset[str]
    params: dict[str, Kind] = field(default_factory=dict)
    ok: frozenset[int] = frozenset({200})
    form: dict[str, Any] | None = None
    multipart: bool = False
    files: str | None = None
    not_sent: str | None = None
    fresh_client: bool = False
    changes: bool = False
    machines_to: frozenset[str] = frozenset()


CASE_FORM = {
    "version": str(STALE),
    "stt": "1",
    "payable": "0",
    "refused": "0",
    "reason": "x",
    "note": "x",
    "to": ASSESSOR,
    "participants": "x",
    "minutes": "x",
}


def _case_action(form: dict[str, Any] | None = None, files: str | None = None) -> Entry:
    return Entry(
        CLAIM,
        {"code": Kind.CASE},
        ok=STALE_ACTION,
        form=form if form is not None else CASE_FORM,
        multipart=files is not None,
        files=files,
    )


#: Every route of the pages.
PAGES: dict[str, Entry] = {
    "GET /login": Entry(PUBLIC, {"next": Kind.FREE}),
    "POST /login": Entry(
        PUBLIC,
        ok=frozenset({401}),
        form={"username": "khong-co-ai", "password": "sai", "next": "/"},
        fresh_client=True,
        changes=True,
    ),
    "POST /logout": Entry(
        PUBLIC, ok=frozenset({303}), form={}, fresh_client=True, changes=True
    ),
    "POST /lang/{lang}": Entry(
        PUBLIC, {"lang": Kind.LANG}, ok=frozenset({303}), form={"back": "/"}
    ),
    "GET /": Entry(LOGGED_IN),
    "GET /facility/check": Entry(CLAIM, {"offset": Kind.FREE}),
    "POST /facility/check": Entry(
        CLAIM,
        form={"ma_cskcb": "{facility}"},
        multipart=True,
        files="claim",
        not_sent="a check of B's files is made (tests/web/test_facility.py)",
    ),
    "GET /facility/check/{check_id}.xlsx": Entry(CLAIM, {"check_id": Kind.CHECK}),
    "GET /facility/check/{check_id}": Entry(CLAIM, {"check_id": Kind.CHECK}),
    "GET /facility/reference": Entry(CLAIM, {"ma_cskcb": Kind.FACILITY}),
    "POST /facility/reference": Entry(
        frozenset({"facility"}),
        ok=frozenset({400}),
        form={"replace_all": "on"},
        multipart=True,
    ),
    "GET /cases": Entry(
        CLAIM,
        {
            "view": Kind.FREE,
            "state": Kind.FREE,
            "facility": Kind.FACILITY,
            "page": Kind.FREE,
        },
    ),
    "GET /cases/feedback.xlsx": Entry(CLAIM),
    "GET /cases/{code}": Entry(CLAIM, {"code": Kind.CASE}),
    "GET /cases/{code}/attachments/{attachment_id}": Entry(
        CLAIM, {"code": Kind.CASE, "attachment_id": Kind.ATTACHMENT}
    ),
    "POST /cases/{code}/send": _case_action(),
    "POST /cases/{code}/answer": _case_action(files="pdf"),
    "POST /cases/{code}/meet": _case_action(),
    "POST /cases/{code}/decide": _case_action(),
    "POST /cases/{code}/close": _case_action(),
    "POST /cases/{code}/appeal": _case_action(files="pdf"),
    "POST /cases/{code}/reassign": _case_action(),
    "POST /cases/{code}/reopen": _case_action(),
    "GET /dashboard": Entry(INSURER),
    "GET /claims": Entry(
        CLAIM,
        {
            "facility": Kind.FACILITY,
            "status": Kind.FREE,
            "q": Kind.MA_LK,
            "page": Kind.FREE,
        },
    ),
    "GET /claims/{ma_lk}": Entry(CLAIM, {"ma_lk": Kind.MA_LK}),
    "GET /leads": Entry(
        INSURER, {"code": Kind.FREE, "facility": Kind.FACILITY, "page": Kind.FREE}
    ),
    "GET /rules": Entry(CLAIM, {"family": Kind.FREE, "severity": Kind.FREE}),
    "GET /rules/{rule_id}": Entry(CLAIM, {"rule_id": Kind.RULE, "recorded": Kind.FREE}),
    "POST /rules/{rule_id}/dry-run": Entry(
        INSURER,
        {"rule_id": Kind.RULE},
        form={"severity": ""},
        not_sent="a dry run takes seconds (tests/web/test_assessor.py)",
    ),
    "POST /rules/{rule_id}/overrides": Entry(
        SUPERVISOR_ONLY,
        {"rule_id": Kind.RULE},
        ok=frozenset({400}),
        form={"why": "", "enabled": "off"},
    ),
    "GET /norms": Entry(
        MINISTRY,
        {
            "as_of": Kind.FREE,
            "q": Kind.FREE,
            "state": Kind.FREE,
            "chapter": Kind.FREE,
            "hospital": Kind.FREE,
            "drafts": Kind.FREE,
            "page": Kind.FREE,
        },
    ),
    "GET /norms/progress.xlsx": Entry(MINISTRY, {"as_of": Kind.FREE}),
    "GET /norms/template.xlsx": Entry(MINISTRY),
    "GET /norms/{code}/drafts/{hospital}.xlsx": Entry(
        MINISTRY, {"code": Kind.TECHNIQUE, "hospital": Kind.HOSPITAL}
    ),
    "GET /norms/{code}/consolidated.xlsx": Entry(
        MINISTRY, {"code": Kind.TECHNIQUE, "method": Kind.FREE}
    ),
    "GET /norms/{code}": Entry(
        MINISTRY,
        {
            "code": Kind.TECHNIQUE,
            "method": Kind.FREE,
            "keep": Kind.FREE,
            "hospital": Kind.FREE,
            "volume": Kind.FREE,
            "depreciation": Kind.FREE,
        },
    ),
    "GET /norms/{code}/consolidate": Entry(
        MINISTRY, {"code": Kind.TECHNIQUE}, ok=frozenset({303})
    ),
    "POST /norms/{code}/consolidate": Entry(
        MINISTRY,
        {"code": Kind.TECHNIQUE},
        ok=frozenset({400}),
        form={"method": "khong-co"},
    ),
    "GET /policy": Entry(INSURER | MINISTRY, {"run": Kind.FREE}),
    "GET /policy/machines": Entry(
        INSURER | MINISTRY, {"overdue": Kind.FREE}, machines_to=MINISTRY
    ),
    "GET /policy/{run}/replay.xlsx": Entry(INSURER, {"run": Kind.RUN}),
    "GET /admin/users": Entry(ADMIN),
    "POST /admin/users": Entry(
        ADMIN,
        ok=frozenset({400}),
        form={
            "username": "",
            "name": "x",
            "role": "facility",
            "facility": "{facility}",
            "password": "",
        },
    ),
    "GET /admin/users/{username}/{action}": Entry(
        ADMIN, {"username": Kind.USERNAME, "action": Kind.ACTION}, ok=frozenset({303})
    ),
    "POST /admin/users/{username}/disable": Entry(
        ADMIN,
        {"username": Kind.USERNAME},
        form={},
        not_sent="it disables B's account (tests/web/test_admin.py)",
    ),
    "POST /admin/users/{username}/password": Entry(
        ADMIN, {"username": Kind.USERNAME}, ok=frozenset({400}), form={"password": ""}
    ),
    "POST /admin/users/{username}/token": Entry(
        ADMIN,
        {"username": Kind.USERNAME},
        form={"name": "x"},
        not_sent="it issues a token for B's account (tests/web/test_admin.py)",
    ),
}

PAGING = {"limit": Kind.FREE, "offset": Kind.FREE}


def _api_action(body: dict[str, Any]) -> Entry:
    return Entry(CLAIM, {"code": Kind.CASE}, ok=STALE_ACTION, form=body)


def _api_upload(field_name: str) -> Entry:
    return Entry(
        CLAIM,
        {"code": Kind.CASE},
        ok=STALE_ACTION,
        form={"version": str(STALE), field_name: "x"},
        multipart=True,
        files="pdf",
    )


#: Every route of the API (paths under ``/api/v1``).
APIS: dict[str, Entry] = {
    "GET /openapi.json": Entry(PUBLIC),
    "GET /me": Entry(LOGGED_IN),
    "POST /checks": Entry(
        CLAIM,
        form={"ma_cskcb": "{facility}"},
        multipart=True,
        files="claim",
        not_sent="a check of B's files is made (tests/api/test_checks.py)",
    ),
    "GET /checks": Entry(CLAIM, {**PAGING, "ma_cskcb": Kind.FACILITY}),
    "GET /checks/{check_id}": Entry(CLAIM, {"check_id": Kind.CHECK}),
    "GET /checks/{check_id}/workbook": Entry(CLAIM, {"check_id": Kind.CHECK}),
    "GET /cases": Entry(
        CLAIM,
        {
            **PAGING,
            "overdue": Kind.FREE,
            "due_within": Kind.FREE,
            "state": Kind.FREE,
            "facility": Kind.FACILITY,
        },
    ),
    "GET /cases/{code}": Entry(CLAIM, {"code": Kind.CASE}),
    "GET /cases/{code}/attachments/{attachment_id}": Entry(
        CLAIM, {"code": Kind.CASE, "attachment_id": Kind.ATTACHMENT}
    ),
    "GET /review/position": Entry(INSURER),
    "GET /review/feedback.xlsx": Entry(CLAIM, {"code": Kind.CASE, "names": Kind.FREE}),
    "POST /cases/{code}/send": _api_action({"version": STALE}),
    "POST /cases/{code}/answer": _api_upload("note"),
    "POST /cases/{code}/meet": _api_action(
        {"version": STALE, "participants": "x", "minutes": "x"}
    ),
    "POST /cases/{code}/decide": _api_action(
        {"version": STALE, "stt": 1, "payable": 0, "reason": "x"}
    ),
    "POST /cases/{code}/close": _api_action({"version": STALE}),
    "POST /cases/{code}/appeal": _api_upload("reason"),
    "POST /cases/{code}/reassign": _api_action({"version": STALE, "to": ASSESSOR}),
    "POST /cases/{code}/reopen": _api_action({"version": STALE, "reason": "x"}),
    "GET /claims": Entry(
        CLAIM,
        {**PAGING, "facility": Kind.FACILITY, "status": Kind.FREE, "q": Kind.MA_LK},
    ),
    "GET /claims/{ma_lk}": Entry(CLAIM, {"ma_lk": Kind.MA_LK}),
    "GET /leads": Entry(
        INSURER, {**PAGING, "code": Kind.FREE, "facility": Kind.FACILITY}
    ),
    "GET /rules": Entry(CLAIM, {**PAGING, "family": Kind.FREE, "severity": Kind.FREE}),
    "GET /rules/{rule_id}": Entry(CLAIM, {"rule_id": Kind.RULE}),
    "POST /rules/{rule_id}/dry-run": Entry(
        INSURER,
        {"rule_id": Kind.RULE},
        form={},
        not_sent="a dry run takes seconds (tests/api/test_assessor.py)",
    ),
    "GET /dashboard/money": Entry(INSURER),
    "GET /norms/progress": Entry(MINISTRY, {"as_of": Kind.FREE}),
    "GET /norms/techniques": Entry(
        MINISTRY,
        {
            **PAGING,
            "q": Kind.FREE,
            "state": Kind.FREE,
            "chapter": Kind.FREE,
            "hospital": Kind.FREE,
            "with_drafts": Kind.FREE,
        },
    ),
    "GET /norms/techniques/{code}": Entry(MINISTRY, {"code": Kind.TECHNIQUE}),
    "GET /norms/techniques/{code}/cost": Entry(
        MINISTRY,
        {
            "code": Kind.TECHNIQUE,
            "volume": Kind.FREE,
            "hospital": Kind.FREE,
            "depreciation": Kind.FREE,
            "curve": Kind.FREE,
        },
    ),
}

MATRIX = {"page": PAGES, "api": APIS}


# ------------------------------------------------------------------ the routes


@dataclass(frozen=True)
class Found:
    """A route of the server: where, how, with which parameters."""

    surface: str  # "page" or "api"
    method: str
    path: str  # as declared; API paths without the /api/v1 prefix
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def _query_names(route: BaseRoute) -> set[str]:
    if not isinstance(route, APIRoute):
        return set()
    names: set[str] = set()
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        names |= {p.alias for p in dependant.query_params}
        pending.extend(dependant.dependencies)
    return names


def _walk(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Route]]:
    """Yield every endpoint route with its full path, through mounts and includes."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:  # an included router, kept as one node
            context = getattr(route, "include_context", None)
            inner = prefix + str(getattr(context, "prefix", "") or "")
            yield from _walk(list(included.routes), inner)
        elif isinstance(route, Mount):
            yield from _walk(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            yield prefix + route.path, route


def server_routes() -> list[Found]:
    """Return every route the composed server answers (static files aside)."""
    unused = Path("unused")
    context = AppContext(
        database_url="sqlite://",
        store_dir=unused,
        data_dir=unused,
        reference_dirs=unused,
        secret_key="unused",  # noqa: S106 - never signs anything: routes only
    )
    found: dict[tuple[str, str, str], Found] = {}
    for full, route in _walk(list(create_server(context).routes)):
        surface, path = (
            ("api", full[len(API) :])
            if full.startswith(API)
            else (
                "page",
                full,
            )
        )
        for method in sorted((route.methods or set()) - {"HEAD"}):
            found[(surface, method, path)] = Found(
                surface=surface,
                method=method,
                path=path,
                path_params=tuple(route.param_convertors),
                query_params=tuple(sorted(_query_names(route))),
            )
    return sorted(found.values(), key=lambda f: (f.surface, f.path, f.method))


ROUTES = server_routes()


def _cases() -> list[Any]:
    out = []
    for route in ROUTES:
        entry = MATRIX[route.surface].get(route.key)
        variants = ["b"]
        if entry is not None and {Kind.CASE, Kind.ATTACHMENT} <= set(
            entry.params.values()
        ):
            variants.append("own case")
        for variant in variants:
            for role in ROLES:
                if (
                    entry is not None
                    and route.method == "POST"
                    and entry.not_sent
                    and _expected(entry, route, role, variant) == entry.ok
                ):
                    # NOTE: a role that may use it: its own tests cover it
                    # (``entry.not_sent`` names them); not sent here.
                    continue
                name = f"{route.surface} {route.key} as {role}"
                if variant != "b":
                    name += f" ({variant})"
                out.append(pytest.param(route, role, variant, id=name))
    return out


def test_the_route_tables_are_walked() -> None:
    """Every router of ``ROUTERS`` is served, and found by the walk."""
    walked = {(r.surface, r.key) for r in ROUTES}
    for surface, routers in (("page", WEB_ROUTERS), ("api", API_ROUTERS)):
        for router in routers:
            for route in router.routes:
                assert isinstance(route, APIRoute)
                for method in route.methods or ():
                    assert (surface, f"{method} {route.path}") in walked


def matrix_problems(routes: list[Found]) -> list[str]:
    """Return what the matrix lacks for ``routes``, or names that is not served."""
    problems = []
    walked = {(r.surface, r.key): r for r in routes}
    for (surface, key), route in walked.items():
        entry = MATRIX[surface].get(key)
        if entry is None:
            problems.append(_missing(route))
            continue
        declared = set(route.path_params) | set(route.query_params)
        if set(entry.params) != declared:
            problems.append(
                f"{surface} {key}: the matrix names the parameters "
                f"{sorted(entry.params)}, the route has {sorted(declared)}: say "
                "what each one names in tests/web/test_isolation.py"
            )
    for surface, table in MATRIX.items():
        problems.extend(
            f"{surface} {key}: in the matrix, but the server has no such route"
            for key in table
            if (surface, key) not in walked
        )
    return problems


def test_every_route_is_in_the_matrix() -> None:
    """A route without an entry, or an entry without a route, fails here."""
    problems = matrix_problems(ROUTES)
    assert not problems, "\n".join(problems)


def test_a_new_route_is_named_with_its_parameters() -> None:
    new = Found("api", "GET", "/invoices/{invoice_id}", ("invoice_id",), ("q",))
    problems = matrix_problems([*ROUTES, new])
    assert problems == [_missing(new)]
    assert "'GET /invoices/{invoice_id}' to APIS" in problems[0]
    assert "'invoice_id' (path), 'q' (query)" in problems[0]
    changed = Found("page", "GET", "/claims/{ma_lk}", ("ma_lk",), ("format",))
    rest = [r for r in ROUTES if (r.surface, r.key) != ("page", changed.key)]
    assert "the route has ['format', 'ma_lk']" in matrix_problems([*rest, changed])[0]


def _missing(route: Found) -> str:
    table = "PAGES" if route.surface == "page" else "APIS"
    params = [f"{p!r} (path)" for p in route.path_params] + [
        f"{p!r} (query)" for p in route.query_params
    ]
    return (
        f"{route.surface} {route.key} is not in the isolation matrix: add "
        f"{route.key!r} to {table} in tests/web/test_isolation.py with the roles "
        f"that may use it and what each parameter names (Kind.CASE, Kind.MA_LK, "
        f"Kind.CHECK, Kind.ATTACHMENT, Kind.FACILITY for a facility's records; a "
        f"global kind or Kind.FREE otherwise): {', '.join(params) or 'no parameter'}"
    )


# ------------------------------------------------------------------ the site


@dataclass
class World:
    """The site, a client per role, facility B's ids and what must not leak."""

    site: Site
    values: dict[Kind, str]
    own: dict[Kind, str]
    web: dict[str, TestClient]
    form_tokens: dict[str, str]
    headers: dict[str, dict[str, str]]
    api: TestClient
    app: Any
    usernames: dict[str, str]
    claim_file: tuple[str, bytes]
    secrets: list[str]
    machines: list[str]
    refusal_secrets: list[str]
    amounts: list[re.Pattern[str]]
    stack: ExitStack


def _facilities(site: Site) -> tuple[str, str]:
    """Return facility A and facility B: both with accounts, cases and claims."""
    with_cases = [
        f
        for f in sorted(codes_by_facility(site))
        if f in site.facilities and claim_files(site, f)
    ]
    assert len(with_cases) >= 2, with_cases
    return with_cases[1], with_cases[0]


def _json(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, response.text[:800]
    return response.json()


def _unique(mine: set[str], others: set[str], shortest: int = 6) -> list[str]:
    return sorted(v for v in mine - others if v and len(v) >= shortest)


def _patients(site: Site, facility: str) -> tuple[set[str], set[str]]:
    """Return identifying values of the patients of ``facility`` and of the others."""
    files = str(site.context.store_dir / "data" / "table=XML1" / "**" / "*.parquet")
    columns = ("HO_TEN", "MA_BN", "SO_CCCD", "MA_THE_BHYT", "DIEN_THOAI")
    with duckdb.connect() as db:
        rows = db.execute(
            f"select MA_CSKCB, {', '.join(columns)} from read_parquet(?)",  # noqa: S608 - the columns are constants
            [files],
        ).fetchall()
    mine: set[str] = set()
    others: set[str] = set()
    for code, *values in rows:
        (mine if code == facility else others).update(str(v) for v in values if v)
    return mine, others


STAFF_FILES = (("M02.csv", ("MA_BHXH", "SO_CCCD", "MACCHN")), ("M06.csv", ("MA_MAY",)))
MACHINE_FILES = (("M06.csv", ("MA_MAY",)),)


def _staff(
    site: Site,
    facility: str,
    files: tuple[tuple[str, tuple[str, ...]], ...] = STAFF_FILES,
) -> tuple[set[str], set[str]]:
    """Return identifying values of the staff and machines in reference folders."""
    import csv

    mine: set[str] = set()
    others: set[str] = set()
    root = site.folder / "province" / "reference"
    for folder in root.iterdir():
        bucket = mine if folder.name == facility else others
        for name, keys in files:
            path = folder / name
            if path.is_file():
                with path.open(encoding="utf-8-sig") as handle:
                    for row in csv.DictReader(handle):
                        bucket.update(row[k] for k in keys if row.get(k))
    return mine, others


def _amounts(site: Site, facility: str) -> list[re.Pattern[str]]:
    """Return patterns of B's claim totals that no other facility's money equals."""
    run = latest_run(site.context.store_dir)
    claims = pq.read_table(run / "claims.parquet").to_pylist()
    lines = pq.read_table(run / "lines.parquet").to_pylist()
    owner = {c["ma_lk"]: c["ma_cskcb"] for c in claims}
    keys = ("claimed", "payable", "refused", "adjusted", "under_review")
    others = {r[k] for r in claims if r["ma_cskcb"] != facility for k in keys} | {
        r[k] for r in lines if owner.get(r["ma_lk"]) != facility for k in keys
    }
    mine = {
        c["claimed"]
        for c in claims
        if c["ma_cskcb"] == facility
        and c["claimed"] >= Decimal(1_000_000)
        and c["claimed"] == c["claimed"].to_integral_value()
    }
    patterns = []
    for value in sorted(mine - others):
        whole = int(value)
        dotted = f"{whole:,}".replace(",", ".")
        patterns.append(
            re.compile(rf"(?<![\d.,]){whole}(?:\.0+)?(?![\d,])|{re.escape(dotted)}")
        )
    return patterns


def _norms(site: Site, minister: str) -> tuple[str, str]:
    """Return a technique with a hospital's draft, and that hospital."""
    url = site.context.database_url
    actor = actor_of(minister, database_url=url)
    for row in ministry.list_techniques(actor, database_url=url, with_drafts=True):
        detail = ministry.technique_detail(actor, row.code, database_url=url)
        for assignment in detail.assignments:
            if assignment.draft_version is not None:
                return row.code, assignment.hospital_code
    raise AssertionError("no technique with a draft in the demo")


NOTE = "Giải trình mật 7731 của cơ sở B"
FILENAME = "giai-trinh-mat-7731.pdf"


def _b_records(
    site: Site, api: TestClient, headers: dict[str, dict[str, str]], facility: str
) -> dict[Kind, str]:
    """Make B's check and answered case through the API; return B's ids."""
    # B checks two of its claim files.
    paths = claim_files(site, facility)[:2]
    created = _json(
        api.post(
            f"{API}/checks",
            headers=headers["facility_b"],
            files=[("files", (p.name, p.read_bytes(), "text/xml")) for p in paths],
        ),
        201,
    )
    # The insurer sends B's first case; B answers it with a file and a note.
    code = codes_by_facility(site)[facility][0]
    version = show_case(
        code, user=SUPERVISOR, database_url=site.context.database_url
    ).row.version
    _json(
        api.post(
            f"{API}/cases/{code}/send",
            headers=headers["assessor"],
            json={"version": version},
        ),
        200,
    )
    answered = _json(
        api.post(
            f"{API}/cases/{code}/answer",
            headers=headers["facility_b"],
            data={"version": str(version + 1), "note": NOTE},
            files=[("files", (FILENAME, PDF, "application/pdf"))],
        ),
        200,
    )
    assert answered["state"] == "answered", answered
    # The assessor decides its first line: B's feedback workbook has a row.
    url = site.context.database_url
    first = show_case(code, user=SUPERVISOR, database_url=url).lines[0]
    _json(
        api.post(
            f"{API}/cases/{code}/decide",
            headers=headers["assessor"],
            json={
                "version": answered["version"],
                "stt": first.stt,
                "claim": first.ma_lk,
                "table": first.tbl,
                "payable": "0",
                "refused": str(first.stake),
                "reason": "Không có kết quả",
                "basis": "tt12_2026/10.1.c",
            },
        ),
        200,
    )
    detail = _json(api.get(f"{API}/cases/{code}", headers=headers["facility_b"]), 200)
    return {
        Kind.CASE: code,
        Kind.ATTACHMENT: str(detail["attachments"][0]["id"]),
        Kind.MA_LK: detail["lines"][0]["ma_lk"],
        Kind.CHECK: created["id"],
        Kind.FACILITY: facility,
    }


def _secrets(site: Site, facility: str, check_id: str) -> list[str]:
    """Return B's data: claims, cases, check, file and note, patients, staff."""
    url = site.context.database_url
    run = latest_run(site.context.store_dir)
    claims = pq.read_table(run / "claims.parquet").to_pylist()
    secrets = {c["ma_lk"] for c in claims if c["ma_cskcb"] == facility}
    secrets |= {check_id, FILENAME, NOTE}
    for code in codes_by_facility(site)[facility]:
        case = show_case(code, user=SUPERVISOR, database_url=url).case
        secrets |= {code, case.title, case.title_en}
    patients, other_patients = _patients(site, facility)
    staff, other_staff = _staff(site, facility)
    return (
        sorted(secrets)
        + _unique(patients, other_patients)
        + _unique(staff, other_staff)
    )


@pytest.fixture(scope="module")
def world(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The matrix's own copy of the demo site, set up through the API."""
    own = copy_site(site, tmp_path_factory.mktemp("isolation") / "site")
    url = own.context.database_url
    facility_a, facility_b = _facilities(own)
    usernames = {
        "facility_a": own.facility_user(facility_a),
        "facility_b": own.facility_user(facility_b),
        "assessor": ASSESSOR,
        "supervisor": SUPERVISOR,
        "ministry": own.users("ministry")[0],
        "admin": own.users("admin")[0],
    }
    headers = {
        role: {
            "Authorization": "Bearer "
            + issue_token(user, name="isolation", database_url=url)
        }
        for role, user in usernames.items()
    }
    headers["anonymous"] = {}
    app = create_server(own.context)
    with ExitStack() as stack:
        api = stack.enter_context(TestClient(app))
        values = _b_records(own, api, headers, facility_b)
        technique, hospital = _norms(own, usernames["ministry"])
        values |= {
            Kind.RULE: rule_catalogue(actor_of(ASSESSOR, database_url=url))[0].id,
            Kind.TECHNIQUE: technique,
            Kind.HOSPITAL: hospital,
            Kind.USERNAME: usernames["facility_b"],
            Kind.ACTION: "disable",
            Kind.LANG: "vi",
            Kind.RUN: list_runs(
                actor_of(ASSESSOR, database_url=url), own.context.store_dir
            )[0].name,
        }
        web: dict[str, TestClient] = {}
        tokens: dict[str, str] = {}
        for role in ROLES:
            web[role] = stack.enter_context(TestClient(app))
            tokens[role] = (
                form_token(web[role], "/login")
                if role == "anonymous"
                else login(web[role], usernames[role])
            )
        claim_path = claim_files(own, facility_b)[0]
        yield World(
            site=own,
            values=values,
            own={Kind.CASE: codes_by_facility(own)[facility_a][0]},
            web=web,
            form_tokens=tokens,
            headers=headers,
            api=api,
            app=app,
            usernames=usernames,
            claim_file=(claim_path.name, claim_path.read_bytes()),
            secrets=_secrets(own, facility_b, values[Kind.CHECK]),
            machines=_unique(*_staff(own, facility_b, MACHINE_FILES)),
            refusal_secrets=[facility_b],
            amounts=_amounts(own, facility_b),
            stack=stack,
        )


# ------------------------------------------------------------------ checking


def _readable(response: httpx.Response) -> str:
    """Return the response as text a person could read: headers, body, workbook."""
    parts = [
        f"{k}: {v}"
        for k, v in response.headers.items()
        if k.lower() in {"location", "content-disposition"}
    ]
    content = response.content
    if content.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts.extend(
                archive.read(name).decode("utf-8", "replace")
                for name in archive.namelist()
            )
    else:
        parts.append(content.decode("utf-8", "replace"))
    return unquote(html.unescape("\n".join(parts)))


def _leaks(
    world: World, response: httpx.Response, sent: str, *, refusal: bool
) -> list[str]:
    """Return what of B's data the response shows (beyond what the request sent)."""
    text = _readable(response).casefold()
    sent = sent.casefold()
    secrets = world.secrets + (world.refusal_secrets if refusal else [])
    found = [s for s in secrets if s.casefold() in text and s.casefold() not in sent]
    found += [p.pattern for p in world.amounts if p.search(text) and not p.search(sent)]
    return found


#: Columns that change when a client logs in or uses a token.
VOLATILE = {("review_user", "last_login_at"), ("api_token", "last_used_at")}
LARGE = 2000


def _fingerprint(context: AppContext) -> str:
    """Return a digest of what a request could change: store, files, overrides."""
    digest = hashlib.sha256()
    path = context.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        tables = [
            r[0]
            for r in db.execute(
                "select name from sqlite_master where type='table' order by name"
            )
        ]
        for table in tables:
            columns = [
                r[1]
                for r in db.execute(f"pragma table_info('{table}')")
                if (table, r[1]) not in VOLATILE
            ]
            count = db.execute(f'select count(*) from "{table}"').fetchone()[0]  # noqa: S608 - names from the schema
            if count > LARGE:
                rows: Any = db.execute(
                    f'select count(*), max(rowid) from "{table}"'  # noqa: S608
                ).fetchall()
            else:
                names = ", ".join(f'"{c}"' for c in columns)
                rows = db.execute(
                    f'select {names} from "{table}" order by rowid'  # noqa: S608
                ).fetchall()
            digest.update(repr((table, rows)).encode())
    for folder in (context.data_dir, context.reference_dirs):
        for item in sorted(folder.rglob("*")):
            if item.is_file():
                stat = item.stat()
                rel = item.relative_to(folder)
                digest.update(f"{rel}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def _expected(entry: Entry, route: Found, role: str, variant: str) -> frozenset[int]:
    """Return the statuses ``role`` may get for the request sent."""
    kinds = {entry.params.get(p) for p in route.path_params}
    scoped_path = bool(kinds & SCOPED)
    scoped_other = any(
        entry.params.get(q) in SCOPED for q in route.query_params
    ) or any("{" in str(v) for v in (entry.form or {}).values())
    base = role.removesuffix("_a").removesuffix("_b")
    expected = entry.ok
    if role == "anonymous" and "anonymous" not in entry.who:
        expected = frozenset({303} if route.surface == "page" else {401})
    elif role != "anonymous" and base not in entry.who:
        expected = frozenset({403})
    elif variant != "b":  # another case's attachment: no such file in that case
        expected = REFUSED if role == "facility_a" else frozenset({404})
    elif role == "facility_a" and scoped_path:
        expected = REFUSED
    elif role == "facility_a" and scoped_other:
        # a filter naming B: nothing of B's, or refused
        expected = (
            entry.ok | REFUSED | {400}
            if route.method == "GET"
            else REFUSED | {400, 422}
        )
    return expected


def _fill(value: Any, values: dict[Kind, str]) -> Any:
    if isinstance(value, str):
        for kind, text in values.items():
            value = value.replace("{" + kind.value + "}", text)
    return value


def _request(
    world: World, route: Found, entry: Entry, role: str, variant: str
) -> tuple[httpx.Response, str]:
    """Send the route's request as ``role``; return the answer and what was sent."""
    values = dict(world.values)
    if variant == "own case":
        values[Kind.CASE] = world.own[Kind.CASE]
    path = route.path
    for name in route.path_params:
        path = path.replace(
            "{" + name + "}", quote(values[entry.params[name]], safe="")
        )
    query = {
        name: values[kind]
        for name, kind in entry.params.items()
        if name in route.query_params and kind is not Kind.FREE
    }
    url = (API + path) if route.surface == "api" else path
    form = {k: _fill(v, values) for k, v in (entry.form or {}).items()}
    sent = " ".join([url, *map(str, query.values()), *map(str, form.values())])
    if route.surface == "page":
        headers: dict[str, str] = {}
        client = world.web[role]
        if entry.fresh_client:
            address = f"127.0.0.{ROLES.index(role) + 10}"
            client = world.stack.enter_context(
                TestClient(world.app, client=(address, 50000))
            )
            token = (
                form_token(client, "/login")
                if role == "anonymous"
                else login(client, world.usernames[role])
            )
        else:
            token = world.form_tokens[role]
        if route.method == "POST":
            form["csrf_token"] = token
    else:
        headers = world.headers[role]
        client = world.api
    if route.method == "GET":
        response = client.get(
            url, params=query, headers=headers, follow_redirects=False
        )
        return response, sent
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None
    if entry.files == "pdf":
        files = [("files", ("x.pdf", PDF, "application/pdf"))]
    elif entry.files == "claim":
        name, data = world.claim_file
        files = [("files", (name, data, "text/xml"))]
    if route.surface == "page" or entry.multipart:
        response = client.post(
            url,
            params=query,
            data={k: str(v) for k, v in form.items()},
            files=files if entry.multipart else None,
            headers=headers,
            follow_redirects=False,
        )
    else:
        response = client.post(
            url, params=query, json=form, headers=headers, follow_redirects=False
        )
    return response, sent


@pytest.mark.parametrize(("route", "role", "variant"), _cases())
def test_isolation(world: World, route: Found, role: str, variant: str) -> None:
    entry = MATRIX[route.surface].get(route.key)
    if entry is None:
        pytest.fail(_missing(route))
    expected = _expected(entry, route, role, variant)
    before = _fingerprint(world.site.context) if route.method == "POST" else ""

    response, sent = _request(world, route, entry, role, variant)

    where = f"{route.surface} {route.method} {response.request.url} as {role}"
    assert response.status_code in expected, (
        f"{where}: {response.status_code}, expected {sorted(expected)}: "
        f"{response.text[:400]}"
    )
    assert response.status_code < 500, where
    if (
        response.status_code == 303
        and role == "anonymous"
        and "anonymous" not in entry.who
    ):
        assert response.headers["location"].startswith("/login?next="), where
    if route.surface == "api" and response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}, (where, body)
        assert body["error"]["status"] == response.status_code, (where, body)
    outsider = role in {"facility_a", "ministry", "admin", "anonymous"}
    if outsider or (variant != "b" and role != "facility_b"):
        leaks = _leaks(world, response, sent, refusal=response.status_code >= 300)
        if role in entry.machines_to:
            leaks = [x for x in leaks if x not in world.machines]
        assert not leaks, f"{where}: B's data in the answer: {leaks}"
    if route.method == "POST" and not entry.changes:
        assert _fingerprint(world.site.context) == before, (
            f"{where}: the request changed the store or the files"
        )


def test_the_secrets_are_recognised_in_bs_own_answers(world: World) -> None:
    """The leak check finds B's data where B may see it (so it can find a leak)."""
    code = world.values[Kind.CASE]
    ma_lk = world.values[Kind.MA_LK]
    check = world.values[Kind.CHECK]
    assert len(world.secrets) > 50, world.secrets
    assert world.amounts, "no amount of B's is its own"
    client, headers = world.web["facility_b"], world.headers["facility_b"]
    for response, wanted in (
        (client.get(f"/cases/{code}"), ["GD2026", "7731"]),
        (client.get(f"/claims/{ma_lk}"), [ma_lk]),
        (client.get(f"/facility/check/{check}"), [check]),
        (client.get(f"/facility/check/{check}.xlsx"), []),
        (client.get("/cases/feedback.xlsx"), [ma_lk]),
        (world.api.get(f"{API}/review/feedback.xlsx", headers=headers), [ma_lk]),
        (world.api.get(f"{API}/cases/{code}", headers=headers), ["7731"]),
        (world.api.get(f"{API}/claims?limit=500", headers=headers), []),
    ):
        assert response.status_code == 200, response.request.url
        found = _leaks(world, response, "", refusal=False)
        assert found, f"{response.request.url}: none of B's data recognised"
        for text in wanted:
            assert any(text.casefold() in f.casefold() for f in found), (text, found)


def test_facility_a_cannot_check_bs_files_as_its_own(world: World) -> None:
    """B's claim files sent by A without naming a facility are refused, not checked."""
    name, data = world.claim_file
    before = _fingerprint(world.site.context)
    page = world.web["facility_a"].post(
        "/facility/check",
        data={"csrf_token": world.form_tokens["facility_a"]},
        files=[("files", (name, data, "text/xml"))],
        follow_redirects=False,
    )
    api = world.api.post(
        f"{API}/checks",
        headers=world.headers["facility_a"],
        files=[("files", (name, data, "text/xml"))],
    )
    for response in (page, api):
        assert response.status_code in {400, 403}, response.text[:400]
    assert _fingerprint(world.site.context) == before


def test_the_register_shows_the_ministry_bs_machines_and_nothing_else(
    world: World,
) -> None:
    """The one exemption (B's machine codes on the register) is real and narrow."""
    assert world.machines, "B lends no machine in the demo"
    response = world.web["ministry"].get("/policy/machines")
    assert response.status_code == 200
    found = _leaks(world, response, "", refusal=False)
    assert found, "none of B's lent machines on the register"
    assert set(found) <= set(world.machines)
