"""The pages in a real browser (Playwright driving Debian's chromium).

Four journeys, as the people who use them work: a facility checks a claim file
and downloads its workbook; an assessor opens a claim, decides a case line by
line and sees the money move; the Ministry reads the norms programme's progress;
an assessor compares the policy options of two runs and reads the lent-machine
register.
Each page is saved as a screenshot under the test's temporary folder
(``screenshots/``) to be looked at.
"""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from openpyxl import load_workbook
from tests.uploads import claim_files

from giamdinh.services.demo import DEMO_PASSWORD
from giamdinh.services.review import list_cases, review_position, show_case
from giamdinh.web.pages import money

if TYPE_CHECKING:
    from pathlib import Path

    from tests.site import Site

pytestmark = pytest.mark.e2e


def _shot(page: Any, tmp_path: Path, name: str) -> Path:
    path = tmp_path / "screenshots" / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click('form[action="/login"] button')
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()[:500]


def _dong(text: str) -> Decimal:
    """Read an amount as the pages write it (``1.234.567``)."""
    return Decimal(re.sub(r"[^\d]", "", text) or "0")


def test_facility_checks_a_file_and_downloads_the_workbook(
    live_server: str, browser_page: Any, own_site: Site, tmp_path: Path
) -> None:
    page = browser_page
    facility = next(f for f in own_site.facilities if claim_files(own_site, f))
    sample = claim_files(own_site, facility)[0]
    _login(page, live_server, own_site.facility_user(facility))
    page.goto(f"{live_server}/facility/check")
    _shot(page, tmp_path, "facility-check")
    page.set_input_files('input[name="files"]', str(sample))
    page.click('form[action="/facility/check"] button[type="submit"]')
    page.wait_for_url(re.compile(r"/facility/check/[^/]+$"))
    assert sample.stem in page.content()
    _shot(page, tmp_path, "facility-check-result")
    with page.expect_download() as download:
        page.click('a[href$=".xlsx"]')
    saved = tmp_path / "kiem-tra.xlsx"
    download.value.save_as(str(saved))
    book = load_workbook(saved, read_only=True)
    assert len(book.sheetnames) == 4
    claims = book[book.sheetnames[0]]
    codes = [str(row[0]) for row in claims.iter_rows(min_row=2, values_only=True)]
    assert sample.stem in codes


def test_assessor_opens_a_claim_decides_a_case_and_sees_the_money_move(
    live_server: str, browser_page: Any, own_site: Site, tmp_path: Path
) -> None:
    page = browser_page
    url = own_site.context.database_url
    assessor = own_site.users("assessor")[0]
    store = own_site.context.store_dir
    before = review_position(store, database_url=url)
    assert before is not None
    case = next(c for c in list_cases(user=assessor, database_url=url) if c.lines == 1)
    view = show_case(case.code, user=assessor, database_url=url)
    line = view.lines[0]
    _login(page, live_server, assessor)
    page.goto(f"{live_server}/dashboard")
    _shot(page, tmp_path, "assessor-dashboard")
    page.goto(f"{live_server}/claims/{line.ma_lk}")
    assert line.ma_lk in page.content()
    _shot(page, tmp_path, "assessor-claim")
    page.goto(f"{live_server}/cases/{case.code}")
    _shot(page, tmp_path, "assessor-case-opened")
    page.click(f'form[action="/cases/{case.code}/send"] button[type="submit"]')
    page.wait_for_load_state()
    page.fill(
        f'form[action="/cases/{case.code}/meet"] input[name="participants"]',
        "BHXH tỉnh; phòng KHTH",
    )
    page.fill(
        f'form[action="/cases/{case.code}/meet"] textarea[name="minutes"]',
        "Đối chiếu bệnh án, có chẩn đoán phù hợp",
    )
    page.click(f'form[action="/cases/{case.code}/meet"] button[type="submit"]')
    page.wait_for_load_state()
    paid = (line.stake / 2).quantize(Decimal(1))
    refused = line.stake - paid
    form = page.locator(f'form[action="/cases/{case.code}/decide"]').first
    form.locator('input[name="payable"]').fill(f"{paid}")
    form.locator('input[name="refused"]').fill(f"{refused}")
    form.locator('input[name="basis"]').fill("tt12_2026/10.1.c")
    form.locator('textarea[name="reason"]').fill("Một phần không có chỉ định phù hợp")
    form.locator('button[type="submit"]').click()
    page.wait_for_load_state()
    _shot(page, tmp_path, "assessor-case-decided")
    content = page.content()
    assert "Đã quyết định" in content
    after = review_position(store, database_url=url)
    assert after is not None
    assert after.moved["payable"] - before.moved["payable"] == paid
    assert after.moved["refused"] - before.moved["refused"] == refused
    assert before.current["under_review"] - after.current["under_review"] == line.stake
    page.goto(f"{live_server}/dashboard")
    _shot(page, tmp_path, "assessor-dashboard-after")


def test_ministry_sees_the_programme_progress(
    live_server: str, browser_page: Any, own_site: Site, tmp_path: Path
) -> None:
    page = browser_page
    _login(page, live_server, own_site.users("ministry")[0])
    page.goto(f"{live_server}/norms")
    _shot(page, tmp_path, "ministry-norms")
    assert _dong(page.inner_text("#kpi-assigned .value")) == 9033
    assert _dong(page.inner_text("#kpi-qualified .value")) == 5386
    assert _dong(page.inner_text("#kpi-sent .value")) == 2790
    page.goto(f"{live_server}/cases")
    assert "403" in page.content()


def test_assessor_compares_policy_options_and_reads_the_machine_register(
    live_server: str, browser_page: Any, own_site: Site, tmp_path: Path
) -> None:
    page = browser_page
    runs = own_site.context.store_dir / "policy"
    (newest,) = sorted(runs.glob("replay-*"))
    older = "replay-20200101T000000000000Z"
    shutil.copytree(newest, runs / older)
    meta = json.loads((newest / "replay.json").read_text(encoding="utf-8"))
    _login(page, live_server, own_site.users("assessor")[0])
    page.click('nav.areas a[href="/policy"]')
    page.wait_for_url(re.compile(r"/policy$"))
    _shot(page, tmp_path, "policy-options")
    assert newest.name in page.inner_text("#run-h")
    for option in meta["options"]:
        cell = page.inner_text(f"#option-{option['id']} td.paid")
        assert cell == money(Decimal(option["totals"]["payable"])), option["id"]
    page.click(f'#runs a[href="/policy?run={older}"]')
    page.wait_for_url(re.compile(rf"run={older}"))
    assert older in page.inner_text("#run-h")
    page.click("header.top form[action='/lang/en'] button")
    page.wait_for_load_state()
    assert "Payment policy options" in page.inner_text("h1")
    assert older in page.inner_text("#run-h")  # the language kept the run chosen
    page.locator("#options").screenshot(
        path=str(tmp_path / "screenshots" / "policy-options-table-en.png")
    )
    assert meta["options"][1]["title_en"] in page.inner_text("#options")
    _shot(page, tmp_path, "policy-options-en")
    page.click('a[href="/policy/machines"]')
    page.wait_for_url(re.compile(r"/policy/machines"))
    _shot(page, tmp_path, "policy-machines-en")
    page.screenshot(path=str(tmp_path / "screenshots" / "policy-machines-top.png"))
    total = len(page.locator("#machines tbody tr").all())
    page.check('input[name="overdue"]')
    page.click('form[action="/policy/machines"] button[type="submit"]')
    page.wait_for_url(re.compile(r"overdue=1"))
    overdue = len(page.locator("#machines tbody tr.overdue").all())
    assert overdue == len(page.locator("#machines tbody tr").all())
    assert 0 < overdue <= total
    _shot(page, tmp_path, "policy-machines-overdue")
    # the page is no wider than the window: wide tables scroll in their box
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, width
