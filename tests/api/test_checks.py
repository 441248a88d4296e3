"""``/api/v1/checks``: post claim files, list, read the result and the workbook."""

from __future__ import annotations

import io
import time
from dataclasses import replace
from typing import TYPE_CHECKING

import openpyxl
import pytest
from starlette.testclient import TestClient
from tests.uploads import (
    XXE,
    claim_files,
    facility_with_claims,
    own_context,
    zip_bomb,
    zip_of,
)

from giamdinh.server import create_server
from giamdinh.services.accounts import issue_token
from giamdinh.services.check_model import CheckOutput
from giamdinh.services.check_report import SHEETS
from giamdinh.standard.reader import read_bytes

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    import httpx2 as httpx
    from tests.site import Site

    from giamdinh.services.context import AppContext

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def ctx(site: Site, tmp_path: Path) -> AppContext:
    return own_context(site, tmp_path)


@pytest.fixture
def api(ctx: AppContext) -> Iterator[TestClient]:
    with TestClient(create_server(ctx), base_url="http://testserver/api/v1/") as c:
        yield c


@pytest.fixture
def codes(site: Site) -> tuple[str, str]:
    first = facility_with_claims(site)
    return first, facility_with_claims(site, other_than=first)


def _auth(site: Site, username: str) -> dict[str, str]:
    token = issue_token(username, name="test", database_url=site.context.database_url)
    return {"Authorization": f"Bearer {token}"}


def _post(
    client: TestClient,
    headers: dict[str, str],
    files: list[tuple[str, bytes]],
    **fields: str,
) -> httpx.Response:
    return client.post(
        "checks",
        headers=headers,
        data=fields,
        files=[
            ("files", (name, data, "application/octet-stream")) for name, data in files
        ],
    )


def _error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text[:800]
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status
    assert body["error"]["code"] == code
    message: str = body["error"]["message"]
    return message


def test_post_a_zip_then_list_read_and_download(
    site: Site, api: TestClient, codes: tuple[str, str]
) -> None:
    code, other = codes
    mine = _auth(site, site.facility_user(code))
    paths = claim_files(site, code)[:3]
    data = zip_of({p.name: p.read_bytes() for p in paths})

    created = _post(api, mine, [("thang3.zip", data)])
    assert created.status_code == 201, created.text[:800]
    body = created.json()
    check_id = body["id"]
    assert body["check"]["ma_cskcb"] == code
    assert body["check"]["username"] == site.facility_user(code)
    result = CheckOutput.model_validate(body["result"])
    assert result.totals.claims == 3
    assert {c.ma_lk for c in result.claims} == {p.stem for p in paths}
    assert [f.path for f in result.files] == [f"thang3.zip/{p.name}" for p in paths]

    listed = api.get("checks", headers=mine, params={"limit": 10})
    assert listed.status_code == 200
    page = listed.json()
    assert page["total"] == 1
    assert page["limit"] == 10
    assert [c["id"] for c in page["items"]] == [check_id]

    read = api.get(f"checks/{check_id}", headers=mine)
    assert read.status_code == 200
    assert read.json() == body["result"]
    assert CheckOutput.model_validate(read.json()).totals == result.totals

    workbook = api.get(f"checks/{check_id}/workbook", headers=mine)
    assert workbook.status_code == 200
    assert workbook.headers["content-type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(workbook.content))
    assert book.sheetnames == list(SHEETS)
    assert book[SHEETS[0]].max_row == 4

    theirs = _auth(site, site.facility_user(other))
    for url in (f"checks/{check_id}", f"checks/{check_id}/workbook"):
        refused = api.get(url, headers=theirs)
        _error(refused, 404, "not_found")
        for p in paths:
            assert p.stem not in refused.text
    assert api.get("checks", headers=theirs).json()["total"] == 0

    assessor = _auth(site, site.users("supervisor")[0])
    assert api.get(f"checks/{check_id}", headers=assessor).status_code == 200
    only = api.get("checks", headers=assessor, params={"ma_cskcb": other})
    assert only.json()["items"] == []

    ministry = _auth(site, site.users("ministry")[0])
    _error(api.get("checks", headers=ministry), 403, "forbidden")
    _error(api.get(f"checks/{check_id}", headers=ministry), 403, "forbidden")
    _error(api.get("checks"), 401, "unauthenticated")
    _error(api.get("checks/not-an-id", headers=mine), 404, "not_found")


def test_hostile_xml_comes_back_with_the_reader_s_message(
    site: Site, api: TestClient, codes: tuple[str, str]
) -> None:
    headers = _auth(site, site.facility_user(codes[0]))
    pdf = b"%PDF-1.4 not a claim file"
    created = _post(api, headers, [("hostile.xml", XXE), ("scan.pdf", pdf)])
    assert created.status_code == 201, created.text[:800]
    result = CheckOutput.model_validate(created.json()["result"])
    hostile, scan = result.files
    assert hostile.path == "hostile.xml"
    assert hostile.status == "rejected"
    assert [e.code for e in hostile.errors] == ["IN007"]
    assert "DOCTYPE" in hostile.errors[0].message
    # A file is taken as given, as `giamdinh check` does: the reader says why.
    assert scan.path == "scan.pdf"
    assert scan.status == "rejected"
    assert [e.code for e in scan.errors] == [read_bytes(pdf).findings[0].code]
    assert result.claims == []


def test_refusals_name_the_file(
    site: Site, api: TestClient, codes: tuple[str, str]
) -> None:
    code, other = codes
    mine = _auth(site, site.facility_user(code))
    theirs = claim_files(site, other)[0]
    message = _error(
        _post(api, mine, [(theirs.name, theirs.read_bytes())]), 400, "bad_request"
    )
    assert theirs.name in message
    assert other in message

    message = _error(
        _post(api, mine, [("x.zip", zip_of({"../evil.xml": b"<x/>"}))]),
        400,
        "bad_request",
    )
    assert "x.zip: ../evil.xml" in message

    started = time.perf_counter()
    message = _error(_post(api, mine, [("bomb.zip", zip_bomb())]), 400, "bad_request")
    assert time.perf_counter() - started < 5
    assert "zip bomb" in message

    _error(_post(api, mine, [("a.xml", b"<x/>")], ma_cskcb=other), 403, "forbidden")
    ministry = _auth(site, site.users("ministry")[0])
    _error(_post(api, ministry, [("a.xml", b"<x/>")]), 403, "forbidden")
    assert api.get("checks", headers=mine).json()["total"] == 0


def test_an_oversize_upload_is_413_naming_the_file(
    site: Site, ctx: AppContext, codes: tuple[str, str]
) -> None:
    small = replace(ctx, max_upload_bytes=4096)
    path = claim_files(site, codes[0])[0]
    headers = _auth(site, site.facility_user(codes[0]))
    with TestClient(create_server(small), base_url="http://testserver/api/v1/") as c:
        response = _post(c, headers, [(path.name, path.read_bytes())])
    message = _error(response, 413, "too_large")
    assert f"{path.name}: tải lên vượt quá giới hạn 4 KB" in message
    assert "exceeds the limit" in message


def test_the_openapi_document_declares_the_checks(api: TestClient) -> None:
    document = api.get("openapi.json").json()
    paths = document["paths"]
    post = paths["/checks"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert {"201", "400", "401", "403", "413"} <= set(post["responses"])
    one = paths["/checks/{check_id}"]["get"]["responses"]["200"]
    assert one["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CheckOutput"
    }
    workbook = paths["/checks/{check_id}/workbook"]["get"]["responses"]["200"]
    assert XLSX in workbook["content"]
