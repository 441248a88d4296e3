"""The Ministry's norms pages: progress, techniques, drafts compared, cost, forms."""

from __future__ import annotations

import io
import re
import unicodedata
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from tests.site import Site, login

from giamdinh.db import make_engine, make_session_factory, session_scope
from giamdinh.db.models.norms import NationalNorm
from giamdinh.norms import store
from giamdinh.norms.demo import (
    HOSPITALS,
    TOTAL_ASSIGNED,
    TOTAL_QUALIFIED,
    TOTAL_SENT,
    planned_techniques,
)
from giamdinh.services import norms as norms_service

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from sqlalchemy.orm import Session
    from starlette.testclient import TestClient

#: A technique whose demo drafts have outliers (DHYDHCM's labour lines).
OUTLIER_TECHNIQUE = "12.0345"
#: The seed's linac technique (the volume effect of docs/norms.md).
LINAC = "12.0344"
#: Every page and download of the area, for the role refusals.
PAGES = (
    "/norms",
    "/norms?q=x-quang",
    "/norms/progress.xlsx",
    "/norms/template.xlsx",
    f"/norms/{LINAC}",
    f"/norms/{LINAC}/consolidated.xlsx",
    f"/norms/{LINAC}/drafts/BACHMAI.xlsx",
)
OTHER_ROLES = ("facility", "assessor", "supervisor", "admin")


def _names_containing(folded: str) -> int:
    """Count the demo's techniques whose name holds ``folded`` (no case, no accents)."""

    def fold(text: str) -> str:
        text = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
        return "".join(c for c in text if unicodedata.category(c) != "Mn")

    return sum(1 for t in planned_techniques() if folded in fold(str(t["name"])))


def _ministry(site: Site) -> str:
    return site.users("ministry")[0]


def _user_of(site: Site, role: str) -> str:
    if role == "facility":
        return site.facility_user(site.facilities[0])
    return site.users(role)[0]


def _kpi(page: str, name: str) -> str:
    found = re.search(
        rf'id="kpi-{name}">.*?<div class="value">([^<]+)</div>', page, re.S
    )
    assert found is not None, name
    return found.group(1)


@contextmanager
def norms_session(url: str) -> Iterator[Session]:
    engine = make_engine(url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def _national_version(site: Site, code: str) -> int:
    with norms_session(site.context.database_url) as session:
        norm = store.national_norm(session, code)
        assert norm is not None
        return norm.version


def test_the_programme_page_shows_the_seed_headline(
    client: TestClient, site: Site
) -> None:
    login(client, _ministry(site))
    page = client.get("/norms")
    assert page.status_code == 200
    # 9,033 / 5,386 / 2,790, written the Vietnamese way.
    assert _kpi(page.text, "assigned") == "9.033"
    assert _kpi(page.text, "qualified") == "5.386"
    assert _kpi(page.text, "sent") == "2.790"
    assert (TOTAL_ASSIGNED, TOTAL_QUALIFIED, TOTAL_SENT) == (9033, 5386, 2790)
    # The seed's report day gives the same figures (no event after it).
    old = client.get("/norms?as_of=2025-11-11").text
    assert _kpi(old, "assigned") == "9.033"
    assert _kpi(old, "sent") == "2.790"
    assert "11/11/2025" in old


def test_the_headline_does_not_depend_on_the_claims(site: Site, tmp_path: Path) -> None:
    """The site (400 claims) and a norms-only database give the same programme."""
    url = f"sqlite:///{tmp_path / 'norms.db'}"
    norms_service.run_demo(url)
    alone = norms_service.progress(url)
    with_claims = norms_service.progress(site.context.database_url)
    assert alone.headline() == with_claims.headline()
    assert alone.headline() == "assigned 9,033 / qualified 5,386 / drafts sent 2,790"
    assert alone.by_hospital == with_claims.by_hospital
    assert alone.by_chapter == with_claims.by_chapter


def test_progress_by_hospital_has_a_chart_and_its_table(
    client: TestClient, site: Site
) -> None:
    login(client, _ministry(site))
    page = client.get("/norms").text
    hospital_table = page.split('id="by-hospital"')[1].split("</table>")[0]
    for code, *_ in HOSPITALS:
        assert f">{code}</a>" in hospital_table
    assert hospital_table.count("<tr>") == len(HOSPITALS) + 1  # and the header
    assert "Bệnh viện Bạch Mai" in hospital_table
    assert page.count("<svg") >= 2  # by hospital and by chapter
    assert "Tiến độ theo bệnh viện" in page
    assert "Đã gửi dự thảo — BACHMAI" in page  # a bar's own label
    chapter_table = page.split('id="by-chapter"')[1].split("</table>")[0]
    assert "Điện quang" in chapter_table
    assert "style=" not in page
    assert "<script" not in page


def test_techniques_are_searchable_with_their_state(
    client: TestClient, site: Site
) -> None:
    login(client, _ministry(site))
    first = client.get("/norms").text
    assert '<p class="muted">9.033 kỹ thuật' in first
    assert 'rel="next"' in first
    accented = client.get("/norms", params={"q": "cộng hưởng từ sọ não"}).text
    plain = client.get("/norms", params={"q": "cong huong tu so nao"}).text
    expected = _names_containing("cong huong tu so nao")
    assert 0 < expected < 50  # one page
    for page in (accented, plain):
        assert f'<p class="muted">{expected} kỹ thuật' in page
        assert 'href="/norms/18.0296"' in page
        assert 'href="/norms/12.0344"' not in page
    by_code = client.get("/norms", params={"q": "12.034"}).text
    assert 'href="/norms/12.0344"' in by_code
    assert 'href="/norms/12.0345"' in by_code
    with_drafts = client.get("/norms", params={"drafts": "1"}).text
    assert '<p class="muted">35 kỹ thuật' in with_drafts
    state = client.get("/norms", params={"state": "not_qualified"}).text
    assert '<p class="muted">3.093 kỹ thuật' in state
    assert "Không đủ điều kiện" in state
    bad = client.get("/norms", params={"state": "nonsense"})
    assert bad.status_code == 400


def test_a_technique_compares_drafts_and_marks_outliers(
    client: TestClient, site: Site
) -> None:
    login(client, _ministry(site))
    page = client.get(f"/norms/{OUTLIER_TECHNIQUE}")
    assert page.status_code == 200
    text = page.text
    compare = text.split('id="compare"')[1].split("</table>")[0]
    for hospital in ("BACHMAI", "CHORAY", "DHYDHCM", "HUETW"):
        assert f'<th scope="col" class="num">{hospital}</th>' in compare
    rows = compare.split("<tr")
    ktv = next(r for r in rows if ">KTV<" in r)
    bs = next(r for r in rows if ">BS<" in r)
    assert ktv.count('class="num outlier"') == 1
    assert "★" in ktv
    assert "DHYDHCM" in ktv
    assert "outlier" not in bs
    assert "4/4" in ktv
    # The consolidation by the median and its form.
    consolidation = text.split('id="consolidation"')[1].split('id="cost"')[0]
    assert "phiên bản 1" in consolidation
    assert 'action="/norms/12.0345/consolidate"' in consolidation
    assert 'value="labour:KTV"' in consolidation
    assert "Bậc sản lượng" in consolidation


def test_a_technique_shows_the_cost_curve(client: TestClient, site: Site) -> None:
    login(client, _ministry(site))
    page = client.get(f"/norms/{LINAC}", params={"volume": "6250"}).text
    cost = page.split('id="cost"')[1]
    # docs/norms.md: the linac at 6,250 sessions a year (straight line).
    assert "1.390.683,89" in cost
    assert "10.600.000.000,00" in cost  # idle capacity reported, not priced
    assert "Chi phí khấu hao TSCĐ" in cost
    assert "<polyline" in cost  # the line chart
    curve = cost.split('class="data curve"')[1].split("</table>")[0]
    assert curve.count("<tr") >= 10
    assert '<tr class="chosen">' in curve  # the asked volume is on the curve
    assert "6.250" in curve
    annuity = client.get(
        f"/norms/{LINAC}", params={"volume": "6250", "depreciation": "annuity"}
    ).text
    assert "1.390.683,89" not in annuity.split('id="cost"')[1]
    draft = client.get(f"/norms/{LINAC}", params={"hospital": "CHORAY"}).text
    assert "CHORAY v1" in draft
    negative = client.get(f"/norms/{LINAC}", params={"volume": "-5"})
    assert negative.status_code == 200  # the rest of the page still shows
    assert "sản lượng năm phải trong" in negative.text.split('id="cost"')[1]
    assert client.get(f"/norms/{LINAC}", params={"volume": "abc"}).status_code == 400


def test_a_technique_without_drafts_says_so(client: TestClient, site: Site) -> None:
    login(client, _ministry(site))
    page = client.get("/norms/01.0001")
    assert page.status_code == 200
    assert "Chưa có dự thảo nào của kỹ thuật này" in page.text
    assert "Chưa có dự thảo hay định mức quốc gia để tính chi phí" in page.text


def test_unknown_technique_or_draft_is_404(client: TestClient, site: Site) -> None:
    login(client, _ministry(site))
    assert client.get("/norms/99.9999").status_code == 404
    assert client.get("/norms/99.9999/consolidated.xlsx").status_code == 404
    assert client.get(f"/norms/{LINAC}/drafts/NOWHERE.xlsx").status_code == 404
    assert client.get(f"/norms/{LINAC}?hospital=NOWHERE").status_code == 200


def test_the_workbooks_download(client: TestClient, site: Site) -> None:
    login(client, _ministry(site))
    progress = client.get("/norms/progress.xlsx")
    assert progress.status_code == 200
    assert "attachment" in progress.headers["content-disposition"]
    book = load_workbook(io.BytesIO(progress.content))
    totals = [row for row in book["TheoBenhVien"].values if row[0] == "*"]
    assert totals[0][2:5] == (9033, 5386, 2790)
    template = load_workbook(io.BytesIO(client.get("/norms/template.xlsx").content))
    assert template.sheetnames[:3] == ["ThongTin", "DinhMuc", "BangChung"]
    draft = client.get(f"/norms/{LINAC}/drafts/BACHMAI.xlsx")
    sheet = load_workbook(io.BytesIO(draft.content))["DinhMuc"]
    assert sheet.max_row > 10
    consolidated = client.get(f"/norms/{LINAC}/consolidated.xlsx?method=p25")
    sheets = load_workbook(io.BytesIO(consolidated.content)).sheetnames
    assert "DinhMucQuocGia" in sheets
    assert "SoSanh" in sheets


def test_consolidation_by_the_form(own_client: TestClient, own_site: Site) -> None:
    user = _ministry(own_site)
    token = login(own_client, user)
    before = _national_version(own_site, LINAC)
    response = own_client.post(
        f"/norms/{LINAC}/consolidate",
        data={
            "csrf_token": token,
            "method": "p25",
            "keep": "1",
            "line": "labour:KTV",
            "value": "25",
            "reason": "đo lại thời gian tại 3 bệnh viện",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/norms/{LINAC}?method=p25")
    page = own_client.get(response.headers["location"]).text
    assert f"Đã lưu định mức quốc gia phiên bản {before + 1}" in page
    assert "đo lại thời gian tại 3 bệnh viện" in page
    with norms_session(own_site.context.database_url) as session:
        norm = store.national_norm(session, LINAC)
        assert norm is not None
        assert norm.version == before + 1
        assert norm.method == "p25"
        assert norm.created_by == user
        ktv = next(line for line in norm.lines if line.resource_code == "KTV")
        assert ktv.value == 25
        assert ktv.override_by == user
    # Recorded again keeping the overrides: the line stays as the reviewer set it.
    own_client.post(
        f"/norms/{LINAC}/consolidate",
        data={"csrf_token": token, "method": "median", "keep": "1"},
    )
    # And without keeping them: the computed median comes back.
    own_client.post(
        f"/norms/{LINAC}/consolidate", data={"csrf_token": token, "method": "median"}
    )
    with norms_session(own_site.context.database_url) as session:
        kept, dropped = (
            session.scalars(
                select(NationalNorm)
                .where(NationalNorm.technique_code == LINAC)
                .where(NationalNorm.version == version)
            ).one()
            for version in (before + 2, before + 3)
        )
        assert next(x for x in kept.lines if x.resource_code == "KTV").value == 25
        value = next(x for x in dropped.lines if x.resource_code == "KTV")
        assert value.override_value is None
        assert value.value != 25


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"line": "labour:KTV", "value": "25", "reason": " "}, "cần lý do"),
        ({"line": "labour:KTV", "value": "", "reason": "x"}, "cần giá trị"),
        ({"line": "labour:KTV", "value": "abc", "reason": "x"}, "phải là số"),
        ({"line": "labour:NOBODY", "value": "2", "reason": "x"}, "không dự thảo nào"),
        ({"method": "mode"}, "không có"),
    ],
)
def test_a_refused_consolidation_records_nothing(
    own_client: TestClient, own_site: Site, data: dict[str, str], message: str
) -> None:
    token = login(own_client, _ministry(own_site))
    before = _national_version(own_site, LINAC)
    response = own_client.post(
        f"/norms/{LINAC}/consolidate",
        data={"csrf_token": token, "method": "median", **data},
    )
    assert response.status_code == 400
    assert message in response.text
    assert _national_version(own_site, LINAC) == before


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_get_403_on_every_norms_page(
    own_client: TestClient, own_site: Site, role: str
) -> None:
    token = login(own_client, _user_of(own_site, role))
    for path in PAGES:
        response = own_client.get(path)
        assert response.status_code == 403, path
        assert "9.033" not in response.text
        assert "Bệnh viện Bạch Mai" not in response.text
        assert "PK" not in response.text[:2]  # no workbook either
    before = _national_version(own_site, LINAC)
    response = own_client.post(
        f"/norms/{LINAC}/consolidate", data={"csrf_token": token, "method": "p25"}
    )
    assert response.status_code == 403
    assert _national_version(own_site, LINAC) == before


def test_norms_pages_need_a_login_and_a_form_token(
    own_client: TestClient, own_site: Site
) -> None:
    response = own_client.get("/norms", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/norms"
    login(own_client, _ministry(own_site))
    before = _national_version(own_site, LINAC)
    forged = own_client.post(f"/norms/{LINAC}/consolidate", data={"method": "p25"})
    assert forged.status_code == 403
    assert _national_version(own_site, LINAC) == before


def test_the_pages_read_in_english(client: TestClient, site: Site) -> None:
    token = login(client, _ministry(site))
    client.post("/lang/en", data={"csrf_token": token, "back": "/"})
    page = client.get("/norms").text
    assert "Techniques assigned" in page
    assert "Progress by hospital" in page
    technique = client.get(f"/norms/{OUTLIER_TECHNIQUE}").text
    assert "Drafts compared line by line" in technique
    assert "Unit cost by annual volume" in technique


def test_reloading_the_form_address_goes_back_to_the_page(
    client: TestClient, site: Site
) -> None:
    login(client, _ministry(site))
    response = client.get(f"/norms/{LINAC}/consolidate", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/norms/{LINAC}#consolidation"
