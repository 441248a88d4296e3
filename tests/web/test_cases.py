"""The joint-verification pages: the queue, the case page, every action, the scoping."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from markupsafe import escape
from tests.casework import (
    ASSESSOR,
    LEAD_ARITHMETIC,
    LEAD_MESSAGE,
    OTHER_ASSESSOR,
    PDF,
    SUPERVISOR,
    Clock,
    client_at,
    codes_by_facility,
    open_lead_case,
    token,
)
from tests.site import form_token, login

from giamdinh.domain.money import format_dong
from giamdinh.services.context import today_in_vietnam
from giamdinh.services.review import list_cases, send_case, show_case

if TYPE_CHECKING:
    from starlette.testclient import TestClient
    from tests.site import Site

EVIDENCE_ONLY = "Chỉ là bằng chứng, không là căn cứ từ chối"
ACTIONS = ("send", "answer", "meet", "decide", "close", "appeal", "reassign", "reopen")
_VERSION = re.compile(r'name="version" value="(\d+)"')
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _version(page: str) -> int:
    found = _VERSION.search(page)
    assert found is not None, "no version field on the page"
    return int(found.group(1))


def _post(
    client: TestClient,
    code: str,
    action: str,
    data: dict[str, str] | None = None,
    *,
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
    version: int | None = None,
) -> tuple[int, str]:
    """Post an action's form as the page would (token and version from the page)."""
    page = client.get(f"/cases/{code}").text
    found = _TOKEN.search(page)
    body = {
        "csrf_token": found.group(1) if found else form_token(client, "/cases"),
        "version": str(version if version is not None else _version(page)),
        **(data or {}),
    }
    response = client.post(
        f"/cases/{code}/{action}", data=body, files=files, follow_redirects=False
    )
    return response.status_code, response.headers.get("location", response.text)


def _position(client: TestClient, site: Site) -> dict[str, Any]:
    response = client.get("/api/v1/review/position", headers=token(site, SUPERVISOR))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _dec(value: object) -> Decimal:
    return Decimal(str(value))


# ------------------------------------------------------------------ the queue


def test_the_queue_shows_every_case_with_deadline_basis_and_money(
    client: TestClient, site: Site
) -> None:
    login(client, ASSESSOR)
    page = client.get("/cases")
    assert page.status_code == 200
    rows = list_cases(user=ASSESSOR, database_url=site.context.database_url)
    assert rows
    for row in rows:
        assert f'href="/cases/{row.code}"' in page.text
        assert format_dong(row.stake) in page.text
    assert "Thông tư 12/2026/TT-BTC" in page.text
    assert "Điều 10 khoản 2" in page.text
    assert "BHXH (giám định viên)" in page.text
    assert "Quá hạn" in page.text
    assert "style=" not in page.text
    assert "<script" not in page.text


def test_the_queue_filters_by_state_and_facility(
    client: TestClient, site: Site
) -> None:
    login(client, ASSESSOR)
    by_facility = codes_by_facility(site)
    facility, codes = next(iter(by_facility.items()))
    others = [c for f, cs in by_facility.items() if f != facility for c in cs]
    page = client.get("/cases", params={"facility": facility}).text
    assert all(f'/cases/{c}"' in page for c in codes)
    assert not any(f'/cases/{c}"' in page for c in others)
    closed = client.get("/cases", params={"state": "closed"}).text
    assert "Không có hồ sơ nào" in closed
    assert client.get("/cases", params={"state": "nonsense"}).status_code == 400


def test_facility_staff_see_their_cases_and_what_they_must_do(
    client: TestClient, site: Site
) -> None:
    by_facility = codes_by_facility(site)
    facility, codes = next(iter(by_facility.items()))
    others = [c for f, cs in by_facility.items() if f != facility for c in cs]
    login(client, site.facility_user(facility))
    page = client.get("/cases").text
    assert "Việc cơ sở cần làm" in page
    assert all(f'/cases/{c}"' in page for c in codes)
    for code in others:
        assert code not in page
    for other in by_facility:
        if other != facility:
            assert f">{other}<" not in page
    # The facility filter cannot widen what they see.
    other = next(f for f in by_facility if f != facility)
    assert not any(c in client.get(f"/cases?facility={other}").text for c in others)


def test_overdue_and_due_soon_follow_the_clock(own_site: Site) -> None:
    lead, _ = open_lead_case(own_site)  # received months ago: overdue
    url = own_site.context.database_url
    rows = list_cases(user=SUPERVISOR, database_url=url)
    opened = next(r for r in rows if r.code != lead and r.deadline is not None)
    early = next(r for r in rows if r.code not in {lead, opened.code})
    # One more case sent long ago: the facility's time to answer ran out.
    send_case(
        early.code,
        user=SUPERVISOR,
        on=early.received_on - timedelta(days=30),
        database_url=url,
    )
    assert opened.deadline is not None
    clock = Clock(opened.deadline.due - timedelta(days=2))
    overdue = {
        r.code
        for r in list_cases(
            user=SUPERVISOR, database_url=url, overdue=True, today=clock.day
        )
    }
    due = {
        r.code
        for r in list_cases(
            user=SUPERVISOR, database_url=url, due_within=7, today=clock.day
        )
    }
    assert {lead, early.code} <= overdue
    assert opened.code in due
    assert not overdue & due
    with client_at(own_site, clock) as client:
        login(client, ASSESSOR)
        page = client.get("/cases?view=overdue").text
        listed = set(re.findall(r'href="/cases/(GD[0-9-]+)"', page))
        assert listed == overdue
        assert "quá hạn" in page
        soon = client.get("/cases?view=due").text
        assert set(re.findall(r'href="/cases/(GD[0-9-]+)"', soon)) == due
        assert f"Quá hạn ({len(overdue)})" in page
    # The day before the oldest data came in, nothing was overdue yet.
    first = show_case(lead, user=SUPERVISOR, database_url=url).case.received_on
    with client_at(own_site, Clock(first - timedelta(days=1))) as client:
        login(client, ASSESSOR)
        assert "Không có hồ sơ quá hạn" in client.get("/cases?view=overdue").text


# ------------------------------------------------------------------ the case


def test_case_page_shows_findings_time_evidence_and_forms(
    client: TestClient, site: Site
) -> None:
    login(client, ASSESSOR)
    rows = list_cases(user=ASSESSOR, database_url=site.context.database_url)
    view = next(
        show_case(r.code, user=ASSESSOR, database_url=site.context.database_url)
        for r in rows
        if r.state.value == "opened"
    )
    page = client.get(f"/cases/{view.case.code}").text
    assert view.case.code in page
    assert "Mới mở" in page
    assert "Thông tư 12/2026/TT-BTC (10/02/2026), Điều 10 khoản 2" in page
    for line in view.lines:
        assert line.ma_lk in page
        for finding in line.findings:
            assert finding["rule_id"] in page
            for basis in finding["basis"]:
                assert basis in page
    timed = [f for ln in view.lines for f in ln.findings if f["time_evidence"]]
    if timed:
        assert "thời gian: chỉ là bằng chứng, không là căn cứ từ chối" in page
        for key, value in timed[0]["evidence"].items():
            assert key in page
            assert str(value) in page
    assert f'action="/cases/{view.case.code}/send"' in page
    assert f'action="/cases/{view.case.code}/decide"' not in page
    assert f'name="version" value="{view.row.version}"' in page


def test_the_whole_path_in_the_browser(own_site: Site) -> None:  # noqa: PLR0915 - one story, told in order
    code, facility = open_lead_case(own_site)
    url = own_site.context.database_url
    view = show_case(code, user=SUPERVISOR, database_url=url)
    stakes = [ln.stake for ln in view.lines]
    clock = Clock(today_in_vietnam())
    with (
        client_at(own_site, clock) as assessor,
        client_at(own_site, clock) as hospital,
        client_at(own_site, clock) as other,
    ):
        before = _position(assessor, own_site)
        login(assessor, ASSESSOR)
        login(hospital, own_site.facility_user(facility))
        login(other, OTHER_ASSESSOR)

        page = assessor.get(f"/cases/{code}").text
        assert LEAD_MESSAGE in page
        assert str(escape(LEAD_ARITHMETIC)) in page
        assert EVIDENCE_ONLY in page
        assert _post(assessor, code, "send") == (303, f"/cases/{code}")
        assert "Đã gửi kết quả cho cơ sở" in assessor.get(f"/cases/{code}").text

        clock.day += timedelta(days=1)
        page = hospital.get(f"/cases/{code}").text
        assert "Đã gửi cơ sở" in page
        assert f'action="/cases/{code}/answer"' in page
        # A note alone: the browser sends the empty file field as an empty part.
        status, _ = _post(
            hospital,
            code,
            "answer",
            {"note": "Sẽ gửi biên bản"},
            files=[("files", ("", b"", "application/octet-stream"))],
        )
        assert status == 303
        status, where = _post(
            hospital,
            code,
            "answer",
            {"note": "Gửi biên bản hội chẩn"},
            files=[("files", ("bien-ban-hoi-chan.pdf", PDF, "application/pdf"))],
        )
        assert (status, where) == (303, f"/cases/{code}")
        page = hospital.get(f"/cases/{code}").text
        assert "Đã ghi nhận giải trình" in page
        assert "Cơ sở đã giải trình" in page
        file_id = re.search(rf"/cases/{code}/attachments/(\d+)", page)
        assert file_id is not None
        download = assessor.get(f"/cases/{code}/attachments/{file_id.group(1)}")
        assert download.status_code == 200
        assert download.content == PDF
        assert download.headers["content-type"] == "application/pdf"
        assert download.headers["content-disposition"].startswith("attachment;")
        assert "bien-ban-hoi-chan.pdf" in download.headers["content-disposition"]

        clock.day += timedelta(days=1)
        status, _ = _post(
            assessor,
            code,
            "meet",
            {"participants": "BHXH tỉnh; phòng KHTH", "minutes": "Đối chiếu hồ sơ"},
        )
        assert status == 303
        assert "Đang giám định chung" in assessor.get(f"/cases/{code}").text

        first, second = view.lines
        pay_first = first.stake - Decimal(1500)
        status, _ = _post(
            assessor,
            code,
            "decide",
            {
                "stt": str(first.stt),
                "claim": first.ma_lk,
                "table": first.tbl,
                "payable": format_dong(pay_first),
                "refused": "1.000",
                "reason": "Không đủ hồ sơ chứng minh",
                "basis": "tt12_2026/10.1.c",
            },
        )
        assert status == 303
        status, _ = _post(
            assessor,
            code,
            "decide",
            {
                "stt": str(second.stt),
                "claim": second.ma_lk,
                "table": second.tbl,
                "payable": f"{second.stake:f}",
                "reason": "Đủ hồ sơ",
            },
        )
        assert status == 303
        page = assessor.get(f"/cases/{code}").text
        assert "Đã quyết định" in page
        assert "Thông tư 12/2026/TT-BTC" in page  # the key became its citation
        paid = pay_first + second.stake
        for amount in (sum(stakes), paid, Decimal(1000), Decimal(500)):
            assert format_dong(amount) in page

        after = _position(assessor, own_site)
        moved = {k: _dec(v) for k, v in after["moved"].items()}
        was = {k: _dec(v) for k, v in before["moved"].items()}
        assert moved["payable"] - was["payable"] == paid
        assert moved["refused"] - was["refused"] == Decimal(1000)
        assert moved["adjusted"] - was["adjusted"] == Decimal(500)
        now_ = {k: _dec(v) for k, v in after["current"].items()}
        then = {k: _dec(v) for k, v in before["current"].items()}
        assert now_["payable"] - then["payable"] == Decimal(-1500)
        assert now_["refused"] - then["refused"] == Decimal(1000)
        assert now_["adjusted"] - then["adjusted"] == Decimal(500)
        assert now_["under_review"] == then["under_review"]
        assert after["decided_lines"] == before["decided_lines"] + 2

        clock.day += timedelta(days=1)
        page = hospital.get(f"/cases/{code}").text
        assert f'action="/cases/{code}/appeal"' in page
        status, _ = _post(
            hospital,
            code,
            "appeal",
            {"reason": "Có biên bản hội chẩn bổ sung"},
            files=[("files", ("bo-sung.pdf", PDF + b"%2", "application/pdf"))],
        )
        assert status == 303
        assert "Cơ sở đề nghị xem xét lại" in hospital.get(f"/cases/{code}").text
        assert (
            f'action="/cases/{code}/appeal"' not in hospital.get(f"/cases/{code}").text
        )

        page = assessor.get(f"/cases/{code}").text
        assert f'action="/cases/{code}/decide"' not in page
        status, message = _post(
            assessor,
            code,
            "decide",
            {
                "stt": str(first.stt),
                "claim": first.ma_lk,
                "payable": "0",
                "refused": f"{first.stake:f}",
                "reason": "x",
                "basis": "tt12_2026/10.1.c",
            },
        )
        assert status == 409
        assert "giám định viên khác" in message

        page = other.get(f"/cases/{code}").text
        assert f'action="/cases/{code}/decide"' in page
        status, _ = _post(
            other,
            code,
            "decide",
            {
                "stt": str(first.stt),
                "claim": first.ma_lk,
                "table": first.tbl,
                "payable": f"{first.stake:f}",
                "reason": "Chấp nhận sau bổ sung",
            },
        )
        assert status == 303
        final = show_case(code, user=SUPERVISOR, database_url=url)
        newest = final.lines[0].decisions[-1]
        assert newest.decided_by == OTHER_ASSESSOR
        assert newest.round == 2
        assert newest.payable == first.stake


def test_a_stale_page_gets_the_conflict_page_and_changes_nothing(
    own_site: Site,
) -> None:
    url = own_site.context.database_url
    code = list_cases(user=SUPERVISOR, database_url=url)[0].code
    with client_at(own_site, Clock(today_in_vietnam())) as client:
        login(client, ASSESSOR)
        stale = _version(client.get(f"/cases/{code}").text)
        assert _post(client, code, "send", version=stale)[0] == 303
        meeting = {"participants": "BHXH; cơ sở", "minutes": "Lần 1"}
        assert _post(client, code, "meet", meeting)[0] == 303
        current = show_case(code, user=SUPERVISOR, database_url=url)
        status, page = _post(
            client, code, "meet", {**meeting, "minutes": "Ghi đè?"}, version=stale
        )
        assert status == 409
        assert "tải lại" in page
        assert f'href="/cases/{code}"' in page
        again = show_case(code, user=SUPERVISOR, database_url=url)
        assert again.row.version == current.row.version
        assert [m.minutes for m in again.meetings] == ["Lần 1"]


def test_bad_amounts_and_missing_basis_are_refused(own_site: Site) -> None:
    url = own_site.context.database_url
    code = list_cases(user=SUPERVISOR, database_url=url)[0].code
    view = show_case(code, user=SUPERVISOR, database_url=url)
    line = view.lines[0]
    with client_at(own_site, Clock(today_in_vietnam())) as client:
        login(client, ASSESSOR)
        _post(client, code, "send")
        _post(client, code, "meet", {"participants": "A", "minutes": "B"})
        for payable, refused, basis, words in (
            ("70,000", "0", "", "không phải số tiền"),
            ("-5", "0", "", "không phải số tiền"),
            (f"{line.stake + 1:f}", "0", "", "vượt"),
            ("0", "0", "", "căn cứ"),
        ):
            status, page = _post(
                client,
                code,
                "decide",
                {
                    "stt": str(line.stt),
                    "claim": line.ma_lk,
                    "table": line.tbl,
                    "payable": payable,
                    "refused": refused,
                    "reason": "r",
                    "basis": basis,
                },
            )
            assert status == 400, (payable, page[:300])
            assert words in page
        assert not show_case(code, user=SUPERVISOR, database_url=url).lines[0].decisions


def test_supervisor_reassigns_and_reopens(own_site: Site) -> None:
    url = own_site.context.database_url
    code = list_cases(user=SUPERVISOR, database_url=url)[0].code
    with client_at(own_site, Clock(today_in_vietnam())) as client:
        login(client, SUPERVISOR)
        page = client.get(f"/cases/{code}").text
        assert f'<option value="{OTHER_ASSESSOR}"' in page
        assert _post(client, code, "reassign", {"to": OTHER_ASSESSOR})[0] == 303
        assert show_case(code, user=SUPERVISOR, database_url=url).row.assignee == (
            OTHER_ASSESSOR
        )
        status, page = _post(client, code, "reassign", {"to": "bo.yte"})
        assert status == 400
    with client_at(own_site, Clock(today_in_vietnam())) as client:
        login(client, ASSESSOR)
        page = client.get(f"/cases/{code}").text
        assert f'action="/cases/{code}/send"' not in page  # another's case
        assert "Hồ sơ được giao cho" in page
        version = show_case(code, user=SUPERVISOR, database_url=url).row.version
        status, page = _post(client, code, "send", version=version)
        assert status == 409
        assert OTHER_ASSESSOR in page


def test_supervisor_decides_once_the_answer_time_ran_out_and_reopens(
    own_site: Site,
) -> None:
    url = own_site.context.database_url
    row = list_cases(user=SUPERVISOR, database_url=url)[0]
    today = today_in_vietnam()
    with client_at(own_site, Clock(today)) as client:
        login(client, SUPERVISOR)
        assert _post(client, row.code, "send")[0] == 303
        page = client.get(f"/cases/{row.code}").text
        assert f'action="/cases/{row.code}/decide"' not in page  # time to answer
        assert "Cơ sở còn hạn giải trình đến" in page
    sent = show_case(row.code, user=SUPERVISOR, database_url=url)
    assert sent.row.deadline is not None
    later = Clock(sent.row.deadline.due + timedelta(days=1))
    with client_at(own_site, later) as client:
        login(client, SUPERVISOR)
        page = client.get(f"/cases/{row.code}").text
        assert "quá hạn" in page
        for line in sent.lines:
            status, _ = _post(
                client,
                row.code,
                "decide",
                {
                    "stt": str(line.stt),
                    "claim": line.ma_lk,
                    "table": line.tbl,
                    "payable": "0",
                    "refused": format_dong(line.stake),
                    "reason": "Cơ sở không giải trình trong hạn",
                    "basis": "tt12_2026/10.1.c",
                },
            )
            assert status == 303
        page = client.get(f"/cases/{row.code}").text
        assert "Đã quyết định" in page
        assert f'action="/cases/{row.code}/close"' in page
        assert _post(client, row.code, "close")[0] == 303
        assert "Đã đóng" in client.get(f"/cases/{row.code}").text
        status, _ = _post(client, row.code, "reopen", {"reason": "Sai sót số liệu"})
        assert status == 303
    view = show_case(row.code, user=SUPERVISOR, database_url=url)
    assert view.row.state.value == "joint_verification"
    assert view.row.round == 2


# ------------------------------------------------------------------ scoping


@pytest.fixture
def answered(own_site: Site) -> tuple[str, str, int]:
    """A case of one facility, answered with a file: code, facility, file id."""
    url = own_site.context.database_url
    row = list_cases(user=SUPERVISOR, database_url=url)[0]
    with client_at(own_site, Clock(today_in_vietnam())) as client:
        login(client, ASSESSOR)
        _post(client, row.code, "send")
    with client_at(own_site, Clock(today_in_vietnam())) as client:
        login(client, own_site.facility_user(row.ma_cskcb))
        _post(
            client,
            row.code,
            "answer",
            {"note": "giải trình riêng 7731"},
            files=[("files", ("a.pdf", PDF, "application/pdf"))],
        )
    view = show_case(row.code, user=SUPERVISOR, database_url=url)
    return row.code, row.ma_cskcb, view.attachments[0].id


def test_another_facility_gets_404_with_nothing_of_the_case(
    own_site: Site, answered: tuple[str, str, int]
) -> None:
    code, facility, file_id = answered
    url = own_site.context.database_url
    view = show_case(code, user=SUPERVISOR, database_url=url)
    version = view.row.version
    secrets = [view.case.title, facility, view.lines[0].ma_lk, "a.pdf", "riêng 7731"]
    outsider = next(f for f in own_site.facilities if f != facility)
    with client_at(own_site, Clock(today_in_vietnam())) as client:
        login(client, own_site.facility_user(outsider))
        token_ = form_token(client, "/cases")
        data = {
            "csrf_token": token_,
            "version": str(version),
            "stt": "1",
            "payable": "0",
            "reason": "x",
            "note": "x",
            "to": ASSESSOR,
            "participants": "x",
            "minutes": "x",
        }
        upload = [("files", ("b.pdf", PDF, "application/pdf"))]
        responses = [
            client.get(f"/cases/{code}"),
            client.get(f"/cases/{code}/attachments/{file_id}"),
        ] + [
            client.post(
                f"/cases/{code}/{action}",
                data=data,
                files=upload if action in {"answer", "appeal"} else None,
                follow_redirects=False,
            )
            for action in ACTIONS
        ]
        for response in responses:
            assert response.status_code == 404, response.request.url
            for secret in secrets:
                assert secret not in response.text, (response.request.url, secret)
        queue = client.get("/cases").text
        assert code not in queue
    assert show_case(code, user=SUPERVISOR, database_url=url).row.version == version


@pytest.mark.parametrize("role", ["ministry", "admin"])
def test_ministry_and_admin_are_refused(
    client: TestClient, site: Site, role: str
) -> None:
    code = list_cases(user=SUPERVISOR, database_url=site.context.database_url)[0].code
    token_ = login(client, site.users(role)[0])
    for path in ("/cases", f"/cases/{code}", f"/cases/{code}/attachments/1"):
        assert client.get(path).status_code == 403, path
    response = client.post(
        f"/cases/{code}/send", data={"csrf_token": token_, "version": "1"}
    )
    assert response.status_code == 403
    title = show_case(
        code, user=SUPERVISOR, database_url=site.context.database_url
    ).case.title
    assert title not in response.text


def test_pages_need_a_login(client: TestClient) -> None:
    response = client.get("/cases", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/cases"


def test_an_action_without_the_form_token_is_refused(
    client: TestClient, site: Site
) -> None:
    code = list_cases(user=SUPERVISOR, database_url=site.context.database_url)[0].code
    login(client, ASSESSOR)
    response = client.post(f"/cases/{code}/send", data={"version": "1"})
    assert response.status_code == 403


def test_feedback_download_holds_only_the_facilitys_cases(
    own_site: Site, answered: tuple[str, str, int]
) -> None:
    del answered
    with client_at(own_site, Clock(today_in_vietnam())) as client:
        login(client, ASSESSOR)
        response = client.get("/cases/feedback.xlsx")
        assert response.status_code == 200
        assert response.content.startswith(b"PK")
        assert "attachment" in response.headers["content-disposition"]
