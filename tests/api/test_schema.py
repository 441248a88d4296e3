"""The API against its own OpenAPI document, fuzzed with schemathesis.

Every operation of ``/api/v1/openapi.json`` gets generated requests (the
document's examples, its boundary values and random data, valid and invalid),
sent to the composed server (``create_server``) of this module's own copy of the
demo site: once with an assessor's token, once with a facility's, and the norms
operations once more with the Ministry's (the only token they answer with data).
Every answer must be no server error, have a declared status and content type,
carry the declared headers and a body of the declared schema; a request the
document calls valid must not be refused as invalid, and one it calls invalid
must be refused.

Generated ids are never real ones, so the answers about real records (a case
answered with a file and decided, a claim with its case decision, a check, a
dry run, a technique's cost) are checked on explicit requests, validated
against the same document. ``POST /checks`` is not fuzzed: each request runs the
whole check pipeline (seconds), so it is covered by explicit requests.

The number of generated examples per operation is small (``GIAMDINH_SCHEMA_EXAMPLES``,
default 10, 12 in the ``ci`` Hypothesis profile, to keep CI under 20 minutes): the
boundary values are generated whatever the number.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient
from tests.casework import ASSESSOR, PDF, SUPERVISOR, codes_by_facility
from tests.site import copy_site
from tests.uploads import claim_files

from giamdinh.server import create_server
from giamdinh.services import ministry
from giamdinh.services.accounts import actor_of, issue_token
from giamdinh.services.context import AppContext
from giamdinh.services.review import show_case

if TYPE_CHECKING:
    from collections.abc import Iterator

    import httpx2 as httpx
    from schemathesis import Case
    from tests.site import Site

API = "/api/v1"
DOCUMENT = f"{API}/openapi.json"


def _document_app() -> Any:
    """Return a server to read the document from (it does not depend on data)."""
    unused = Path("unused")
    return create_server(
        AppContext(
            database_url="sqlite://",
            store_dir=unused,
            data_dir=unused,
            reference_dirs=unused,
            secret_key="unused",  # noqa: S106 - signs nothing: the document only
        )
    )


schema = schemathesis.openapi.from_asgi(DOCUMENT, _document_app())
#: POST /checks runs the whole check pipeline per request: explicit requests only.
fuzzed_schema = schema.exclude(method="POST", path="/checks")
#: The norms operations answer with data to the Ministry's tokens only.
norms_schema = schema.include(path_regex="^/norms/")

#: What every answer is held to.
RESPONSE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
#: And a generated request the document calls valid must be accepted. Not the
#: converse (``negative_data_rejection``): its "invalid" values are often valid
#: once serialised, e.g. ``false`` for a list-of-strings query parameter is sent
#: as the string ``"false"``, which the document allows; a random run flagged such
#: requests as accepted negative data.
CHECKS = [*RESPONSE_CHECKS, positive_data_acceptance]

IN_CI_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev") == "ci"
EXAMPLES = int(
    os.environ.get("GIAMDINH_SCHEMA_EXAMPLES", "12" if IN_CI_PROFILE else "10")
)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # The same requests on every run: CI must not pass or fail by chance.
    derandomize=True,
    # Generation is slowed by the large response models, not by the server.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class Fuzzed:
    """The server under test, a client of it, and a token per role."""

    def __init__(self, site: Site, client: TestClient) -> None:
        self.site = site
        self.client = client
        self.app = client.app
        url = site.context.database_url
        self.facility = sorted(codes_by_facility(site))[0]
        users = {
            "assessor": ASSESSOR,
            "supervisor": SUPERVISOR,
            "facility": site.facility_user(self.facility),
            "ministry": site.users("ministry")[0],
        }
        self.users = users
        self.tokens = {
            role: issue_token(user, name="schema", database_url=url)
            for role, user in users.items()
        }

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture(scope="module")
def fuzzed(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    """A copy of the demo site (generated actions are posted to it) and its server."""
    own = copy_site(site, tmp_path_factory.mktemp("schema") / "site")
    with TestClient(create_server(own.context)) as client:
        yield Fuzzed(own, client)


def test_the_document_is_the_servers(fuzzed: Fuzzed) -> None:
    served = fuzzed.client.get(DOCUMENT)
    assert served.status_code == 200
    assert served.json() == schema.raw_schema


# ------------------------------------------------------------------ fuzzing


@fuzzed_schema.parametrize()
@FUZZ
def test_fuzz_as_assessor(case: Case[Any], fuzzed: Fuzzed) -> None:
    case.call_and_validate(
        app=fuzzed.app, headers=fuzzed.headers("assessor"), checks=CHECKS
    )


@fuzzed_schema.parametrize()
@FUZZ
def test_fuzz_as_facility(case: Case[Any], fuzzed: Fuzzed) -> None:
    case.call_and_validate(
        app=fuzzed.app, headers=fuzzed.headers("facility"), checks=CHECKS
    )


@norms_schema.parametrize()
@FUZZ
def test_fuzz_norms_as_ministry(case: Case[Any], fuzzed: Fuzzed) -> None:
    case.call_and_validate(
        app=fuzzed.app, headers=fuzzed.headers("ministry"), checks=CHECKS
    )


# ------------------------------------------------------------------ real records


def _call(
    fuzzed: Fuzzed,
    method: str,
    path: str,
    role: str,
    *,
    status: int = 200,
    path_parameters: dict[str, Any] | None = None,
    query: dict[str, Any] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send a request and hold its answer to the document."""
    url = API + path.format(**(path_parameters or {}))
    response = fuzzed.client.request(
        method, url, params=query, headers=fuzzed.headers(role), **kwargs
    )
    assert response.status_code == status, (method, url, response.text[:800])
    case = schema[path][method].Case(
        path_parameters=path_parameters or {}, query=query or {}
    )
    case.validate_response(response, checks=RESPONSE_CHECKS)
    return response


def _files(*items: tuple[str, bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (name, data, "application/octet-stream")) for name, data in items]


def test_checks_posted_and_read_match_the_document(fuzzed: Fuzzed) -> None:
    paths = claim_files(fuzzed.site, fuzzed.facility)[:3]
    created = _call(
        fuzzed,
        "POST",
        "/checks",
        "facility",
        status=201,
        files=_files(*((p.name, p.read_bytes()) for p in paths[:2])),
    ).json()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(paths[2].name, paths[2].read_bytes())
        archive.writestr("ghi-chu.txt", b"not a claim")
    _call(
        fuzzed,
        "POST",
        "/checks",
        "assessor",
        status=201,
        data={"ma_cskcb": fuzzed.facility},
        files=_files(("thang3.zip", buffer.getvalue())),
    )
    _call(fuzzed, "POST", "/checks", "facility", status=422)
    other = next(f for f in fuzzed.site.facilities if f != fuzzed.facility)
    refused = fuzzed.client.post(
        f"{API}/checks",
        headers=fuzzed.headers("facility"),
        data={"ma_cskcb": other},
        files=_files((paths[0].name, paths[0].read_bytes())),
    )
    assert refused.status_code in {400, 403}, refused.text
    schema["/checks"]["POST"].Case().validate_response(refused, checks=RESPONSE_CHECKS)

    check = {"check_id": created["id"]}
    listed = _call(fuzzed, "GET", "/checks", "facility").json()
    assert created["id"] in [c["id"] for c in listed["items"]]
    _call(fuzzed, "GET", "/checks/{check_id}", "facility", path_parameters=check)
    _call(
        fuzzed, "GET", "/checks/{check_id}/workbook", "assessor", path_parameters=check
    )
    _call(
        fuzzed,
        "GET",
        "/checks/{check_id}",
        "facility",
        status=404,
        path_parameters={"check_id": "khong-co"},
    )


def test_a_case_worked_through_matches_the_document(fuzzed: Fuzzed) -> None:
    url = fuzzed.site.context.database_url
    code = codes_by_facility(fuzzed.site)[fuzzed.facility][-1]
    at = {"code": code}
    view = show_case(code, user=SUPERVISOR, database_url=url)
    line = view.lines[0]
    sent = _call(
        fuzzed,
        "POST",
        "/cases/{code}/send",
        "assessor",
        path_parameters=at,
        json={"version": view.row.version},
    ).json()
    answered = _call(
        fuzzed,
        "POST",
        "/cases/{code}/answer",
        "facility",
        path_parameters=at,
        data={"version": str(sent["version"]), "note": "giải trình"},
        files=[("files", ("giai-trinh.pdf", PDF, "application/pdf"))],
    ).json()
    _call(
        fuzzed,
        "POST",
        "/cases/{code}/decide",
        "assessor",
        path_parameters=at,
        json={
            "version": answered["version"],
            "stt": line.stt,
            "claim": line.ma_lk,
            "table": line.tbl,
            "payable": "0",
            "refused": str(line.stake),
            "reason": "Không có kết quả",
            "basis": "tt12_2026/10.1.c",
        },
    )
    _call(
        fuzzed,
        "POST",
        "/cases/{code}/decide",
        "assessor",
        status=409,
        path_parameters=at,
        json={"version": 1, "stt": line.stt, "payable": 0, "reason": "x"},
    )
    detail = _call(
        fuzzed, "GET", "/cases/{code}", "facility", path_parameters=at
    ).json()
    assert detail["lines"][0]["decisions"], detail["lines"][0]
    _call(
        fuzzed,
        "GET",
        "/cases/{code}/attachments/{attachment_id}",
        "assessor",
        path_parameters={**at, "attachment_id": detail["attachments"][0]["id"]},
    )
    claim = _call(
        fuzzed,
        "GET",
        "/claims/{ma_lk}",
        "facility",
        path_parameters={"ma_lk": line.ma_lk},
    ).json()
    assert claim["cases"], claim["cases"]
    _call(fuzzed, "GET", "/cases", "facility", query={"facility": fuzzed.facility})
    _call(fuzzed, "GET", "/review/position", "supervisor")
    _call(fuzzed, "GET", "/review/feedback.xlsx", "facility", query={"code": [code]})


def test_the_insurers_views_match_the_document(fuzzed: Fuzzed) -> None:
    _call(fuzzed, "GET", "/me", "facility")
    _call(fuzzed, "GET", "/claims", "assessor", query={"status": "findings"})
    _call(fuzzed, "GET", "/leads", "assessor")
    _call(fuzzed, "GET", "/dashboard/money", "supervisor")
    rules = _call(fuzzed, "GET", "/rules", "facility", query={"limit": 500}).json()
    rule = {"rule_id": rules["items"][0]["id"]}
    _call(fuzzed, "GET", "/rules/{rule_id}", "supervisor", path_parameters=rule)
    _call(fuzzed, "GET", "/rules/{rule_id}", "facility", path_parameters=rule)
    _call(
        fuzzed,
        "POST",
        "/rules/{rule_id}/dry-run",
        "assessor",
        path_parameters=rule,
        json={"severity": "review"},
    )


def test_the_norms_answers_match_the_document(fuzzed: Fuzzed) -> None:
    url = fuzzed.site.context.database_url
    actor = actor_of(fuzzed.users["ministry"], database_url=url)
    _call(fuzzed, "GET", "/norms/progress", "ministry")
    listed = _call(
        fuzzed, "GET", "/norms/techniques", "ministry", query={"with_drafts": True}
    ).json()
    code = listed["items"][0]["code"]
    detail = ministry.technique_detail(actor, code, database_url=url)
    hospital = next(
        a.hospital_code for a in detail.assignments if a.draft_version is not None
    )
    at = {"code": code}
    _call(fuzzed, "GET", "/norms/techniques/{code}", "ministry", path_parameters=at)
    _call(
        fuzzed,
        "GET",
        "/norms/techniques/{code}/cost",
        "ministry",
        path_parameters=at,
        query={"hospital": hospital, "curve": [100, 1000], "depreciation": "annuity"},
    )
