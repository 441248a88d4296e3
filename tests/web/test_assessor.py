"""The insurer's pages: dashboard, claims, leads, rules, dry runs and overrides."""

from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING

import pytest
import yaml
from tests.assessor_support import (
    claim_in_case,
    direct_dry_run,
    explained_claim,
    other_facility,
    plant_leads,
    query,
    run_totals,
)
from tests.site import login

from giamdinh.domain.money import format_dong
from giamdinh.services.demo import DEMO_ADMIN, DEMO_MINISTRY, DEMO_SUPERVISOR

if TYPE_CHECKING:
    from starlette.testclient import TestClient
    from tests.site import Site

KPI = re.compile(r'id="kpi-([a-z-]+)">([^<]+)<')


def _assessor(site: Site) -> str:
    return site.users("assessor")[0]


def test_pages_need_a_login(client: TestClient) -> None:
    for path in ("/dashboard", "/claims", "/leads", "/rules"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


def test_the_dashboard_shows_the_runs_money(client: TestClient, site: Site) -> None:
    login(client, _assessor(site))
    page = client.get("/dashboard")
    assert page.status_code == 200
    totals = run_totals(site)
    shown = dict(KPI.findall(page.text))
    for key, kpi in (
        ("claimed", "claimed"),
        ("payable", "payable"),
        ("refused", "refused"),
        ("adjusted", "adjusted"),
        ("under_review", "under-review"),
    ):
        assert shown[kpi] == format_dong(totals[key]), key
    assert page.text.count("<svg") == 4
    for code in site.facilities:
        assert f'href="/claims?facility={code}"' in page.text
    assert 'id="cases-open"' in page.text
    assert "style=" not in page.text
    assert "<script" not in page.text


@pytest.mark.parametrize("role", ["facility", "ministry", "admin"])
def test_the_dashboard_and_leads_are_the_insurers(
    client: TestClient, site: Site, role: str
) -> None:
    user = {
        "facility": site.facility_user(site.facilities[0]),
        "ministry": DEMO_MINISTRY,
        "admin": DEMO_ADMIN,
    }[role]
    login(client, user)
    for path in ("/dashboard", "/leads"):
        assert client.get(path).status_code == 403


def test_the_claim_list_filters_and_pages(client: TestClient, site: Site) -> None:
    login(client, _assessor(site))
    page = client.get("/claims?status=refused")
    assert page.status_code == 200
    refused = [r[0] for r in query(site, "select ma_lk from claims where refused > 0")]
    listed = re.findall(r'href="/claims/([^"#]+)"', page.text)
    assert sorted(listed) == sorted(refused)
    first = client.get("/claims")
    assert "page=2" in first.text
    second = client.get("/claims?page=2")
    assert set(re.findall(r'href="/claims/([^"#]+)"', second.text)).isdisjoint(
        re.findall(r'href="/claims/([^"#]+)"', first.text)
    )


def test_a_claim_page_explains_findings_basis_and_time(
    client: TestClient, site: Site
) -> None:
    target = explained_claim(site)
    login(client, _assessor(site))
    page = client.get(f"/claims/{target.ma_lk}")
    assert page.status_code == 200
    text = page.text
    assert f'href="/rules/{target.money_rule}"' in text
    assert f"{format_dong(target.money_amount)} đ" in text
    assert "Căn cứ" in text
    assert "Thông tư" in text or "Công văn" in text or "Quyết định" in text
    assert "bằng chứng, không là căn cứ từ chối" in text
    assert "thời gian tham khảo" in text
    kinds = re.findall(
        r'<div class="finding (\w+)">\s*<header>\s*<a href="/rules/RS001">', text
    )
    assert kinds
    assert set(kinds) <= {"info", "review"}
    assert "style=" not in text


def test_facility_staff_see_their_claim_not_anothers(
    client: TestClient, site: Site
) -> None:
    ma_lk, code, case = claim_in_case(site)
    other, other_code = other_facility(site, code)
    login(client, _assessor(site))
    patient = re.search(r"<code>(BN[^<]+)</code>", client.get(f"/claims/{other}").text)
    assert patient is not None
    login(client, site.facility_user(code))
    own = client.get(f"/claims/{ma_lk}")
    assert own.status_code == 200
    assert f'href="/cases/{case}"' in own.text
    refused = client.get(f"/claims/{other}")
    assert refused.status_code == 404
    assert patient.group(1) not in refused.text
    assert other_code not in refused.text.replace(f"/claims/{other}", "")
    listing = client.get(f"/claims?facility={other_code}")
    assert listing.status_code == 200
    assert other not in listing.text


@pytest.mark.parametrize("user", [DEMO_MINISTRY, DEMO_ADMIN])
def test_the_ministry_and_admins_see_no_claim(
    client: TestClient, site: Site, user: str
) -> None:
    target = explained_claim(site)
    login(client, user)
    assert client.get("/claims").status_code == 403
    page = client.get(f"/claims/{target.ma_lk}")
    assert page.status_code == 403
    assert format_dong(target.money_amount) not in page.text


def test_the_leads_page_shows_leads_lines_and_cases(
    own_client: TestClient, own_site: Site
) -> None:
    planted = plant_leads(own_site)
    login(own_client, _assessor(own_site))
    page = own_client.get("/leads")
    assert page.status_code == 200
    for lead in planted:
        assert escape(lead.message) in page.text
        assert escape(lead.arithmetic) in page.text
        for ref in lead.lines:
            assert f'href="/claims/{ref.ma_lk}#XML3-{ref.stt}"' in page.text
    assert len(re.findall(r'href="/cases/GD\d{4}-\d+"', page.text)) >= 2
    only = own_client.get("/leads?code=SG003")
    assert escape(planted[1].message) in only.text
    assert escape(planted[0].message) not in only.text


def test_the_rules_pages_render(client: TestClient, site: Site) -> None:
    login(client, _assessor(site))
    catalogue = client.get("/rules")
    assert catalogue.status_code == 200
    assert 'href="/rules/RS001"' in catalogue.text
    assert client.get("/rules?family=thematic").status_code == 200
    rule = client.get("/rules/RS001")
    assert rule.status_code == 200
    assert "Quyết định 2775/QĐ-BYT" in rule.text
    assert "shorter_than_reference" in rule.text
    assert 'action="/rules/RS001/dry-run"' in rule.text
    assert 'action="/rules/RS001/overrides"' not in rule.text
    assert client.get("/rules/XX999").status_code == 404


def test_facility_staff_read_rules_without_dry_run(
    client: TestClient, site: Site
) -> None:
    token = login(client, site.facility_user(site.facilities[0]))
    page = client.get("/rules/CT001")
    assert page.status_code == 200
    assert "dry-run" not in page.text
    assert "Ghi đè tại đơn vị" not in page.text
    refused = client.post("/rules/CT001/dry-run", data={"csrf_token": token})
    assert refused.status_code == 403


def test_a_dry_run_shows_the_numbers_of_dry_run_store(
    client: TestClient, site: Site
) -> None:
    token = login(client, _assessor(site))
    page = client.post(
        "/rules/CT001/dry-run", data={"csrf_token": token, "severity": ""}
    )
    assert page.status_code == 200
    direct = direct_dry_run(site, "CT001")
    assert f'id="dry-hits">{direct.hits}<' in page.text
    assert f'id="dry-amount">{format_dong(direct.amount)}<' in page.text
    for impact in direct.facilities:
        assert f">{impact.ma_cskcb}</a>" in page.text
    wrong = client.post(
        "/rules/RS001/dry-run", data={"csrf_token": token, "severity": "refuse"}
    )
    assert wrong.status_code == 400
    assert "info" in wrong.text
    assert client.post("/rules/CT001/dry-run", data={}).status_code == 403


def test_a_supervisor_records_an_override(
    own_client: TestClient, own_site: Site
) -> None:
    token = login(own_client, DEMO_SUPERVISOR)
    log = own_site.context.rule_overrides
    page = own_client.get("/rules/TH002")
    assert 'action="/rules/TH002/overrides"' in page.text
    done = own_client.post(
        "/rules/TH002/overrides",
        data={
            "csrf_token": token,
            "severity": "review",
            "why": "Chờ BHXH tỉnh xác nhận cặp dịch vụ",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"].startswith("/rules/TH002?recorded=1")
    entries = yaml.safe_load(log.read_text(encoding="utf-8"))
    assert [(e["rule"], e["severity"], e["by"], e["why"]) for e in entries] == [
        ("TH002", "review", DEMO_SUPERVISOR, "Chờ BHXH tỉnh xác nhận cặp dịch vụ")
    ]
    shown = own_client.get(done.headers["location"])
    assert "Chờ BHXH tỉnh xác nhận cặp dịch vụ" in shown.text
    assert f"<code>{DEMO_SUPERVISOR}</code>" in shown.text
    refused = own_client.post(
        "/rules/RS001/overrides",
        data={"csrf_token": token, "severity": "refuse", "why": "thử"},
    )
    assert refused.status_code == 400
    assert "không phải căn cứ từ chối" in refused.text
    assert len(yaml.safe_load(log.read_text(encoding="utf-8"))) == 1


def test_an_assessor_cannot_record_an_override(
    own_client: TestClient, own_site: Site
) -> None:
    token = login(own_client, _assessor(own_site))
    refused = own_client.post(
        "/rules/TH002/overrides",
        data={"csrf_token": token, "severity": "review", "why": "thử"},
    )
    assert refused.status_code == 403
    assert not own_site.context.rule_overrides.exists()
