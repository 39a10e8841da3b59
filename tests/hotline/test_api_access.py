"""The role × resource matrix through the HTTP API: every forbidden pair is refused."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ticket_paths import VALID_PARAMS

from storage.models import Ticket, User

USERS = ["dispatcher", "supervisor", "handler", "handler_other", "handler_jijian", "handler_accused", "auditor", "admin"]
# Who may use each resource; every other user must get 403 (role) or 404 (ticket not visible).
# "plain" is dispatched to juweihui; "secret" is confidential, about jiedao, routed to jijian.
MATRIX: list[tuple[str, str, str, dict[str, Any] | None, set[str]]] = [
    ("GET", "/tickets", "", None, {"dispatcher", "supervisor", "handler", "handler_other", "handler_jijian",
                                   "handler_accused", "auditor"}),
    ("POST", "/tickets", "", {"channel": "web", "content": "路灯不亮"}, {"dispatcher", "supervisor"}),
    ("GET", "/tickets/{plain}", "", None, {"dispatcher", "supervisor", "handler", "auditor"}),
    ("GET", "/tickets/{plain}/history", "", None, {"dispatcher", "supervisor", "handler", "auditor"}),
    ("GET", "/tickets/{secret}", "", None, {"supervisor", "handler_jijian"}),
    ("GET", "/tickets/{secret}/history", "", None, {"supervisor", "handler_jijian"}),
    ("POST", "/tickets/{plain}/transitions", "investigate", {"action": "investigate", "params": {}},
     {"supervisor", "handler"}),
    ("POST", "/tickets/{plain}/transitions", "object", {"action": "object", "params": VALID_PARAMS["object"]},
     {"supervisor", "handler"}),
    ("POST", "/tickets/{secret}/transitions", "accept", {"action": "accept", "params": {}}, {"supervisor"}),
    ("POST", "/tickets/{plain}/extension", "", {"until": "2099-01-01", "reason": "需要检测"}, {"supervisor"}),
    ("PATCH", "/tickets/{plain}/routing", "", {"category": "sanitation", "department": "juweihui", "urgency": 2},
     {"dispatcher", "supervisor"}),
    ("GET", "/review-queue", "", None, {"dispatcher", "supervisor"}),
    ("GET", "/deadlines", "", None, {"dispatcher", "supervisor", "handler", "handler_other", "handler_jijian",
                                     "handler_accused"}),
    ("GET", "/stats?from=2026-01-01&to=2026-12-31", "", None, {"dispatcher", "supervisor", "auditor"}),
    ("GET", "/reports/2026Q4", "", None, {"supervisor", "auditor"}),
    ("GET", "/users", "", None, {"admin"}),
    ("POST", "/users", "", {"username": "newbie", "password": "long-enough", "role": "dispatcher"}, {"admin"}),
    ("PATCH", "/users/dispatcher1", "", {"active": True}, {"admin"}),
]


def _make_world(make_ticket: Callable[..., Ticket]) -> dict[str, str]:
    plain = make_ticket("dispatched", department="juweihui")
    secret = make_ticket("registered", confidential=True, department="jijian", subject_department="jiedao",
                         category="misconduct")
    return {"plain": plain.number, "secret": secret.number}


@pytest.fixture
def world(make_ticket: Callable[..., Ticket]) -> dict[str, str]:
    return _make_world(make_ticket)


@pytest.mark.parametrize(
    ("method", "path", "body", "allowed"),
    [pytest.param(m, p, b, a, id=f"{m} {p} {label}".strip()) for m, p, label, b, a in MATRIX],
)
def test_role_resource_matrix(
    method: str, path: str, body: dict[str, Any] | None, allowed: set[str],
    make_ticket: Callable[..., Ticket], staff: dict[str, User], client: TestClient,
    login: Callable[[User], dict[str, str]],
) -> None:
    """Each user in turn; changes get fresh tickets so one user's success cannot hide another's refusal."""
    world = _make_world(make_ticket)
    outcome = {}
    for user in USERS:
        if method != "GET":
            world = _make_world(make_ticket)
        response = client.request(method, path.format(**world), json=body, headers=login(staff[user]))
        outcome[user] = response.status_code
        if response.status_code >= 300:
            assert response.json()["detail"], response.text
    assert {u for u, code in outcome.items() if code < 300} == allowed, outcome
    assert all(outcome[u] in (403, 404) for u in USERS if u not in allowed), outcome


@pytest.mark.parametrize(("method", "path"), sorted({(m, p) for m, p, *_ in MATRIX}))
def test_without_a_token_everything_but_health_is_401(
    method: str, path: str, world: dict[str, str], client: TestClient
) -> None:
    response = client.request(method, path.format(**world), json={})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_lists_show_only_visible_tickets(
    world: dict[str, str], staff: dict[str, User], client: TestClient, login: Callable[[User], dict[str, str]]
) -> None:
    def numbers(user: str) -> set[str]:
        return {t["number"] for t in client.get("/tickets", headers=login(staff[user])).json()["items"]}

    assert numbers("supervisor") == {world["plain"], world["secret"]}
    assert numbers("handler_jijian") == {world["secret"]}
    assert numbers("handler") == {world["plain"]}
    for user in ("dispatcher", "auditor"):
        assert numbers(user) == {world["plain"]}
    for user in ("handler_other", "handler_accused"):
        assert numbers(user) == set()


def test_full_phone_on_the_ticket_page_only_for_those_who_need_it(
    world: dict[str, str], staff: dict[str, User], client: TestClient, login: Callable[[User], dict[str, str]]
) -> None:
    def phone(user: str) -> str:
        return client.get(f"/tickets/{world['plain']}", headers=login(staff[user])).json()["caller_phone"]

    assert phone("supervisor") == phone("handler") == "13812345678"
    assert phone("dispatcher") == phone("auditor") == "138****5678"
    listed = client.get("/tickets", headers=login(staff["supervisor"])).json()["items"]
    assert {t["caller_phone"] for t in listed} == {"138****5678"}
    assert {t["caller_name"] for t in listed} == {"张*"}


def test_disabled_users_and_bad_tokens_are_refused(
    staff: dict[str, User], client: TestClient, login: Callable[[User], dict[str, str]]
) -> None:
    headers = login(staff["dispatcher"])
    admin = login(staff["admin"])
    assert client.patch("/users/dispatcher1", json={"active": False}, headers=admin).status_code == 200
    assert client.get("/tickets", headers=headers).json()["detail"] == "account unknown or disabled"
    response = client.post("/auth/token", data={"username": "dispatcher1", "password": "correct-horse"})
    assert response.status_code == 401
    assert client.get("/tickets", headers={"Authorization": "Bearer forged.token"}).status_code == 401
    assert client.post("/auth/token", data={"username": "supervisor1", "password": "wrong"}).status_code == 401


def test_cookie_token_works_like_the_bearer(
    staff: dict[str, User], client: TestClient, login: Callable[[User], dict[str, str]]
) -> None:
    token = login(staff["auditor"])["Authorization"].removeprefix("Bearer ")
    client.cookies.set("hotline_token", token)
    assert client.get("/auth/me").json()["username"] == "auditor1"
