"""The insurer's API: claims explained, leads, rules, dry runs, the money report."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from tests.assessor_support import (
    claim_in_case,
    direct_dry_run,
    explained_claim,
    other_facility,
    plant_leads,
    query,
    run_totals,
)

from giamdinh.services.accounts import issue_token
from giamdinh.services.demo import DEMO_ADMIN, DEMO_MINISTRY

if TYPE_CHECKING:
    from starlette.testclient import TestClient
    from tests.site import Site

API = "/api/v1"


def _auth(site: Site, username: str) -> dict[str, str]:
    token = issue_token(username, name="test", database_url=site.context.database_url)
    return {"Authorization": f"Bearer {token}"}


def _assessor(site: Site) -> dict[str, str]:
    return _auth(site, site.users("assessor")[0])


def _money(value: Any) -> Decimal:
    return Decimal(str(value))


def test_requests_need_a_token(client: TestClient) -> None:
    for path in ("/claims", "/leads", "/rules", "/dashboard/money"):
        response = client.get(API + path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"


def test_the_money_report_is_the_runs(client: TestClient, site: Site) -> None:
    body = client.get(f"{API}/dashboard/money", headers=_assessor(site)).json()
    totals = run_totals(site)
    assert {k: _money(v) for k, v in body["totals"].items()} == totals
    for part in ("by_month", "by_facility"):
        for key, total in totals.items():
            assert sum(_money(r[key]) for r in body[part]) == total
    assert sorted(r["key"] for r in body["by_facility"]) == sorted(
        r[0] for r in query(site, "select distinct ma_cskcb from claims")
    )


@pytest.mark.parametrize("role", ["facility", "ministry", "admin"])
def test_the_money_report_and_leads_are_the_insurers(
    client: TestClient, site: Site, role: str
) -> None:
    user = {
        "facility": site.facility_user(site.facilities[0]),
        "ministry": DEMO_MINISTRY,
        "admin": DEMO_ADMIN,
    }[role]
    headers = _auth(site, user)
    for path in ("/dashboard/money", "/leads"):
        response = client.get(API + path, headers=headers)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"


def test_claims_are_paged_and_filtered(client: TestClient, site: Site) -> None:
    headers = _assessor(site)
    page = client.get(f"{API}/claims?limit=10&offset=10", headers=headers).json()
    assert page["total"] == query(site, "select count(*) from claims")[0][0]
    assert len(page["items"]) == 10
    review = client.get(
        f"{API}/claims?status=under_review&limit=500", headers=headers
    ).json()
    expected = query(site, "select ma_lk from claims where under_review > 0")
    assert sorted(c["ma_lk"] for c in review["items"]) == sorted(r[0] for r in expected)
    bad = client.get(f"{API}/claims?status=paid", headers=headers)
    assert bad.status_code == 422


def test_a_claim_has_lines_decisions_findings_bases_and_amounts(
    client: TestClient, site: Site
) -> None:
    target = explained_claim(site)
    response = client.get(f"{API}/claims/{target.ma_lk}", headers=_assessor(site))
    assert response.status_code == 200
    body = response.json()
    assert body["header"]["ma_cskcb"] == target.ma_cskcb
    assert "***" in body["header"]["patient"]
    assert body["header"]["admitted"].endswith("+07:00")
    lines = query(
        site,
        "select tbl, stt, status from lines where ma_lk = ? order by tbl, stt",
        [target.ma_lk],
    )
    assert [(ln["table"], ln["stt"], ln["decision"]) for ln in body["lines"]] == lines
    findings = [f for ln in body["lines"] for f in ln["findings"]]
    money = next(f for f in findings if f["rule_id"] == target.money_rule)
    assert _money(money["amount"]) == target.money_amount
    assert money["basis"]
    assert all(b["cite"] and b["document"] for b in money["basis"])
    assert money["time_evidence"] is None
    times = [f for f in findings if f["rule_id"] == "RS001"]
    assert times
    for found in times:
        assert found["severity"] in {"info", "review"}
        assert _money(found["amount"]) == 0
        evidence = found["time_evidence"]
        assert evidence["ground"] is False
        assert evidence["measured"] == found["evidence"]["phut_thuc_hien"]
        assert evidence["reference"] == found["evidence"]["phut_tham_chieu"]


def test_facility_tokens_see_their_claims_only(client: TestClient, site: Site) -> None:
    ma_lk, code, case = claim_in_case(site)
    headers = _auth(site, site.facility_user(code))
    own = client.get(f"{API}/claims/{ma_lk}", headers=headers).json()
    assert [c["code"] for c in own["cases"]] == [case]
    listed = client.get(f"{API}/claims?limit=500", headers=headers).json()
    assert {c["ma_cskcb"] for c in listed["items"]} == {code}
    other, other_code = other_facility(site, code)
    refused = client.get(f"{API}/claims/{other}", headers=headers)
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "not_found"
    assert other_code not in refused.text.replace(other, "")
    assert (
        client.get(f"{API}/claims?facility={other_code}", headers=headers).json()[
            "total"
        ]
        == 0
    )
    for user in (DEMO_MINISTRY, DEMO_ADMIN):
        assert (
            client.get(f"{API}/claims/{ma_lk}", headers=_auth(site, user)).status_code
            == 403
        )


def test_leads_are_paged_with_cases(own_client: TestClient, own_site: Site) -> None:
    planted = plant_leads(own_site)
    headers = _assessor(own_site)
    body = own_client.get(f"{API}/leads?limit=1", headers=headers).json()
    assert body["total"] == len(planted)
    first = body["items"][0]
    assert first["lead_id"] == planted[0].lead_id
    assert first["severity"] == "review"
    assert len(first["cases"]) == 2
    assert [x["ma_lk"] for x in first["lines"]] == [x.ma_lk for x in planted[0].lines]
    machine = own_client.get(f"{API}/leads?code=SG003", headers=headers).json()
    assert [x["code"] for x in machine["items"]] == ["SG003"]
    for code in ("XX", "SG000"):
        wrong = own_client.get(f"{API}/leads?code={code}", headers=headers)
        assert wrong.status_code == 422


def test_rules_and_a_rule(client: TestClient, site: Site) -> None:
    headers = _assessor(site)
    page = client.get(f"{API}/rules?limit=500", headers=headers).json()
    ids = [r["id"] for r in page["items"]]
    assert "RS001" in ids
    assert page["total"] == len(ids)
    rule = client.get(f"{API}/rules/RS001", headers=headers).json()
    assert rule["is_time"] is True
    assert rule["allowed_severities"] == ["review", "info"]
    assert rule["rule_versions"][0]["basis"][0]["document"]
    assert rule["examples"]
    assert rule["overrides"] == []
    assert client.get(f"{API}/rules/XX999", headers=headers).status_code == 404
    facility = _auth(site, site.facility_user(site.facilities[0]))
    assert (
        client.get(f"{API}/rules/CT001", headers=facility).json()["overrides"] is None
    )


def test_a_dry_run_gives_the_numbers_of_dry_run_store(
    client: TestClient, site: Site
) -> None:
    response = client.post(
        f"{API}/rules/CT001/dry-run", headers=_assessor(site), json={}
    )
    assert response.status_code == 200
    body = response.json()
    direct = direct_dry_run(site, "CT001")
    assert body["hits"] == direct.hits
    assert _money(body["amount"]) == direct.amount
    assert body["severity"] == direct.severity.value
    assert [
        (f["ma_cskcb"], f["hits"], _money(f["amount"])) for f in body["facilities"]
    ] == [(f.ma_cskcb, f.hits, f.amount) for f in direct.facilities]
    refused = client.post(
        f"{API}/rules/RS001/dry-run",
        headers=_assessor(site),
        json={"severity": "refuse"},
    )
    assert refused.status_code == 400
    facility = _auth(site, site.facility_user(site.facilities[0]))
    forbidden = client.post(f"{API}/rules/CT001/dry-run", headers=facility, json={})
    assert forbidden.status_code == 403


def test_the_openapi_document_names_the_resources(client: TestClient) -> None:
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    for path in (
        "/claims",
        "/claims/{ma_lk}",
        "/leads",
        "/rules",
        "/rules/{rule_id}",
        "/rules/{rule_id}/dry-run",
        "/dashboard/money",
    ):
        assert path in paths
