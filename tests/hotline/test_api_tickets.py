"""The ticket API: happy paths, filters, and every kind of bad input as a clear 4xx."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from ticket_paths import CLOSE_REVIEW

from hotline.config import Settings
from storage.db import Database
from storage.models import RoutingCorrection, Ticket, TicketEvent, User

Login = Callable[[User], dict[str, str]]


def _count(db: Database, model: type) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_health_and_docs(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok", "database": "ok"}
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/tickets", "/tickets/{number}/transitions", "/auth/token", "/stats"} <= set(paths)


def test_password_flow_issues_a_working_token(client: TestClient, staff: dict[str, User]) -> None:
    response = client.post("/auth/token", data={"username": "dispatcher1", "password": "correct-horse"})
    assert response.status_code == 200 and response.json()["token_type"] == "bearer"
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"})
    assert me.json()["role"] == "dispatcher"


def test_register_and_walk_the_whole_workflow(
    client: TestClient, staff: dict[str, User], login: Login
) -> None:
    dispatcher, handler, supervisor = (login(staff[k]) for k in ("dispatcher", "handler", "supervisor"))
    created = client.post("/tickets", headers=dispatcher, json={
        "channel": "walk_in", "content": "小区垃圾三天没清运", "caller_phone": "13812345678",
        "address": "幸福小区3号楼", "demands": "尽快清运",
    })
    assert created.status_code == 201, created.text
    ticket = created.json()
    number = ticket["number"]
    assert len(number) == 12 and number.isdigit()
    assert ticket["status"] == "registered" and ticket["owner"] == "dispatcher1"
    assert ticket["allowed_actions"] == ["accept", "reject", "transfer", "route", "attach"]

    routed = client.patch(f"/tickets/{number}/routing", headers=dispatcher, json={
        "category": "sanitation", "department": "juweihui", "urgency": 3, "dispatch": True})
    assert routed.json()["status"] == "dispatched"

    steps = [
        (handler, "investigate", {}),
        (handler, "handle", {"measures": "已清运"}),
        (dispatcher, "reply", {"result": "已清运完毕", "told_via": "phone"}),
    ]
    for headers, action, params in steps:
        response = client.post(f"/tickets/{number}/transitions", headers=headers,
                               json={"action": action, "params": params})
        assert response.status_code == 200, response.text
    assert client.post(f"/tickets/{number}/follow-up", headers=dispatcher,
                       json={"satisfaction": 5, "comment": "很满意"}).json()["status"] == "followed_up"
    closed = client.post(f"/tickets/{number}/transitions", headers=supervisor,
                         json={"action": "close", "params": CLOSE_REVIEW})
    assert closed.json()["status"] == "closed" and closed.json()["satisfaction"] == 5
    history = client.get(f"/tickets/{number}/history", headers=supervisor).json()
    assert [e["action"] for e in history] == [
        "register", "route", "accept", "dispatch", "investigate", "handle", "reply", "follow_up", "close"]
    assert history[3]["data"] == {"department": "juweihui"}


def test_illegal_transition_is_409_with_the_allowed_actions(
    client: TestClient, staff: dict[str, User], login: Login, make_ticket: Callable[..., Ticket]
) -> None:
    number = make_ticket().number
    response = client.post(f"/tickets/{number}/transitions", headers=login(staff["supervisor"]),
                           json={"action": "close", "params": CLOSE_REVIEW})
    assert response.status_code == 409
    assert response.json() == {
        "detail": "cannot close a ticket that is registered; allowed from registered: accept, reject, transfer"}


def test_failed_closing_review_is_409_and_recorded(
    client: TestClient, staff: dict[str, User], login: Login, make_ticket: Callable[..., Ticket]
) -> None:
    number = make_ticket("followed_up").number
    supervisor = login(staff["supervisor"])
    response = client.post(f"/tickets/{number}/transitions", headers=supervisor, json={
        "action": "close", "params": dict(CLOSE_REVIEW, facts_clear=False, reason="现场情况未核实")})
    assert response.status_code == 409 and "facts_clear" in response.json()["detail"]
    history = client.get(f"/tickets/{number}/history", headers=supervisor).json()
    assert history[-1]["action"] == "close_review" and history[-1]["note"] == "现场情况未核实"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"channel": "fax", "content": "x"}, "channel: Input should be 'phone', 'walk_in', 'letter', 'web' or 'email'"),
        ({"channel": "web"}, "content: Field required"),
        ({"channel": "web", "content": ""}, "content: String should have at least 1 character"),
        ({"channel": "web", "content": "x", "caller_phone": "call me"}, "caller_phone: digits only"),
        ({"channel": "web", "content": "x", "address": "长" * 300}, "address: String should have at most 256"),
    ],
)
def test_bad_registration_is_422_and_stores_nothing(
    body: dict, message: str, client: TestClient, staff: dict[str, User], login: Login, db: Database
) -> None:
    response = client.post("/tickets", headers=login(staff["dispatcher"]), json=body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(message)
    assert "\n" not in response.json()["detail"]
    assert _count(db, Ticket) == 0 and _count(db, TicketEvent) == 0


def test_malformed_json_is_422(client: TestClient, staff: dict[str, User], login: Login) -> None:
    response = client.post("/tickets", headers={**login(staff["dispatcher"]), "Content-Type": "application/json"},
                           content=b"{not json")
    assert response.status_code == 422 and response.json()["detail"]


@pytest.mark.parametrize(
    ("action", "params", "code", "message"),
    [
        ("dispatch", {}, 422, "dispatch: department: Field required"),
        ("dispatch", {"department": "Not A Code"}, 422, "department: String should match pattern"),
        ("fly", {}, 422, "unknown action 'fly'"),
        ("investigate", {}, 409, "cannot investigate a ticket that is accepted"),
    ],
)
def test_bad_transitions(
    action: str, params: dict, code: int, message: str, client: TestClient, staff: dict[str, User],
    login: Login, make_ticket: Callable[..., Ticket], db: Database,
) -> None:
    number = make_ticket("accepted").number
    events = _count(db, TicketEvent)
    response = client.post(f"/tickets/{number}/transitions", headers=login(staff["supervisor"]),
                           json={"action": action, "params": params})
    assert response.status_code == code and message in response.json()["detail"]
    assert _count(db, TicketEvent) == events


def test_unknown_ticket_is_404(client: TestClient, staff: dict[str, User], login: Login) -> None:
    for path in ("/tickets/202601010001", "/tickets/nonsense/history"):
        response = client.get(path, headers=login(staff["supervisor"]))
        assert response.status_code == 404 and response.json()["detail"].startswith("no ticket")


def test_list_filters_and_pagination(
    client: TestClient, staff: dict[str, User], login: Login, make_ticket: Callable[..., Ticket]
) -> None:
    noise = make_ticket(category="noise", urgency=2)
    make_ticket("accepted", category="sanitation")
    make_ticket("dispatched", category="sanitation", department="wuye")
    supervisor = login(staff["supervisor"])

    def numbers(query: str) -> list[str]:
        response = client.get(f"/tickets?{query}", headers=supervisor)
        assert response.status_code == 200, response.text
        return [t["number"] for t in response.json()["items"]]

    assert numbers("category=noise") == [noise.number]
    assert numbers("urgency=2") == [noise.number]
    assert len(numbers("status=registered&status=accepted")) == 2
    assert len(numbers("department=wuye")) == 1
    assert len(numbers("q=垃圾桶")) == 3 and numbers("q=100%") == []
    page = client.get("/tickets?limit=2&offset=2", headers=supervisor).json()
    assert page["total"] == 3 and len(page["items"]) == 1
    assert client.get("/tickets?limit=0", headers=supervisor).status_code == 422
    assert client.get("/tickets?status=lost", headers=supervisor).json()["detail"].startswith("status: unknown lost")


def test_overdue_filter_and_deadline_board(
    client: TestClient, staff: dict[str, User], login: Login, make_ticket: Callable[..., Ticket]
) -> None:
    late = make_ticket("dispatched", stage_deadline=date(2020, 1, 6))
    make_ticket("closed", stage_deadline=date(2020, 1, 6))
    make_ticket("dispatched", stage_deadline=date(2099, 1, 6))
    supervisor = login(staff["supervisor"])
    overdue = client.get("/tickets?overdue=true", headers=supervisor).json()["items"]
    assert [t["number"] for t in overdue] == [late.number] and overdue[0]["overdue"] is True
    board = client.get("/deadlines", headers=supervisor).json()
    assert board["departments"] == [{"department": "juweihui", "overdue": [overdue[0]], "due": []}]


def test_review_queue_orders_by_urgency_then_deadline(
    client: TestClient, staff: dict[str, User], login: Login, make_ticket: Callable[..., Ticket]
) -> None:
    later = make_ticket(urgency=3, stage_deadline=date(2026, 12, 10))
    sooner = make_ticket("accepted", urgency=3, stage_deadline=date(2026, 12, 1))
    urgent = make_ticket(urgency=1, stage_deadline=date(2026, 12, 20))
    make_ticket("dispatched", urgency=1)
    queue = client.get("/review-queue", headers=login(staff["dispatcher"])).json()
    assert [t["number"] for t in queue["items"]] == [urgent.number, sooner.number, later.number]


def test_routing_correction_keeps_the_prediction(
    client: TestClient, staff: dict[str, User], login: Login, make_ticket: Callable[..., Ticket], db: Database
) -> None:
    predicted = {"category": "noise", "department": "juweihui", "urgency": 3, "confidence": 0.4}
    number = make_ticket(classification=predicted, needs_review=True).number
    response = client.patch(f"/tickets/{number}/routing", headers=login(staff["dispatcher"]), json={
        "category": "safety", "department": "jiedao", "urgency": 2, "complexity": "complex"})
    assert response.status_code == 200, response.text
    assert response.json()["needs_review"] is False and response.json()["status"] == "registered"
    with db.read() as session:
        correction = session.scalars(select(RoutingCorrection)).one()
    assert (correction.category, correction.department, correction.urgency) == ("safety", "jiedao", 2)
    assert correction.predicted == predicted and correction.actor == "dispatcher1"
    bad = client.patch(f"/tickets/{number}/routing", headers=login(staff["dispatcher"]), json={
        "category": "misconduct", "department": "jiedao", "urgency": 3, "confidential": True})
    assert bad.status_code == 422 and "confidential ticket goes to jijian" in bad.json()["detail"]


def test_extension_via_api(
    client: TestClient, staff: dict[str, User], login: Login, make_ticket: Callable[..., Ticket]
) -> None:
    number = make_ticket("investigating").number
    supervisor = login(staff["supervisor"])
    response = client.post(f"/tickets/{number}/extension", headers=supervisor,
                           json={"until": "2099-01-05", "reason": "等待检测报告"})
    assert response.json()["extended"] is True and response.json()["deadline"] == "2099-01-05"
    bad = client.post(f"/tickets/{number}/extension", headers=supervisor, json={"until": "soon", "reason": "x"})
    assert bad.status_code == 422 and bad.json()["detail"].startswith("until:")


def test_appeal_via_api(
    client: TestClient, staff: dict[str, User], login: Login, make_ticket: Callable[..., Ticket]
) -> None:
    number = make_ticket("followed_up").number
    response = client.post(f"/tickets/{number}/appeal", headers=login(staff["dispatcher"]),
                           json={"reason": "处理结果不满意"})
    assert response.status_code == 200 and response.json()["status"] == "reinvestigating"


def test_attachments_upload_and_download(
    client: TestClient, staff: dict[str, User], login: Login, make_ticket: Callable[..., Ticket],
    settings: Settings,
) -> None:
    number = make_ticket("dispatched").number
    photo = b"\x89PNG evidence" * 100
    handler = login(staff["handler"])
    response = client.post(f"/tickets/{number}/attachments", headers=handler,
                           files={"file": ("../../现场照片.png", photo, "image/png")})
    assert response.status_code == 201, response.text
    attachment = response.json()
    assert attachment["filename"] == "现场照片.png" and attachment["sha256"] == hashlib.sha256(photo).hexdigest()
    stored = list((settings.attachments_dir / number).iterdir())
    assert [p.name for p in stored] == [f"{attachment['sha256']}.png"]
    download = client.get(f"/tickets/{number}/attachments/{attachment['id']}", headers=handler)
    assert download.content == photo and download.headers["x-content-sha256"] == attachment["sha256"]
    assert client.get(f"/tickets/{number}/attachments/{attachment['id']}",
                      headers=login(staff["handler_other"])).status_code == 404
    empty = client.post(f"/tickets/{number}/attachments", headers=handler, files={"file": ("a.txt", b"", "text/plain")})
    assert empty.status_code == 422 and empty.json()["detail"] == "file: empty"
    assert client.get(f"/tickets/{number}", headers=handler).json()["attachments"] == [attachment]


def test_statistics_and_quarterly_report(
    client: TestClient, staff: dict[str, User], login: Login, make_ticket: Callable[..., Ticket]
) -> None:
    from datetime import UTC, datetime

    october = datetime(2026, 10, 12, 2, tzinfo=UTC)
    make_ticket("closed", now=october)
    make_ticket("dispatched", now=october, category="noise", address="建设路12号")
    supervisor = login(staff["supervisor"])
    figures = client.get("/stats?from=2026-10-01&to=2026-12-31", headers=supervisor).json()
    assert figures["total"] == 2
    assert figures["by_category"] == {"sanitation": 1, "noise": 1} or figures["by_category"] == {"noise": 1, "sanitation": 1}
    assert figures["on_time_rate"] == 1.0 and figures["average_satisfaction"] == 4.0
    assert {h["place"] for h in figures["hot_spots"]} == {"幸福小区", "建设路"}
    assert client.get("/stats?from=2026-12-31&to=2026-10-01", headers=supervisor).status_code == 422
    report = client.get("/reports/2026Q4", headers=supervisor)
    assert report.status_code == 200 and "# 社区投诉热线 季度报告 2026Q4" in report.text
    assert "13812345678" not in report.text and "138" not in report.text
    table = client.get("/reports/2026Q4?format=csv", headers=supervisor).text
    assert table.splitlines()[0] == "department,tickets,closed,on_time_rate,average_satisfaction"
    assert client.get("/reports/2026Q5", headers=supervisor).status_code == 422


def test_users_api(client: TestClient, staff: dict[str, User], login: Login) -> None:
    admin = login(staff["admin"])
    created = client.post("/users", headers=admin, json={
        "username": "handler2", "password": "long-enough", "role": "handler", "department": "wuye"})
    assert created.status_code == 201 and created.json()["department"] == "wuye"
    again = client.post("/users", headers=admin, json={
        "username": "handler2", "password": "long-enough", "role": "handler", "department": "wuye"})
    assert again.status_code == 409 and again.json()["detail"] == "user handler2 already exists"
    no_department = client.post("/users", headers=admin, json={
        "username": "handler3", "password": "long-enough", "role": "handler"})
    assert no_department.status_code == 422 and "handler must belong to a department" in no_department.json()["detail"]
    assert client.post("/users", headers=admin, json={
        "username": "x", "password": "short", "role": "admin"}).status_code == 422
    assert client.patch("/users/nobody", headers=admin, json={"active": False}).status_code == 404
    assert "password_hash" not in client.get("/users", headers=admin).json()[0]
