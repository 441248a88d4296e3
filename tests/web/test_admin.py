"""The administrator's accounts page: add, disable, passwords, tokens, the log."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from starlette.testclient import TestClient
from tests.site import Site, form_token, login

from giamdinh.server import create_server
from giamdinh.services.accounts import list_users

if TYPE_CHECKING:
    from collections.abc import Iterator

    from httpx2 import Response

    from giamdinh.services.accounts import Account

PASSWORD = "mat-khau-moi-2026"  # noqa: S105 - a test account's password
_TOKEN = re.compile(r"gd_[A-Za-z0-9_-]{20,}")


def _admin(site: Site) -> str:
    return site.users("admin")[0]


@pytest.fixture
def other(own_site: Site) -> Iterator[TestClient]:
    """A second browser on the same copy of the site."""
    with TestClient(create_server(own_site.context)) as c:
        yield c


def _add(client: TestClient, token: str, **fields: str) -> Response:
    data = {"csrf_token": token, "password": PASSWORD, **fields}
    return client.post("/admin/users", data=data, follow_redirects=False)


def _account(site: Site, username: str) -> Account | None:
    return next(
        (a for a in list_users(site.context.database_url) if a.username == username),
        None,
    )


def test_the_page_lists_accounts_and_the_account_log(
    client: TestClient, site: Site
) -> None:
    login(client, _admin(site))
    page = client.get("/admin/users")
    assert page.status_code == 200
    for username, _role, _facility in site.accounts:
        assert f'<td class="code">{username}</td>' in page.text
    log = page.text.split('id="log"')[1]
    assert "Đăng nhập" in log
    assert _admin(site) in log
    assert "giamdinh-demo" not in page.text
    assert "argon2" not in page.text
    assert "style=" not in page.text


def test_an_added_account_logs_in_until_it_is_disabled(
    own_client: TestClient, own_site: Site, other: TestClient
) -> None:
    token = login(own_client, _admin(own_site))
    facility = own_site.facilities[0]
    added = _add(
        own_client, token, username="bv.moi", name="Nguyễn Thị Mới", role="facility",
        facility=facility,
    )  # fmt: skip
    assert added.status_code == 303
    page = own_client.get("/admin/users").text
    assert "Đã thêm tài khoản" in page
    assert '<td class="code">bv.moi</td>' in page
    account = _account(own_site, "bv.moi")
    assert account is not None
    assert account.ma_cskcb == facility
    # The new account logs in, in another browser, and works.
    login(other, "bv.moi", PASSWORD)
    assert other.get("/").status_code == 200
    # Disabled: its session is out at its next request, and it cannot log in.
    disabled = own_client.post(
        "/admin/users/bv.moi/disable", data={"csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert disabled.status_code == 303
    kicked = other.get("/", follow_redirects=False)
    assert kicked.status_code == 303
    assert kicked.headers["location"].startswith("/login")
    again = other.post(
        "/login",
        data={
            "csrf_token": form_token(other),
            "username": "bv.moi",
            "password": PASSWORD,
        },
    )
    assert again.status_code == 401
    log = own_client.get("/admin/users").text.split('id="log"')[1]
    for label in ("Thêm / sửa tài khoản", "Đặt mật khẩu", "Khóa tài khoản"):
        assert label in log
    assert "bv.moi" in log
    assert PASSWORD not in log


def test_a_token_is_shown_once_and_works(
    own_client: TestClient, own_site: Site
) -> None:
    token = login(own_client, _admin(own_site))
    user = own_site.users("assessor")[0]
    response = own_client.post(
        f"/admin/users/{user}/token", data={"csrf_token": token, "name": "HIS"}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    found = _TOKEN.search(response.text)
    assert found is not None
    api_token = found.group(0)
    me = own_client.get("/api/v1/me", headers={"Authorization": f"Bearer {api_token}"})
    assert me.status_code == 200
    assert me.json()["username"] == user
    page = own_client.get("/admin/users").text
    assert api_token not in page
    assert api_token[:16] not in page
    log = page.split('id="log"')[1]
    assert "Cấp mã truy cập API" in log
    # Disabling the account revokes its tokens.
    own_client.post(f"/admin/users/{user}/disable", data={"csrf_token": token})
    gone = own_client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {api_token}"}
    )
    assert gone.status_code == 401


def test_a_new_password_replaces_the_old(
    own_client: TestClient, own_site: Site, other: TestClient
) -> None:
    token = login(own_client, _admin(own_site))
    user = own_site.users("assessor")[1]
    response = own_client.post(
        f"/admin/users/{user}/password",
        data={"csrf_token": token, "password": PASSWORD},
    )
    assert response.status_code == 200
    assert "Đã đặt mật khẩu cho" in response.text
    old = other.post(
        "/login",
        data={
            "csrf_token": form_token(other),
            "username": user,
            "password": "giamdinh-demo",
        },
    )
    assert old.status_code == 401
    login(other, user, PASSWORD)


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"username": "cs.01002", "name": "X", "role": "assessor"}, 409, "đã có"),
        ({"username": "x y", "name": "X", "role": "assessor"}, 400, "chỉ gồm"),
        ({"username": "nv.a", "name": " ", "role": "assessor"}, 400, "cần họ tên"),
        ({"username": "nv.a", "name": "X", "role": "king"}, 400, "không có"),
        ({"username": "nv.a", "name": "X", "role": "facility"}, 400, "mã cơ sở"),
        (
            {"username": "nv.a", "name": "X", "role": "assessor", "facility": "01002"},
            400,
            "chỉ cán bộ cơ sở",
        ),
        (
            {"username": "nv.a", "name": "X", "role": "assessor", "password": "short"},
            400,
            "ít nhất 10 ký tự",
        ),
    ],
)
def test_a_refused_account_changes_nothing(
    own_client: TestClient,
    own_site: Site,
    fields: dict[str, str],
    status: int,
    message: str,
) -> None:
    token = login(own_client, _admin(own_site))
    before = list_users(own_site.context.database_url)
    response = _add(own_client, token, **fields)
    assert response.status_code == status
    assert message in response.text
    assert 'value="' + fields["username"] + '"' in response.text
    assert list_users(own_site.context.database_url) == before


def test_the_admin_cannot_disable_itself(
    own_client: TestClient, own_site: Site
) -> None:
    token = login(own_client, _admin(own_site))
    response = own_client.post(
        f"/admin/users/{_admin(own_site)}/disable", data={"csrf_token": token}
    )
    assert response.status_code == 400
    assert "không tự khóa" in response.text
    assert own_client.get("/admin/users").status_code == 200
    missing = own_client.post("/admin/users/nobody/disable", data={"csrf_token": token})
    assert missing.status_code == 400
    assert "không có tài khoản" in missing.text


@pytest.mark.parametrize("role", ["facility", "assessor", "supervisor", "ministry"])
def test_other_roles_get_403(own_client: TestClient, own_site: Site, role: str) -> None:
    username = (
        own_site.facility_user(own_site.facilities[0])
        if role == "facility"
        else own_site.users(role)[0]
    )
    token = login(own_client, username)
    page = own_client.get("/admin/users")
    assert page.status_code == 403
    assert "Danh sách tài khoản" not in page.text
    added = _add(own_client, token, username="ke.gian", name="X", role="admin")
    assert added.status_code == 403
    assert _account(own_site, "ke.gian") is None
    victim = own_site.users("assessor")[0]
    for action, data in (
        ("disable", {}),
        ("password", {"password": PASSWORD}),
        ("token", {"name": "x"}),
    ):
        response = own_client.post(
            f"/admin/users/{victim}/{action}", data={"csrf_token": token, **data}
        )
        assert response.status_code == 403
        assert _TOKEN.search(response.text) is None
    account = _account(own_site, victim)
    assert account is not None
    assert account.active


def test_the_accounts_page_needs_a_form_token(
    own_client: TestClient, own_site: Site
) -> None:
    login(own_client, _admin(own_site))
    forged = own_client.post(
        "/admin/users",
        data={"username": "x.y", "name": "X", "role": "admin", "password": PASSWORD},
    )
    assert forged.status_code == 403
    assert _account(own_site, "x.y") is None


def test_reloading_a_form_address_goes_back_to_the_list(
    client: TestClient, site: Site
) -> None:
    login(client, _admin(site))
    user = site.users("assessor")[0]
    for action in ("token", "disable", "password"):
        response = client.get(f"/admin/users/{user}/{action}", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/users"
