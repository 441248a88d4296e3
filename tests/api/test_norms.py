"""``/api/v1/norms``: progress, techniques (paged), one technique, cost by volume."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from giamdinh.norms.demo import HOSPITALS, planned_techniques
from giamdinh.services.accounts import issue_token

if TYPE_CHECKING:
    from starlette.testclient import TestClient
    from tests.site import Site

API = "/api/v1/norms"
LINAC = "12.0344"
OUTLIER_TECHNIQUE = "12.0345"
ENDPOINTS = (
    f"{API}/progress",
    f"{API}/techniques",
    f"{API}/techniques/{LINAC}",
    f"{API}/techniques/{LINAC}/cost?volume=6250",
)


def _names_containing(folded: str) -> int:
    """Count the demo's techniques whose name holds ``folded`` (no case, no accents)."""

    def fold(text: str) -> str:
        text = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
        return "".join(c for c in text if unicodedata.category(c) != "Mn")

    return sum(1 for t in planned_techniques() if folded in fold(str(t["name"])))


def _headers(site: Site, username: str) -> dict[str, str]:
    token = issue_token(username, name="test", database_url=site.context.database_url)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def ministry(site: Site) -> dict[str, str]:
    return _headers(site, site.users("ministry")[0])


def test_progress_gives_the_headline_and_the_hospitals(
    client: TestClient, ministry: dict[str, str]
) -> None:
    response = client.get(f"{API}/progress", headers=ministry)
    assert response.status_code == 200
    body = response.json()
    assert body["headline"] == {
        "assigned": 9033,
        "qualified": 5386,
        "drafts_sent": 2790,
    }
    assert body["text"] == "assigned 9,033 / qualified 5,386 / drafts sent 2,790"
    hospitals = {row["key"] for row in body["by_hospital"]}
    assert hospitals == {code for code, *_ in HOSPITALS}
    assert sum(row["assigned"] for row in body["by_hospital"]) == 9033
    assert sum(row["drafts_sent"] for row in body["by_chapter"]) == 2790
    assert body["total"]["key"] == "*"
    old = client.get(f"{API}/progress?as_of=2025-11-11", headers=ministry).json()
    assert old["as_of"] == "2025-11-11"
    assert old["headline"] == body["headline"]
    early = client.get(f"{API}/progress?as_of=2025-01-01", headers=ministry).json()
    assert early["headline"] == {"assigned": 0, "qualified": 0, "drafts_sent": 0}
    last = client.get(f"{API}/progress?as_of=9999-12-31", headers=ministry)
    assert last.status_code == 200
    assert last.json()["headline"] == body["headline"]


def test_techniques_are_paged_and_filtered(
    client: TestClient, ministry: dict[str, str]
) -> None:
    first = client.get(f"{API}/techniques?limit=10", headers=ministry).json()
    assert first["total"] == 9033
    assert len(first["items"]) == 10
    assert first["items"][0]["code"] < first["items"][1]["code"]
    last = client.get(f"{API}/techniques?limit=10&offset=9030", headers=ministry)
    assert len(last.json()["items"]) == 3
    drafts = client.get(
        f"{API}/techniques?with_drafts=true&limit=100", headers=ministry
    ).json()
    assert drafts["total"] == 35
    linac = next(i for i in drafts["items"] if i["code"] == LINAC)
    assert linac["drafts"] == 4
    assert linac["national_version"] == 1
    assert linac["state"] == "submitted"
    searched = client.get(
        f"{API}/techniques", params={"q": "cong huong tu"}, headers=ministry
    ).json()
    assert searched["total"] == _names_containing("cong huong tu") > 100
    state = client.get(
        f"{API}/techniques?state=not_qualified&limit=1", headers=ministry
    ).json()
    assert state["total"] == 3093
    hospital = client.get(
        f"{API}/techniques?hospital=MATDN&limit=1", headers=ministry
    ).json()
    assert hospital["total"] == 182
    bad = client.get(f"{API}/techniques?state=nonsense", headers=ministry)
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid"
    too_many = client.get(f"{API}/techniques?limit=100000", headers=ministry)
    assert too_many.status_code == 422


def test_a_technique_has_its_drafts_comparison_and_national_norm(
    client: TestClient, ministry: dict[str, str]
) -> None:
    response = client.get(f"{API}/techniques/{OUTLIER_TECHNIQUE}", headers=ministry)
    assert response.status_code == 200
    body = response.json()
    assert body["hospitals"] == ["BACHMAI", "CHORAY", "DHYDHCM", "HUETW"]
    focal = body["assignments"][0]
    assert focal["hospital_code"] == "BACHMAI"
    assert focal["is_focal"] is True
    ktv = next(line for line in body["comparison"] if line["resource_code"] == "KTV")
    assert ktv["outliers"] == ["DHYDHCM"]
    assert ktv["n"] == 4
    assert set(ktv["values"]) == set(body["hospitals"])
    assert Decimal(ktv["median"]) == Decimal("43.2")
    assert "E" not in body["volumes"]["BACHMAI"]  # plain notation, never 1.95E+4
    assert body["national"]["version"] == 1
    assert body["national"]["method"] == "median"
    national_ktv = next(
        line for line in body["national"]["lines"] if line["resource_code"] == "KTV"
    )
    assert Decimal(national_ktv["value"]) == Decimal("43.2")
    bare = client.get(f"{API}/techniques/01.0001", headers=ministry).json()
    assert bare["comparison"] == []
    assert bare["national"] is None


def test_cost_with_the_volume_curve(
    client: TestClient, ministry: dict[str, str]
) -> None:
    response = client.get(
        f"{API}/techniques/{LINAC}/cost",
        params={"volume": "6250", "curve": ["6250", "30000"]},
        headers=ministry,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["subject"] == "national v1"
    assert body["unit_cost"] == "1390683.89"
    assert body["idle_capacity_cost"] == "10600000000.00"
    assert set(body["components"]) == {"direct", "salary", "management", "depreciation"}
    assert [p["volume"] for p in body["curve"]] == ["6250", "30000"]
    assert body["curve"][1]["unit_cost"] == "804915.47"
    default = client.get(f"{API}/techniques/{LINAC}/cost", headers=ministry).json()
    assert default["annual_volume"] is None
    assert len(default["curve"]) >= 10
    costs = [Decimal(p["unit_cost"]) for p in default["curve"]]
    assert costs == sorted(costs, reverse=True)  # fixed costs spread thinner
    draft = client.get(
        f"{API}/techniques/{LINAC}/cost?hospital=CHORAY&depreciation=annuity",
        headers=ministry,
    ).json()
    assert draft["subject"] == "CHORAY v1"
    assert draft["depreciation"] == "annuity"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"{API}/techniques/99.9999", 404),
        (f"{API}/techniques/99.9999/cost", 404),
        (f"{API}/techniques/{LINAC}/cost?hospital=NOWHERE", 404),
        (f"{API}/techniques/01.0001/cost", 400),
        (f"{API}/techniques/{LINAC}/cost?volume=0", 422),
        (f"{API}/techniques/{LINAC}/cost?volume=NaN", 422),
        (f"{API}/techniques/{LINAC}/cost?curve=-5", 422),
        (f"{API}/techniques/{LINAC}/cost?depreciation=magic", 422),
        (f"{API}/techniques/{LINAC}/cost?curve=", 422),
        (f"{API}/techniques/{LINAC}/cost?volum=6250", 422),  # misspelt: refused
        (f"{API}/progress?as_of=0", 422),  # not read as a Unix time
        (f"{API}/progress?as_of=2025-02-30", 422),
    ],
)
def test_errors_have_the_one_shape(
    client: TestClient, ministry: dict[str, str], path: str, status: int
) -> None:
    response = client.get(path, headers=ministry)
    assert response.status_code == status
    assert response.json()["error"]["status"] == status


@pytest.mark.parametrize("role", ["facility", "assessor", "supervisor", "admin"])
def test_other_roles_get_403(client: TestClient, site: Site, role: str) -> None:
    username = (
        site.facility_user(site.facilities[0])
        if role == "facility"
        else site.users(role)[0]
    )
    headers = _headers(site, username)
    for path in ENDPOINTS:
        response = client.get(path, headers=headers)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "forbidden"
        assert "BACHMAI" not in response.text
        assert "9033" not in response.text


def test_no_token_no_norms(client: TestClient) -> None:
    for path in ENDPOINTS:
        assert client.get(path).status_code == 401
        bad = client.get(path, headers={"Authorization": "Bearer gd_nope"})
        assert bad.status_code == 401


def test_the_openapi_document_declares_the_norms(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    for path in (
        "/norms/progress",
        "/norms/techniques",
        "/norms/techniques/{code}",
        "/norms/techniques/{code}/cost",
    ):
        responses = paths[path]["get"]["responses"]
        assert {"200", "401", "403", "404", "422"} <= set(responses)
    cost = document["components"]["schemas"]["CostOut"]["properties"]
    assert cost["unit_cost"]["type"] == "string"  # exact decimal as text
