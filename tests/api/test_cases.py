"""The cases API: list, detail, actions, files, the money position, Mẫu 09/BH."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from openpyxl import load_workbook
from tests.casework import (
    ASSESSOR,
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

from giamdinh.domain.money import parse_dong
from giamdinh.errors import ConfigError
from giamdinh.services.context import today_in_vietnam
from giamdinh.services.review import list_cases, send_case, show_case

if TYPE_CHECKING:
    from starlette.testclient import TestClient
    from tests.site import Site

API = "/api/v1"
ACTIONS = ("send", "answer", "meet", "decide", "close", "appeal", "reassign", "reopen")


def _case(client: TestClient, headers: dict[str, str], code: str) -> dict[str, Any]:
    response = client.get(f"{API}/cases/{code}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _money(body: dict[str, Any]) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in body.items()}


# ------------------------------------------------------------------ the money parser


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("70000", Decimal(70000)),
        ("70000.50", Decimal("70000.50")),
        ("70.000", Decimal(70000)),
        ("70.000,50", Decimal("70000.50")),
        (" 1.234.567 ", Decimal(1234567)),
        ("0", Decimal(0)),
    ],
)
def test_amounts_are_read_as_people_type_them(text: str, value: Decimal) -> None:
    assert parse_dong(text) == value


@pytest.mark.parametrize(
    "text", ["70,000", "7.0000", "-5", "1e5", "70.000.5", "", "abc", "70000.505"]
)
def test_anything_else_is_not_money(text: str) -> None:
    with pytest.raises(ConfigError, match="không phải số tiền"):
        parse_dong(text, "payable")


# ------------------------------------------------------------------ reading


def test_the_list_is_paged_and_filtered(client: TestClient, site: Site) -> None:
    headers = token(site, ASSESSOR)
    every = list_cases(user=ASSESSOR, database_url=site.context.database_url)
    first = client.get(f"{API}/cases", params={"limit": 2}, headers=headers).json()
    assert first["total"] == len(every)
    assert [c["code"] for c in first["items"]] == [r.code for r in every[:2]]
    rest = client.get(
        f"{API}/cases", params={"limit": 2, "offset": 2}, headers=headers
    ).json()
    assert [c["code"] for c in rest["items"]] == [r.code for r in every[2:4]]
    item = first["items"][0]
    assert item["deadline"]["basis"].startswith("Thông tư 12/2026/TT-BTC")
    assert item["deadline"]["party"] == "insurer"
    assert Decimal(item["stake"]) == every[0].stake
    assert item["state_vi"] == "Mới mở"
    facility, codes = next(iter(codes_by_facility(site).items()))
    only = client.get(
        f"{API}/cases", params={"facility": facility}, headers=headers
    ).json()
    assert [c["code"] for c in only["items"]] == codes
    closed = client.get(f"{API}/cases", params={"state": "closed"}, headers=headers)
    assert closed.json()["total"] == 0
    assert client.get(f"{API}/cases?state=nope", headers=headers).status_code == 422


def test_facility_tokens_list_their_facility_only(
    client: TestClient, site: Site
) -> None:
    by_facility = codes_by_facility(site)
    facility, codes = next(iter(by_facility.items()))
    other = next(f for f in by_facility if f != facility)
    headers = token(site, site.facility_user(facility))
    body = client.get(f"{API}/cases", headers=headers).json()
    assert [c["code"] for c in body["items"]] == codes
    assert {c["ma_cskcb"] for c in body["items"]} == {facility}
    widened = client.get(
        f"{API}/cases", params={"facility": other}, headers=headers
    ).json()
    assert widened == {"items": [], "total": 0, "limit": 50, "offset": 0}


def test_overdue_and_due_within_follow_the_clock(own_site: Site) -> None:
    lead, _ = open_lead_case(own_site)
    url = own_site.context.database_url
    opened = next(
        r for r in list_cases(user=SUPERVISOR, database_url=url) if r.code != lead
    )
    assert opened.deadline is not None
    clock = Clock(opened.deadline.due - timedelta(days=2))
    with client_at(own_site, clock) as client:
        headers = token(own_site, ASSESSOR)
        late = client.get(f"{API}/cases?overdue=true", headers=headers).json()
        assert [c["code"] for c in late["items"]] == [lead]
        assert late["items"][0]["overdue"] is True
        assert late["items"][0]["deadline"]["overdue"] is True
        soon = client.get(f"{API}/cases?due_within=7", headers=headers).json()
        codes = {c["code"] for c in soon["items"]}
        assert opened.code in codes
        assert lead not in codes
        assert (
            client.get(f"{API}/cases?due_within=1", headers=headers).json()["total"]
            == 0
        )


def test_one_case_with_lines_findings_deadline_money_and_actions(
    client: TestClient, site: Site
) -> None:
    code = list_cases(user=SUPERVISOR, database_url=site.context.database_url)[0].code
    view = show_case(code, user=SUPERVISOR, database_url=site.context.database_url)
    body = _case(client, token(site, ASSESSOR), code)
    assert body["code"] == code
    assert body["state"] == "opened"
    assert body["allowed"] == ["send"]
    assert body["deadline"]["step"] == "send_result"
    assert Decimal(body["money"]["open"]) == view.money.open
    assert [ln["line_key"] for ln in body["lines"]] == [
        ln.line_key for ln in view.lines
    ]
    findings = [f for ln in body["lines"] for f in ln["findings"]]
    assert findings
    assert all(f["basis"] for f in findings)
    timed = [f for f in findings if f["evidence_only"]]
    assert all(f["evidence"] for f in timed)
    assert body["history"][0]["action"] == "open"
    facility = _case(client, token(site, site.facility_user(view.case.ma_cskcb)), code)
    assert facility["allowed"] == []


# ------------------------------------------------------------------ the path


def test_the_whole_path_through_the_api(own_site: Site) -> None:  # noqa: PLR0915 - one story, told in order
    url = own_site.context.database_url
    row = list_cases(user=SUPERVISOR, database_url=url)[0]
    clock = Clock(today_in_vietnam())
    gdv = token(own_site, ASSESSOR)
    hospital = token(own_site, own_site.facility_user(row.ma_cskcb))
    other, boss = token(own_site, OTHER_ASSESSOR), token(own_site, SUPERVISOR)
    with client_at(own_site, clock) as client:
        before = client.get(f"{API}/review/position", headers=gdv).json()
        case = _case(client, gdv, row.code)
        sent = client.post(
            f"{API}/cases/{row.code}/send",
            json={"version": case["version"]},
            headers=gdv,
        )
        assert sent.status_code == 200, sent.text
        assert sent.json()["state"] == "sent"
        assert sent.json()["assignee"] == ASSESSOR
        assert sent.json()["deadline"]["party"] == "facility"

        clock.day += timedelta(days=1)
        answer = client.post(
            f"{API}/cases/{row.code}/answer",
            data={"version": str(sent.json()["version"]), "note": "Biên bản kèm"},
            files=[
                ("files", ("bien-ban.pdf", PDF, "application/pdf")),
                ("files", ("ghi-chu.txt", "Ghi chú giải trình".encode(), "text/plain")),
            ],
            headers=hospital,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["state"] == "answered"
        files = _case(client, hospital, row.code)["attachments"]
        assert [(f["filename"], f["media_type"]) for f in files] == [
            ("bien-ban.pdf", "application/pdf"),
            ("ghi-chu.txt", "text/plain"),
        ]
        download = client.get(f"{API}/{files[0]['href']}", headers=gdv)
        assert download.status_code == 200
        assert download.content == PDF
        assert download.headers["content-type"] == "application/pdf"
        assert download.headers["content-disposition"].startswith("attachment;")

        clock.day += timedelta(days=1)
        met = client.post(
            f"{API}/cases/{row.code}/meet",
            json={
                "version": answer.json()["version"],
                "participants": "BHXH tỉnh; phòng KHTH",
                "minutes": "Đối chiếu bệnh án",
            },
            headers=gdv,
        )
        assert met.status_code == 200, met.text
        assert met.json()["state"] == "joint_verification"

        version = met.json()["version"]
        decided: dict[str, Decimal] = dict.fromkeys(
            ("payable", "refused", "adjusted"), Decimal(0)
        )
        for line in _case(client, gdv, row.code)["lines"]:
            stake = Decimal(line["stake"])
            payable = (stake / 2).quantize(Decimal(1))
            refused = Decimal(100) if stake - payable >= 200 else Decimal(0)
            response = client.post(
                f"{API}/cases/{row.code}/decide",
                json={
                    "version": version,
                    "stt": line["stt"],
                    "claim": line["ma_lk"],
                    "table": line["tbl"],
                    "payable": f"{payable:,.0f}".replace(",", "."),
                    "refused": int(refused),
                    "reason": "Một phần chưa đủ hồ sơ",
                    "basis": "tt12_2026/10.1.c",
                },
                headers=gdv,
            )
            assert response.status_code == 200, response.text
            version = response.json()["version"]
            decided["payable"] += payable
            decided["refused"] += refused
            decided["adjusted"] += stake - payable - refused
        body = _case(client, gdv, row.code)
        assert body["state"] == "decided"
        assert body["allowed"] == ["close"]
        assert (
            _money({k: body["money"][k] for k in ("payable", "refused", "adjusted")})
            == decided
        )
        assert Decimal(body["money"]["open"]) == 0
        decision = body["lines"][0]["decisions"][0]
        assert decision["basis"].startswith("Thông tư 12/2026/TT-BTC")
        assert decision["decided_by"] == ASSESSOR

        after = client.get(f"{API}/review/position", headers=gdv).json()
        was, now = _money(before["current"]), _money(after["current"])
        assert now["under_review"] == was["under_review"] - row.stake
        assert now["payable"] == was["payable"] + decided["payable"]
        assert now["refused"] == was["refused"] + decided["refused"]
        assert now["adjusted"] == was["adjusted"] + decided["adjusted"]
        assert now["claimed"] == was["claimed"]
        assert after["decided_lines"] == before["decided_lines"] + row.lines

        sheet = client.get(f"{API}/review/feedback.xlsx", headers=gdv)
        assert sheet.status_code == 200
        assert sheet.headers["content-disposition"].startswith("attachment;")
        book = load_workbook(io.BytesIO(sheet.content))
        rows = list(book["Mau09BH"].iter_rows(values_only=True))
        assert rows[0][:2] == ("STT", "MA_LK")
        assert {r[1] for r in rows[1:]} == {ln["ma_lk"] for ln in body["lines"]}
        own = load_workbook(
            io.BytesIO(
                client.get(f"{API}/review/feedback.xlsx", headers=hospital).content
            )
        )
        assert [
            r[0] for r in own["HoSo"].iter_rows(min_row=2, values_only=True)
        ] == list(codes_by_facility(own_site)[row.ma_cskcb])

        clock.day += timedelta(days=1)
        appeal = client.post(
            f"{API}/cases/{row.code}/appeal",
            data={"version": str(version), "reason": "Bổ sung bệnh án"},
            files=[("files", ("benh-an.pdf", PDF + b"%x", "application/pdf"))],
            headers=hospital,
        )
        assert appeal.status_code == 200, appeal.text
        assert appeal.json()["state"] == "appealed"
        assert appeal.json()["round"] == 2
        assert appeal.json()["assignee"] is None
        again = client.post(
            f"{API}/cases/{row.code}/appeal",
            data={"version": str(appeal.json()["version"]), "reason": "Lần hai"},
            headers=hospital,
        )
        assert again.status_code == 409

        line = body["lines"][0]
        redo = {
            "version": appeal.json()["version"],
            "stt": line["stt"],
            "claim": line["ma_lk"],
            "table": line["tbl"],
            "payable": line["stake"],
            "reason": "Chấp nhận sau bổ sung",
        }
        same = client.post(f"{API}/cases/{row.code}/decide", json=redo, headers=gdv)
        assert same.status_code == 409
        assert same.json()["error"]["code"] == "not_allowed"
        assert "giám định viên khác" in same.json()["error"]["message"]
        fresh = client.post(f"{API}/cases/{row.code}/decide", json=redo, headers=other)
        assert fresh.status_code == 200, fresh.text
        assert fresh.json()["assignee"] == OTHER_ASSESSOR

        reassigned = client.post(
            f"{API}/cases/{row.code}/reassign",
            json={"version": fresh.json()["version"], "to": ASSESSOR},
            headers=boss,
        )
        assert reassigned.status_code == 200, reassigned.text
        assert reassigned.json()["assignee"] == ASSESSOR


def test_close_and_reopen(own_site: Site) -> None:
    url = own_site.context.database_url
    row = list_cases(user=SUPERVISOR, database_url=url)[0]
    sent = send_case(
        row.code,
        user=SUPERVISOR,
        on=row.received_on - timedelta(days=30),
        database_url=url,
    )
    boss = token(own_site, SUPERVISOR)
    with client_at(own_site, Clock(today_in_vietnam())) as client:
        version = sent.version
        for line in _case(client, boss, row.code)["lines"]:
            response = client.post(
                f"{API}/cases/{row.code}/decide",
                json={
                    "version": version,
                    "stt": line["stt"],
                    "claim": line["ma_lk"],
                    "payable": line["stake"],
                    "reason": "Không cần giải trình",
                },
                headers=boss,
            )
            assert response.status_code == 200, response.text
            version = response.json()["version"]
        closed = client.post(
            f"{API}/cases/{row.code}/close", json={"version": version}, headers=boss
        )
        assert closed.json()["state"] == "closed"
        assert closed.json()["appeal_until"]["step"] == "appeal"
        reopened = client.post(
            f"{API}/cases/{row.code}/reopen",
            json={"version": closed.json()["version"], "reason": "Sai số liệu"},
            headers=boss,
        )
        assert reopened.status_code == 200, reopened.text
        assert reopened.json()["state"] == "joint_verification"
        assert reopened.json()["round"] == 2


# ------------------------------------------------------------------ refusals


def test_a_stale_version_is_a_conflict_and_changes_nothing(own_site: Site) -> None:
    url = own_site.context.database_url
    code = list_cases(user=SUPERVISOR, database_url=url)[0].code
    gdv = token(own_site, ASSESSOR)
    with client_at(own_site, Clock(today_in_vietnam())) as client:
        stale = _case(client, gdv, code)["version"]
        sent = client.post(
            f"{API}/cases/{code}/send", json={"version": stale}, headers=gdv
        )
        assert sent.status_code == 200
        meeting = {"participants": "BHXH; cơ sở", "minutes": "Lần 1"}
        first = client.post(
            f"{API}/cases/{code}/meet",
            json={"version": sent.json()["version"], **meeting},
            headers=gdv,
        )
        assert first.status_code == 200
        late = client.post(
            f"{API}/cases/{code}/meet",
            json={"version": stale, **meeting, "minutes": "Ghi đè?"},
            headers=gdv,
        )
        assert late.status_code == 409
        assert late.json()["error"]["code"] == "conflict"
        body = _case(client, gdv, code)
        assert body["version"] == first.json()["version"]
        assert [m["minutes"] for m in body["meetings"]] == ["Lần 1"]


def test_bad_amounts_are_refused(own_site: Site) -> None:
    url = own_site.context.database_url
    row = list_cases(user=SUPERVISOR, database_url=url)[0]
    sent = send_case(
        row.code,
        user=SUPERVISOR,
        on=row.received_on - timedelta(days=30),
        database_url=url,
    )
    boss = token(own_site, SUPERVISOR)
    stt = show_case(row.code, user=SUPERVISOR, database_url=url).lines[0].stt
    with client_at(own_site, Clock(today_in_vietnam())) as client:
        # The document declares an amount's forms: anything else is invalid (422).
        for payable, status in (
            ("70,000", 422),
            ("-1", 422),
            (-1, 422),
            (70000.5, 422),
        ):
            response = client.post(
                f"{API}/cases/{row.code}/decide",
                json={
                    "version": sent.version,
                    "stt": stt,
                    "payable": payable,
                    "reason": "r",
                },
                headers=boss,
            )
            assert response.status_code == status, (payable, response.text)
        assert not _case(client, boss, row.code)["lines"][0]["decisions"]


@pytest.fixture
def answered(own_site: Site) -> tuple[str, str, int]:
    """A case answered with a file: code, facility, file id."""
    url = own_site.context.database_url
    row = list_cases(user=SUPERVISOR, database_url=url)[0]
    sent = send_case(row.code, user=ASSESSOR, database_url=url)
    with client_at(own_site, Clock(today_in_vietnam())) as client:
        response = client.post(
            f"{API}/cases/{row.code}/answer",
            data={"version": str(sent.version), "note": "giải trình riêng 7731"},
            files=[("files", ("rieng.pdf", PDF, "application/pdf"))],
            headers=token(own_site, own_site.facility_user(row.ma_cskcb)),
        )
        assert response.status_code == 200, response.text
    view = show_case(row.code, user=SUPERVISOR, database_url=url)
    return row.code, row.ma_cskcb, view.attachments[0].id


def test_another_facility_gets_404_with_nothing_of_the_case(
    own_site: Site, answered: tuple[str, str, int]
) -> None:
    code, facility, file_id = answered
    url = own_site.context.database_url
    view = show_case(code, user=SUPERVISOR, database_url=url)
    secrets = [view.case.title, facility, view.lines[0].ma_lk, "rieng.pdf", "7731"]
    outsider = next(f for f in own_site.facilities if f != facility)
    headers = token(own_site, own_site.facility_user(outsider))
    body = {
        "version": view.row.version,
        "stt": 1,
        "payable": "0",
        "reason": "x",
        "participants": "x",
        "minutes": "x",
        "to": ASSESSOR,
    }
    with client_at(own_site, Clock(today_in_vietnam())) as client:
        responses = [
            client.get(f"{API}/cases/{code}", headers=headers),
            client.get(f"{API}/cases/{code}/attachments/{file_id}", headers=headers),
        ] + [
            client.post(
                f"{API}/cases/{code}/{action}",
                data={"version": str(view.row.version), "reason": "x", "note": "x"},
                files=[("files", ("b.pdf", PDF, "application/pdf"))],
                headers=headers,
            )
            if action in {"answer", "appeal"}
            else client.post(f"{API}/cases/{code}/{action}", json=body, headers=headers)
            for action in ACTIONS
        ]
        for response in responses:
            assert response.status_code == 404, (response.request.url, response.text)
            assert response.json()["error"]["code"] == "not_found"
            for secret in secrets:
                assert secret not in response.text
        listed = client.get(f"{API}/cases", headers=headers).json()
        assert code not in {c["code"] for c in listed["items"]}
        sheet = client.get(f"{API}/review/feedback.xlsx", headers=headers)
        book = load_workbook(io.BytesIO(sheet.content))
        assert code not in [r[0] for r in book["HoSo"].iter_rows(values_only=True)]
    assert show_case(code, user=SUPERVISOR, database_url=url).row.version == (
        view.row.version
    )
    assert len(show_case(code, user=SUPERVISOR, database_url=url).attachments) == 1


def test_the_own_facility_downloads_its_files(
    own_site: Site, answered: tuple[str, str, int]
) -> None:
    code, facility, file_id = answered
    headers = token(own_site, own_site.facility_user(facility))
    with client_at(own_site, Clock(today_in_vietnam())) as client:
        response = client.get(
            f"{API}/cases/{code}/attachments/{file_id}", headers=headers
        )
        assert response.status_code == 200
        assert response.content == PDF
        assert "rieng.pdf" in response.headers["content-disposition"]
        missing = client.get(f"{API}/cases/{code}/attachments/999999", headers=headers)
        assert missing.status_code == 404


@pytest.mark.parametrize("role", ["ministry", "admin"])
def test_ministry_and_admin_are_refused(
    client: TestClient, site: Site, role: str
) -> None:
    code = list_cases(user=SUPERVISOR, database_url=site.context.database_url)[0].code
    headers = token(site, site.users(role)[0])
    for path in (
        "/cases",
        f"/cases/{code}",
        f"/cases/{code}/attachments/1",
        "/review/position",
        "/review/feedback.xlsx",
    ):
        response = client.get(f"{API}{path}", headers=headers)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "forbidden"
    sent = client.post(f"{API}/cases/{code}/send", json={"version": 1}, headers=headers)
    assert sent.status_code == 403


def test_the_position_is_the_insurers(client: TestClient, site: Site) -> None:
    facility = site.facilities[0]
    refused = client.get(
        f"{API}/review/position", headers=token(site, site.facility_user(facility))
    )
    assert refused.status_code == 403
    body = client.get(f"{API}/review/position", headers=token(site, ASSESSOR)).json()
    automated, current = _money(body["automated"]), _money(body["current"])
    assert automated["claimed"] == sum(
        (v for k, v in automated.items() if k != "claimed"), Decimal(0)
    )
    assert current["claimed"] == sum(
        (v for k, v in current.items() if k != "claimed"), Decimal(0)
    )
    assert body["cases"] == len(
        list_cases(user=SUPERVISOR, database_url=site.context.database_url)
    )


def test_a_lead_case_carries_its_evidence(own_site: Site) -> None:
    code, facility = open_lead_case(own_site)
    with client_at(own_site, Clock(today_in_vietnam())) as client:
        body = _case(client, token(own_site, own_site.facility_user(facility)), code)
        assert body["origin"] == "lead"
        assert body["evidence"]["message"] == LEAD_MESSAGE
        assert "never a refusal ground" in body["evidence"]["ground"]
        assert len(body["lines"]) == 2
        assert all(ln["stake_kind"] == "payable" for ln in body["lines"])


def test_unknown_cases_and_no_token(client: TestClient, site: Site) -> None:
    headers = token(site, ASSESSOR)
    assert client.get(f"{API}/cases/GD1999-000001", headers=headers).status_code == 404
    assert client.get(f"{API}/cases").status_code == 401
    send = client.post(f"{API}/cases/GD1999-000001/send", json={"version": 1})
    assert send.status_code == 401
