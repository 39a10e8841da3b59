"""The console's pages through FastAPI's TestClient: each role, its pages, its limits, masking."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from console_world import FULL_PHONE, MASKED_PHONE, MASKED_PHONE_CALLER, PASSWORD, PHONE_CALLER, World
from fastapi.testclient import TestClient
from sqlalchemy import select

from hotline import tickets
from hotline.reminders import run_reminders
from storage import tickets as ticket_store
from storage.models import RoutingCorrection

SignIn = Callable[[str], TestClient]
ALL_PAGES = ["/console/queue", "/console/tickets", "/console/deadlines", "/console/statistics", "/console/audit"]
# role → the pages it may open (the rest answer 403 with a page saying so)
OPENS = {
    "dispatcher": {"/console/queue", "/console/tickets", "/console/deadlines", "/console/statistics"},
    "supervisor": {"/console/queue", "/console/tickets", "/console/deadlines", "/console/statistics"},
    "handler": {"/console/tickets", "/console/deadlines"},
    "auditor": {"/console/tickets", "/console/statistics", "/console/audit"},
    "admin": set(),
}
LANDING = {
    "dispatcher": "/console/queue",
    "supervisor": "/console/queue",
    "handler": "/console/deadlines",
    "auditor": "/console/audit",
}


def _marks(html: str) -> list[str]:
    return re.findall(r"<mark [^>]*>([^<]+)</mark>", html)


def _decisive_words(world: World, name: str) -> list[str]:
    """The words the classifier reported for this ticket, in text order (at least one)."""
    keywords = sorted(world.ticket(name).classification["keywords"], key=lambda k: (k["start"], -k["end"]))
    assert keywords
    words, end = [], -1
    for keyword in keywords:
        if keyword["start"] >= end:  # overlapping matches are marked once
            words.append(keyword["matched"])
            end = keyword["end"]
    return words


def _action_forms(html: str) -> list[str]:
    return re.findall(r'data-action="([a-z_]+)"', html)


# ---------------------------------------------------------------- sign-in


def test_sign_in_sets_a_strict_http_only_cookie(anonymous: TestClient, world: World) -> None:
    response = anonymous.post(
        "/login", data={"username": "dispatcher", "password": PASSWORD, "next": "/console/tickets"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/console/tickets"
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("hotline_token=")
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_wrong_password_is_a_clear_message_not_a_session(anonymous: TestClient, world: World) -> None:
    response = anonymous.post("/login", data={"username": "dispatcher", "password": "wrong-password"})
    assert response.status_code == 401
    assert 'role="alert"' in response.text and "用户名或密码错误" in response.text
    assert "hotline_token" not in response.headers.get("set-cookie", "")


def test_sign_in_never_redirects_off_site(anonymous: TestClient, world: World) -> None:
    response = anonymous.post(
        "/login", data={"username": "dispatcher", "password": PASSWORD, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_pages_send_strangers_to_sign_in(anonymous: TestClient, world: World) -> None:
    for path in [*ALL_PAGES, f"/console/tickets/{world.numbers['sanitation']}"]:
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=%2Fconsole%2F"), path
    assert anonymous.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_sign_out_forgets_the_session(anonymous: TestClient, world: World) -> None:
    client = anonymous
    client.post("/login", data={"username": "dispatcher", "password": PASSWORD})
    assert client.get("/console/queue").status_code == 200
    response = client.post("/logout", follow_redirects=False)
    assert response.headers["location"] == "/login"
    assert client.get("/console/queue", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("role", sorted(LANDING))
def test_start_page_depends_on_the_role(signed_in: SignIn, role: str) -> None:
    response = signed_in(role).get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == LANDING[role]


def test_admin_start_page_explains_there_is_nothing_to_handle(signed_in: SignIn) -> None:
    response = signed_in("admin").get("/")
    assert response.status_code == 200
    assert "hotline users add" in response.text
    assert "审核队列" not in response.text


# ---------------------------------------------------------------- pages per role


@pytest.mark.parametrize("role", sorted(OPENS))
def test_each_role_opens_its_pages_and_no_others(signed_in: SignIn, role: str) -> None:
    client = signed_in(role)
    for path in ALL_PAGES:
        response = client.get(path)
        if path in OPENS[role]:
            assert response.status_code == 200, (role, path, response.text[:300])
            assert response.text.count("<h1") == 1
            assert f'<a href="{path}" aria-current="page">' in response.text
        else:
            assert response.status_code == 403, (role, path)
            assert "无权" in response.text and 'role="alert"' in response.text
        assert '<html lang="zh-CN">' in response.text


@pytest.mark.parametrize("role", sorted(OPENS))
def test_the_menu_offers_exactly_the_pages_a_role_opens(signed_in: SignIn, role: str) -> None:
    html = signed_in(role).get("/console/tickets" if role != "admin" else "/").text
    offered = {path for path in ALL_PAGES if f'href="{path}"' in html}
    assert offered == OPENS[role]


def test_forms_from_other_sites_are_refused(signed_in: SignIn, world: World) -> None:
    client = signed_in("dispatcher")
    number = world.numbers["sanitation"]
    response = client.post(f"/console/queue/{number}/confirm", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert world.ticket("sanitation").status == "registered"


# ---------------------------------------------------------------- review queue


def test_queue_pins_the_emergency_with_an_alert(signed_in: SignIn, world: World) -> None:
    html = signed_in("dispatcher").get("/console/queue").text
    rows = re.findall(r'<tr id="ticket-(\d+)"( class="pinned")?', html)
    assert rows[0] == (world.numbers["emergency"], ' class="pinned"')
    assert [number for number, pinned in rows[1:] if pinned] == []
    assert {number for number, _ in rows} == {world.numbers[n] for n in ("emergency", "sanitation", "noise", "call")}
    banner = html[html.index('role="alert"') : html.index("</div>", html.index('role="alert"'))]
    assert world.numbers["emergency"] in banner and "一级紧急" in banner


def test_queue_rows_show_routing_masked_caller_and_marked_keywords(signed_in: SignIn, world: World) -> None:
    html = signed_in("dispatcher").get("/console/queue").text
    assert MASKED_PHONE in html and FULL_PHONE not in html
    assert MASKED_PHONE_CALLER in html and PHONE_CALLER not in html
    row = html[html.index(f'id="ticket-{world.numbers["sanitation"]}"') :]
    row = row[: row.index("</tr>")]
    assert "环境卫生" in row and "社区居委会" in row
    assert _marks(row) == _decisive_words(world, "sanitation")
    assert re.search(r"\d+%", row)  # confidence
    assert "个工作日" in row  # deadline state


def test_transcript_keywords_are_marked_for_phone_tickets(signed_in: SignIn, world: World) -> None:
    html = signed_in("supervisor").get(f"/console/tickets/{world.numbers['call']}").text
    text = html[html.index('id="ticket-text"') :]
    text = text[: text.index("</div>")]
    assert _marks(text) == _decisive_words(world, "call")


def test_one_click_confirms_and_dispatches(signed_in: SignIn, world: World) -> None:
    client = signed_in("dispatcher")
    number = world.numbers["sanitation"]
    response = client.post(f"/console/queue/{number}/confirm")
    assert response.status_code == 200 and "分类已确认，已派单" in response.text
    assert f'id="ticket-{number}"' not in response.text
    ticket = world.ticket("sanitation")
    assert (ticket.status, ticket.assignee_department) == ("dispatched", "juweihui")
    with world.db.read() as session:
        assert session.scalars(select(RoutingCorrection)).all() == []


def test_correction_is_stored_for_learning_then_dispatched(signed_in: SignIn, world: World) -> None:
    client = signed_in("dispatcher")
    number = world.numbers["noise"]
    predicted = world.ticket("noise").classification
    response = client.post(
        f"/console/queue/{number}/correct", data={"category": "neighbor", "department": "juweihui", "urgency": "2"}
    )
    assert response.status_code == 200 and "分类已更正" in response.text
    ticket = world.ticket("noise")
    assert (ticket.category, ticket.urgency, ticket.status) == ("neighbor", 2, "dispatched")
    with world.db.read() as session:
        (correction,) = session.scalars(select(RoutingCorrection)).all()
    assert (correction.category, correction.actor, correction.predicted) == ("neighbor", "dispatcher", predicted)


def test_queue_errors_are_messages_and_change_nothing(signed_in: SignIn, world: World) -> None:
    client = signed_in("dispatcher")
    number = world.numbers["noise"]
    response = client.post(
        f"/console/queue/{number}/correct", data={"category": "neighbor", "department": "No Such!", "urgency": "3"}
    )
    assert response.status_code == 422
    assert 'role="alert"' in response.text and "填写有误" in response.text and number in response.text
    assert world.ticket("noise").status == "registered"


def test_handlers_have_no_queue_to_work(signed_in: SignIn, world: World) -> None:
    client = signed_in("handler")
    assert client.post(f"/console/queue/{world.numbers['sanitation']}/confirm").status_code == 403
    assert world.ticket("sanitation").status == "registered"


# ---------------------------------------------------------------- ticket page


def test_full_phone_only_where_access_allows(signed_in: SignIn, world: World) -> None:
    number = world.numbers["sanitation"]
    dispatcher = signed_in("dispatcher").get(f"/console/tickets/{number}").text
    assert MASKED_PHONE in dispatcher and FULL_PHONE not in dispatcher
    auditor = signed_in("auditor").get(f"/console/tickets/{number}").text
    assert MASKED_PHONE in auditor and FULL_PHONE not in auditor
    assert FULL_PHONE in signed_in("supervisor").get(f"/console/tickets/{number}").text
    handler = signed_in("handler").get(f"/console/tickets/{number}").text
    assert FULL_PHONE in handler  # routed to the handler's own department, who calls back
    for role in ("dispatcher", "supervisor", "handler", "auditor"):
        for path in ("/console/tickets", "/console/deadlines", "/console/queue"):
            assert FULL_PHONE not in signed_in(role).get(path).text, (role, path)


def test_handlers_see_only_their_department(signed_in: SignIn, world: World) -> None:
    client = signed_in("handler")
    listed = client.get("/console/tickets").text
    assert world.numbers["sanitation"] in listed and world.numbers["emergency"] not in listed
    response = client.get(f"/console/tickets/{world.numbers['emergency']}")
    assert response.status_code == 404 and "找不到该工单" in response.text


def test_ticket_page_shows_fields_and_history(signed_in: SignIn, world: World) -> None:
    html = signed_in("supervisor").get(f"/console/tickets/{world.numbers['emergency']}").text
    for text in ("基本信息", "幸福小区3号楼", "应急联动", "一级 · 紧急", "办理记录", "登记", "自动分类", "一级警报"):
        assert text in html, text
    assert 'role="alert"' in html


def test_only_allowed_actions_are_offered(signed_in: SignIn, world: World) -> None:
    number = world.numbers["sanitation"]
    assert _action_forms(signed_in("dispatcher").get(f"/console/tickets/{number}").text) == [
        "accept", "reject", "transfer", "route", "attach",
    ]  # fmt: skip
    assert _action_forms(signed_in("supervisor").get(f"/console/tickets/{number}").text) == [
        "accept", "reject", "transfer", "extend", "route", "attach",
    ]  # fmt: skip
    assert _action_forms(signed_in("handler").get(f"/console/tickets/{number}").text) == ["attach"]
    assert _action_forms(signed_in("auditor").get(f"/console/tickets/{number}").text) == []


def test_an_illegal_action_is_refused_with_a_message(signed_in: SignIn, world: World) -> None:
    number = world.numbers["sanitation"]
    response = signed_in("supervisor").post(f"/console/tickets/{number}/actions/archive")
    assert response.status_code == 409
    assert "当前状态下不能执行此操作" in response.text and 'role="alert"' in response.text
    response = signed_in("dispatcher").post(f"/console/tickets/{number}/actions/investigate")
    assert response.status_code == 403 and "无权" in response.text
    assert world.ticket("sanitation").status == "registered"


def test_missing_fields_are_explained_and_kept(signed_in: SignIn, world: World) -> None:
    number = world.numbers["sanitation"]
    response = signed_in("dispatcher").post(
        f"/console/tickets/{number}/actions/reject", data={"told_via": "电话", "note": "先记下的备注"}
    )
    assert response.status_code == 422
    assert "填写有误" in response.text and "reason" in response.text
    assert "先记下的备注" in response.text  # the form comes back as it was filled in


def _drive(client: TestClient, number: str, action: str, **fields: str) -> str:
    response = client.post(f"/console/tickets/{number}/actions/{action}", data=fields)
    assert response.status_code == 200, (action, response.text[-2000:])
    return response.text


def test_whole_workflow_from_the_ticket_page(signed_in: SignIn, world: World) -> None:
    dispatcher, handler, supervisor = signed_in("dispatcher"), signed_in("handler"), signed_in("supervisor")
    number = world.numbers["sanitation"]
    assert "受理已完成" in _drive(dispatcher, number, "accept")
    _drive(dispatcher, number, "dispatch", department="juweihui")
    _drive(handler, number, "investigate", note="已到现场查看")
    _drive(handler, number, "handle", measures="已安排保洁公司清运")
    _drive(dispatcher, number, "reply", result="垃圾已清运", told_via="电话")
    _drive(dispatcher, number, "follow_up", satisfaction="4", comment="满意")
    review = {name: "true" for name in tickets.CloseParams.model_fields if name not in ("note", "reason")}
    refused = supervisor.post(
        f"/console/tickets/{number}/actions/close", data=review | {"met_complainant": "false", "reason": "未见面"}
    )
    assert refused.status_code == 409 and "结案审查未通过" in refused.text
    assert world.ticket("sanitation").status == "followed_up"
    html = _drive(supervisor, number, "close", **review)
    assert "结案审查未通过" in html  # the refused review stays in the history
    html = _drive(supervisor, number, "archive")
    assert _action_forms(html) == []
    assert world.ticket("sanitation").status == "archived"
    with world.db.read() as session:
        actions = [event.action for event in ticket_store.history(session, world.ticket("sanitation").id)]
    assert actions[-9:] == [
        "accept", "dispatch", "investigate", "handle", "reply", "follow_up", "close_review", "close", "archive",
    ]  # fmt: skip


def test_reminders_extensions_and_appeals_appear_in_the_history(signed_in: SignIn, world: World) -> None:
    supervisor = signed_in("supervisor")
    number = world.numbers["sanitation"]
    assert any(n.ticket == number for n in run_reminders(world.db, world.settings))  # due in 3 working days
    html = supervisor.get(f"/console/tickets/{number}").text
    assert "催办" in html and "第 1 次" in html
    until = world.ticket("sanitation").stage_deadline + timedelta(days=7)
    response = supervisor.post(
        f"/console/tickets/{number}/extend", data={"until": until.isoformat(), "reason": "需协调"}
    )
    assert response.status_code == 200 and "延期已完成" in response.text
    for action, fields in (
        ("accept", {}), ("dispatch", {"department": "juweihui"}), ("investigate", {}),
        ("handle", {"measures": "已清运"}), ("reply", {"result": "已清运", "told_via": "电话"}),
        ("appeal", {"reason": "第二天又满了"}),
    ):  # fmt: skip
        html = _drive(supervisor, number, action, **fields)
    assert "申诉" in html and "第二天又满了" in html and f"延至 {until.isoformat()}" in html
    assert world.ticket("sanitation").status == "reinvestigating"


def test_routing_correction_from_the_ticket_page(signed_in: SignIn, world: World) -> None:
    number = world.numbers["noise"]
    response = signed_in("supervisor").post(
        f"/console/tickets/{number}/route",
        data={"category": "neighbor", "department": "juweihui", "urgency": "3", "complexity": "complex",
              "dispatch": "true", "note": "邻里纠纷"},
    )  # fmt: skip
    assert response.status_code == 200
    ticket = world.ticket("noise")
    assert (ticket.category, ticket.complexity, ticket.status) == ("neighbor", "complex", "dispatched")
    assert "类别 噪音扰民 → 邻里纠纷" in response.text


def test_evidence_upload_from_the_ticket_page(signed_in: SignIn, world: World) -> None:
    number = world.numbers["sanitation"]
    client = signed_in("dispatcher")
    response = client.post(
        f"/console/tickets/{number}/attachments", files={"file": ("现场照片.jpg", b"\xff\xd8 photo", "image/jpeg")}
    )
    assert response.status_code == 200 and "上传附件已完成" in response.text
    link = re.search(rf'<a href="(/tickets/{number}/attachments/\d+)">现场照片.jpg</a>', response.text)
    assert link is not None
    assert client.get(link.group(1)).content == b"\xff\xd8 photo"  # the API's download, same session cookie
    empty = client.post(f"/console/tickets/{number}/attachments", files={"file": ("空.txt", b"", "text/plain")})
    assert empty.status_code == 422 and "填写有误" in empty.text


# ---------------------------------------------------------------- recordings


def test_supervisor_with_a_grant_gets_a_player_asking_the_purpose(signed_in: SignIn, world: World) -> None:
    html = signed_in("supervisor").get(f"/console/tickets/{world.numbers['call']}").text
    assert f'action="/recordings/{world.recording_id}/audio"' in html and "<audio" in html
    for purpose in ("核对通话内容", "投诉处理", "监管监察"):
        assert f'<option value="{purpose}">' in html


def test_supervisor_without_a_grant_is_told_why(signed_in: SignIn, world: World) -> None:
    html = signed_in("supervisor_nogrant").get(f"/console/tickets/{world.numbers['call']}").text
    assert 'id="recording-refusal"' in html and "没有调取本工单录音的授权" in html
    assert "<audio" not in html


@pytest.mark.parametrize("role", ["dispatcher", "auditor"])
def test_other_roles_get_no_player(signed_in: SignIn, world: World, role: str) -> None:
    html = signed_in(role).get(f"/console/tickets/{world.numbers['call']}").text
    assert "<audio" not in html and "/audio" not in html
    assert "1 段通话录音" in html


# ---------------------------------------------------------------- deadlines, statistics, audit


def test_deadlines_group_open_tickets_by_department(signed_in: SignIn, world: World) -> None:
    html = signed_in("supervisor").get("/console/deadlines").text
    assert "社区居委会" in html and "应急联动" in html
    assert world.numbers["sanitation"] in html and MASKED_PHONE in html


def test_statistics_draw_svg_charts_with_names(signed_in: SignIn, world: World) -> None:
    html = signed_in("supervisor").get("/console/statistics").text
    assert html.count('<svg class="chart"') == 4
    assert 'role="img"' in html and "环境卫生" in html and "幸福小区" in html
    assert re.search(r'id="stat-total">4<', html)
    assert 'href="/reports/' in html and "format=csv" in html


def test_dispatchers_see_statistics_without_the_report(signed_in: SignIn) -> None:
    html = signed_in("dispatcher").get("/console/statistics").text
    assert '<svg class="chart"' in html and 'href="/reports/' not in html


def test_bad_statistics_dates_are_a_message(signed_in: SignIn) -> None:
    client = signed_in("supervisor")
    response = client.get("/console/statistics?from=2026-05-01&to=2026-04-01")
    assert response.status_code == 422 and "结束日期不能早于开始日期" in response.text
    response = client.get("/console/statistics?from=yesterday")
    assert response.status_code == 422 and "请求参数有误" in response.text


def test_audit_page_shows_the_chain_check_and_searches(signed_in: SignIn, world: World) -> None:
    client = signed_in("auditor")
    html = client.get("/console/audit").text
    assert 'id="chain-check"' in html and "哈希链校验通过" in html
    assert "supervisor: all" in html  # the grant given while setting up
    assert "没有符合条件的审计记录" in client.get("/console/audit?actor=nobody").text
    assert 'href="/audit/export?format=csv&amp;actor=nobody"' in client.get("/console/audit?actor=nobody").text


def test_blank_search_fields_mean_any(signed_in: SignIn) -> None:
    client = signed_in("auditor")
    response = client.get("/console/audit?actor=admin&action=&recording_id=&since=&until=", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/console/audit?actor=admin"
    assert "supervisor: all" in client.get("/console/audit?actor=admin&since=").text


def test_an_unclassified_ticket_is_classified_by_hand(signed_in: SignIn, world: World) -> None:
    with world.db.write() as session:
        silent = tickets.register_ticket(session, world.settings, channel="phone", actor="sip")  # nothing said
    client = signed_in("dispatcher")
    row = client.get("/console/queue").text
    row = row[row.index(f'id="ticket-{silent.number}"') :]
    row = row[: row.index("</tr>")]
    assert "/confirm" not in row and "尚未自动分类" in row and "<details open>" in row
    fields = {"category": "facility", "department": "juweihui", "urgency": "3"}
    response = client.post(f"/console/queue/{silent.number}/correct", data=fields)
    assert response.status_code == 200 and "分类已更正" in response.text
