"""The policy replay pages: comparison runs, the run's workbook, lent machines.

The demo site has one comparison run (options A-D and ``current``, written by
``run_demo``); the pages are checked against its own files (``replay.json``,
the Parquet aggregates, the workbook) and the register of ``machine_register``.
"""

from __future__ import annotations

import html
import io
import json
import re
import shutil
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook
from tests.site import login

from giamdinh.services.assessment import latest_run
from giamdinh.services.policy import default_deadline, machine_register
from giamdinh.web.pages import day, money

if TYPE_CHECKING:
    from pathlib import Path

    from starlette.testclient import TestClient
    from tests.site import Site

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
READERS = ("assessor", "supervisor", "ministry")
#: An older run's name: a copy of the demo's run, to choose between two.
OLDER = "replay-20200101T000000000000Z"


def run_folder(site: Site) -> Path:
    """Return the demo's comparison run (the only one of the shared site)."""
    runs = sorted((site.context.store_dir / "policy").glob("replay-*"))
    assert len(runs) == 1, runs
    return runs[0]


def add_older_run(site: Site) -> tuple[str, str]:
    """Copy the demo's run under an older name; return (newest, older) names."""
    newest = run_folder(site)
    shutil.copytree(newest, newest.parent / OLDER)
    return newest.name, OLDER


def _user(site: Site, role: str) -> str:
    if role == "facility":
        return site.facility_user(site.facilities[0])
    return site.users(role)[0]


def _text(response: Any) -> str:
    return html.unescape(response.text)


def _row(page: str, row_id: str) -> str:
    found = re.search(rf'<tr id="{re.escape(row_id)}"[^>]*>(.*?)</tr>', page, re.S)
    assert found is not None, f"no row {row_id}"
    return found.group(1)


def _cells(row: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
    ]


def _signed(value: Decimal) -> str:
    if value > 0:
        return f"+{money(value)}"
    return f"−{money(-value)}" if value < 0 else "0"


@pytest.mark.parametrize("role", READERS)
def test_the_insurer_and_the_ministry_see_the_pages(
    client: TestClient, site: Site, role: str
) -> None:
    login(client, _user(site, role))
    name = run_folder(site).name
    for path in ("/policy", f"/policy?run={name}", "/policy/machines"):
        response = client.get(path)
        assert response.status_code == 200, path
    page = client.get("/").text
    assert 'href="/policy"' in page  # the link of the navigation
    workbook = client.get(f"/policy/{name}/replay.xlsx")
    assert workbook.status_code == (403 if role == "ministry" else 200)


@pytest.mark.parametrize("role", ["facility", "admin"])
def test_facility_staff_and_the_admin_get_403(
    client: TestClient, site: Site, role: str
) -> None:
    login(client, _user(site, role))
    name = run_folder(site).name
    meta = json.loads((run_folder(site) / "replay.json").read_text(encoding="utf-8"))
    fingerprint = meta["fingerprint"]
    for path in (
        "/policy",
        "/policy/machines",
        "/policy/machines?overdue=1",
        f"/policy/{name}/replay.xlsx",
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        assert fingerprint not in response.text
        assert "Dừng thanh toán" not in response.text
        assert not response.content.startswith(b"PK")
    assert 'href="/policy"' not in client.get("/").text


def test_the_pages_need_a_login(client: TestClient, site: Site) -> None:
    name = run_folder(site).name
    for path in ("/policy", "/policy/machines", f"/policy/{name}/replay.xlsx"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")


def test_the_options_and_their_money_are_those_of_the_run(
    client: TestClient, site: Site
) -> None:
    login(client, _user(site, "assessor"))
    folder = run_folder(site)
    meta = json.loads((folder / "replay.json").read_text(encoding="utf-8"))
    page = _text(client.get("/policy"))
    assert folder.name in page
    assert meta["fingerprint"] in page
    assert meta["fingerprint"][:12] in page
    ids = [o["id"] for o in meta["options"]]
    assert ids == ["current", "A", "B", "C", "D"]
    for option in meta["options"]:
        cells = _cells(_row(page, f"option-{option['id']}"))
        totals = {k: Decimal(v) for k, v in option["totals"].items()}
        assert cells[0] == option["id"]
        if option["id"] != "current":
            assert cells[1] == option["title"]
            assert cells[5] == _signed(Decimal(option["changes"]["payable"]))
        assert cells[2] == money(totals["payable"])
        assert cells[3] == money(totals["refused"])
        assert cells[4] == money(totals["under_review"])
        assert cells[6:] == [
            str(option["lines_changed"]),
            str(option["patients_changed"]),
            str(option["facilities_changed"]),
        ]
    # a what-if, not a decision; the rules in force treat time and machines per law
    assert "không phải quyết định" in page
    assert "không là căn cứ từ chối" in page
    # the chart of money paid by month, with its table
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
    assert 'id="by-month"' in page


def test_facilities_that_change_most_come_first(client: TestClient, site: Site) -> None:
    login(client, _user(site, "supervisor"))
    table = pq.read_table(
        run_folder(site) / "by_facility_month.parquet",
        columns=["option", "ma_cskcb", "payable_change"],
    ).to_pylist()
    change: dict[str, Decimal] = {}
    for row in table:
        key = row["ma_cskcb"]
        change[key] = max(change.get(key, Decimal(0)), abs(row["payable_change"]))
    assert max(change.values()) > 0, "the demo's run changes no facility's money"
    expected = sorted(change, key=lambda f: (-change[f], f))
    page = client.get("/policy").text
    body = page[page.index('id="by-facility"') :]
    body = body[: body.index("</table>")]
    shown = re.findall(r'<th scope="row" class="code">([^<]+)</th>', body)
    assert shown == expected[: len(shown)]
    assert len(shown) == min(len(expected), 50)


def test_each_options_texts_hash_and_rules(client: TestClient, site: Site) -> None:
    login(client, _user(site, "assessor"))
    folder = run_folder(site)
    meta = json.loads((folder / "replay.json").read_text(encoding="utf-8"))
    page = _text(client.get("/policy"))
    book = load_workbook(folder / "replay.xlsx", read_only=True)
    texts = {
        row[0]: row for row in book["Phuong an"].iter_rows(min_row=2, values_only=True)
    }
    for option in meta["options"][1:]:
        found = re.search(
            rf'<article class="option" id="texts-{option["id"]}">(.*?)</article>',
            page,
            re.S,
        )
        assert found is not None, option["id"]
        article = found.group(1)
        assert meta["inputs"]["options"][option["id"]] in article
        assert ", ".join(option["rules_run"]) in article
        for basis in str(texts[option["id"]][6]).split("; "):
            assert basis in article
    assert "Công văn 1261/BHXH-CSYT" in page


def test_the_page_reads_in_english(client: TestClient, site: Site) -> None:
    token = login(client, _user(site, "ministry"))
    client.post("/lang/en", data={"csrf_token": token, "back": "/policy"})
    meta = json.loads((run_folder(site) / "replay.json").read_text(encoding="utf-8"))
    page = _text(client.get("/policy"))
    assert "Payment policy options" in page
    assert "not a decision" in page
    for option in meta["options"][1:]:
        assert option["title_en"] in page
    assert "Phương án chính sách thanh toán" not in page
    machines = _text(client.get("/policy/machines"))
    assert "Machines lent by reagent suppliers" in machines
    assert "Overdue only" in machines


#: Names that are not a run's: a run's form without a run, and what is no run's.
NOT_RUNS = (
    "replay-20990101T000000000000Z",
    "replay-1",
    "../policy",
    "replay-20261207T195409176916Z/../../data",
    "replay-20261207T195409Z.json",
    "x" * 300,
)


def test_a_run_that_is_not_one_is_404(client: TestClient, site: Site) -> None:
    login(client, _user(site, "assessor"))
    for run in NOT_RUNS:
        assert client.get("/policy", params={"run": run}).status_code == 404, run
        assert client.get(f"/policy/{run}/replay.xlsx").status_code == 404, run


def test_the_workbook_downloads_and_opens(client: TestClient, site: Site) -> None:
    login(client, _user(site, "assessor"))
    folder = run_folder(site)
    response = client.get(f"/policy/{folder.name}/replay.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert folder.name in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert "Tong hop" in book.sheetnames
    assert "Phuong an" in book.sheetnames
    changed = pq.read_table(folder / "changed-A.parquet").to_pylist()
    assert changed, "option A changes no line of the demo"
    cells = {
        str(v)
        for row in book["Dong thay doi"].iter_rows(min_row=2, values_only=True)
        for v in row
    }
    assert {r["ma_lk"] for r in changed} <= cells


def test_the_ministry_sees_no_claim(client: TestClient, site: Site) -> None:
    login(client, _user(site, "ministry"))
    folder = run_folder(site)
    claims = pq.read_table(
        latest_run(site.context.store_dir) / "claims.parquet", columns=["ma_lk"]
    ).column("ma_lk")
    named = {str(c) for c in claims.to_pylist()}
    for changed in folder.glob("changed-*.parquet"):
        named |= {str(r) for r in pq.read_table(changed).column("ma_lk").to_pylist()}
    assert len(named) > 100
    for path in ("/policy", "/policy/machines", "/policy/machines?overdue=1"):
        page = client.get(path).text
        assert not [c for c in named if c in page], path
        assert "MA_LK" not in page
        assert f"/policy/{folder.name}/replay.xlsx" not in page


def test_the_insurer_is_offered_the_workbook(client: TestClient, site: Site) -> None:
    login(client, _user(site, "assessor"))
    name = run_folder(site).name
    assert f'href="/policy/{name}/replay.xlsx"' in client.get("/policy").text


def test_a_run_is_chosen_and_the_newest_is_first(
    own_client: TestClient, own_site: Site
) -> None:
    newest, older = add_older_run(own_site)
    login(own_client, _user(own_site, "assessor"))
    page = own_client.get("/policy").text
    listed = re.findall(r'href="/policy\?run=(replay-[0-9TZ]+)"', page)
    assert listed == [newest, older]
    assert f'<span class="code">{newest}</span>' in page
    chosen = own_client.get("/policy", params={"run": older}).text
    assert f'<span class="code">{older}</span>' in chosen
    assert f'href="/policy/{older}/replay.xlsx"' in chosen
    # the language switch comes back to the run chosen
    assert f'name="back" value="/policy?run={older}"' in chosen


def test_no_run_yet_is_said(own_client: TestClient, own_site: Site) -> None:
    shutil.rmtree(own_site.context.store_dir / "policy")
    login(own_client, _user(own_site, "ministry"))
    page = own_client.get("/policy")
    assert page.status_code == 200
    assert 'id="no-run"' in page.text
    assert own_client.get("/policy", params={"run": OLDER}).status_code == 404


def test_the_machines_page_lists_the_register(client: TestClient, site: Site) -> None:
    login(client, _user(site, "ministry"))
    ctx = site.context
    today = ctx.today()
    entries, _ = machine_register(ctx.reference_dirs, store_dir=ctx.store_dir, on=today)
    assert entries, "the demo lends no machine"
    page = _text(client.get("/policy/machines"))
    rows = re.findall(r"<tr(?: class=\"overdue\")?>\s*<td class=\"code\">", page)
    assert len(rows) == len(entries)
    for entry in entries:
        assert entry.ma_may in page
        assert entry.status.label in page
    assert day(default_deadline()) in page
    billed = [e for e in entries if e.at_stake]
    assert billed, "no money billed on a lent machine in the demo"
    assert money(billed[0].at_stake) in page
    overdue = [e for e in entries if e.overdue]
    only = _text(client.get("/policy/machines?overdue=1"))
    shown = re.findall(r"<tr(?: class=\"overdue\")?>\s*<td class=\"code\">", only)
    assert len(shown) == len(overdue)
    assert 'name="overdue" value="1" checked' in only
