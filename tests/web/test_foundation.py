"""The web foundation: login, sessions, form tokens, headers, language, errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.site import Site, form_token, login

from giamdinh.web.app import CSP

if TYPE_CHECKING:
    import pytest
    from starlette.testclient import TestClient


def test_pages_need_a_login(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/"


def test_login_page_is_vietnamese_with_security_headers(client: TestClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    assert "Đăng nhập" in response.text
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "style=" not in response.text
    assert "<script" not in response.text


def test_login_sets_an_httponly_lax_cookie(client: TestClient, site: Site) -> None:
    token = form_token(client)
    response = client.post(
        "/login",
        data={
            "csrf_token": token,
            "username": site.users("assessor")[0],
            "password": "giamdinh-demo",
            "next": "/cases",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/cases"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie


def test_login_refuses_a_foreign_next(client: TestClient, site: Site) -> None:
    token = form_token(client)
    response = client.post(
        "/login",
        data={
            "csrf_token": token,
            "username": site.users("assessor")[0],
            "password": "giamdinh-demo",
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_a_form_without_its_token_is_refused(client: TestClient, site: Site) -> None:
    client.get("/login")
    response = client.post(
        "/login",
        data={"username": site.users("assessor")[0], "password": "giamdinh-demo"},
    )
    assert response.status_code == 403
    assert "form has expired" in response.text


def test_wrong_password_says_nothing_more(client: TestClient, site: Site) -> None:
    token = form_token(client)
    for username in (site.users("assessor")[0], "nobody-at-all"):
        response = client.post(
            "/login",
            data={"csrf_token": token, "username": username, "password": "x" * 12},
        )
        assert response.status_code == 401
        assert "sai tên đăng nhập hoặc mật khẩu" in response.text


def test_repeated_failures_lock_the_account(
    own_client: TestClient, own_site: Site
) -> None:
    user = own_site.users("assessor")[0]
    token = form_token(own_client)
    for _ in range(own_site.context.throttle.max_failures):
        own_client.post(
            "/login",
            data={"csrf_token": token, "username": user, "password": "wrong-password"},
        )
    response = own_client.post(
        "/login",
        data={"csrf_token": token, "username": user, "password": "giamdinh-demo"},
    )
    assert response.status_code == 401
    assert "quá nhiều lần đăng nhập sai" in response.text


def test_language_switch_and_logout(client: TestClient, site: Site) -> None:
    token = login(client, site.users("assessor")[0])
    page = client.post("/lang/en", data={"csrf_token": token, "back": "/"})
    assert "Welcome" in page.text
    client.post("/lang/vi", data={"csrf_token": token, "back": "/"})
    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303


def test_static_assets_are_served_by_the_app(client: TestClient) -> None:
    css = client.get("/static/app.css")
    assert css.status_code == 200
    assert "text/css" in css.headers["content-type"]
    page = client.get("/login").text
    assert "http://" not in page.replace("http://www.w3.org", "")
    assert "https://" not in page


def test_unknown_page_is_404_in_vietnamese(client: TestClient, site: Site) -> None:
    login(client, site.users("assessor")[0])
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "không có trang này" in response.text


def test_api_needs_a_token(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    body = response.json()
    assert body["error"]["code"] == "unauthenticated"
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer gd_nope"})
    assert bad.status_code == 401


def test_api_paths_never_answer_html(client: TestClient) -> None:
    for path in ("/api/v1/%0A", "/api/v2/cases", "/api/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["error"]["code"] == "not_found"


def test_api_method_not_allowed_says_what_is(client: TestClient) -> None:
    response = client.request("TRACE", "/api/v1/me")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_worker_processes_build_the_same_server(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.testclient import TestClient

    from giamdinh.server import ENVIRONMENT, environment_of, server_from_environment

    monkeypatch.setenv(ENVIRONMENT, environment_of(site.context))
    with TestClient(server_from_environment()) as worker:
        login(worker, site.users("assessor")[0])
        page = worker.get("/")
        assert page.status_code == 200
        assert site.users("assessor")[0] in page.text
