"""The console in headless Chromium against a real uvicorn server: the main flows, per role.

Screenshots of the main pages go to ``test-artifacts/screenshots/`` (kept by CI as artefacts).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from console_world import World, screenshot
from sqlalchemy import select

from hotline.workflow import CLOSING_CRITERIA
from storage.access import active_grants, revoke
from storage.models import AuditEntry, RoutingCorrection

pytestmark = [pytest.mark.slow, pytest.mark.browser]
OpenAs = Callable[[str], Any]
LANDINGS = {
    "dispatcher": ("/console/queue", "审核队列"),
    "supervisor": ("/console/queue", "审核队列"),
    "handler": ("/console/deadlines", "期限督办"),
    "auditor": ("/console/audit", "审计日志"),
    "admin": ("/", "工作台"),
}


def unlabelled_fields(page: Any) -> list[str]:
    """Form fields a screen reader could not name: no <label>, no aria-label."""
    return page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(e => e.labels.length === 0 && !e.getAttribute('aria-label'))
                 .map(e => e.outerHTML)"""
    )


def _status_message(page: Any) -> str:
    return page.locator('[role="status"].message').inner_text()


def _alert(page: Any) -> str:
    return page.locator('.message.error[role="alert"]').inner_text()


def test_each_role_signs_in_and_sees_its_start_page(world: World, open_as: OpenAs) -> None:
    for role, (path, heading) in LANDINGS.items():
        page = open_as(role)
        assert urlsplit(page.url).path == path
        assert heading in page.get_by_role("heading", level=1).inner_text()
        assert unlabelled_fields(page) == []
        screenshot(page, f"start-{role}")
    page = open_as("supervisor")
    page.goto("/console/statistics")
    assert page.locator("svg.chart").count() == 4
    screenshot(page, "statistics")
    pages = {"deadlines": "/console/deadlines", "tickets": "/console/tickets"}
    pages["ticket"] = f"/console/tickets/{world.numbers['call']}"
    for name, path in pages.items():
        page.goto(path)
        assert page.locator("h1").count() == 1
        assert unlabelled_fields(page) == []
        screenshot(page, name)


def test_wrong_password_is_explained(world: World, browser: Any, live_server: str) -> None:
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.goto("/console/queue")  # not signed in: the sign-in page, coming back here afterwards
    page.get_by_label("用户名").fill("dispatcher")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    assert "用户名或密码错误" in _alert(page)
    screenshot(page, "login-refused")
    context.close()


def test_emergency_is_pinned_with_an_alert(world: World, open_as: OpenAs) -> None:
    page = open_as("dispatcher")
    number = world.numbers["emergency"]
    banner = page.get_by_role("alert")
    assert banner.is_visible() and number in banner.inner_text()
    first_row = page.locator("table.queue tbody tr").first
    assert first_row.get_attribute("id") == f"ticket-{number}"
    assert "pinned" in first_row.get_attribute("class")
    assert first_row.locator("mark").count() > 0
    screenshot(page, "queue-emergency-pinned")


def test_dispatcher_confirms_and_corrects_routing(world: World, open_as: OpenAs) -> None:
    page = open_as("dispatcher")
    sanitation, noise = world.numbers["sanitation"], world.numbers["noise"]
    screenshot(page, "queue")

    confirm = page.get_by_role("button", name=f"确认工单 {sanitation} 的分类并派单")
    confirm.focus()
    page.keyboard.press("Enter")  # keyboard alone works
    page.wait_for_load_state()
    assert f"工单 {sanitation}" in _status_message(page) and "分类已确认，已派单" in _status_message(page)
    assert page.locator(f"#ticket-{sanitation}").count() == 0

    row = page.locator(f"#ticket-{noise}")
    row.locator("summary").focus()
    page.keyboard.press("Enter")  # opens the correction form
    category = row.get_by_label("类别")
    category.select_option("property")
    assert row.get_by_label("承办部门").input_value() == "wuye"  # the category's usual department
    category.select_option("neighbor")
    assert row.get_by_label("承办部门").input_value() == "juweihui"
    row.get_by_label("紧急程度").select_option("2")
    screenshot(page, "queue-correction")
    row.get_by_role("button", name=f"更正工单 {noise} 的分类并派单").click()
    page.wait_for_load_state()
    assert "分类已更正" in _status_message(page)

    assert world.ticket("sanitation").status == "dispatched"
    noise_ticket = world.ticket("noise")
    assert (noise_ticket.category, noise_ticket.urgency, noise_ticket.status) == ("neighbor", 2, "dispatched")
    with world.db.read() as session:
        (correction,) = session.scalars(select(RoutingCorrection)).all()
    assert correction.predicted["category"] == "noise" and correction.category == "neighbor"


def _offered(page: Any) -> list[str]:
    """The actions the ticket page offers, in order."""
    return page.locator("section[data-action]").evaluate_all("sections => sections.map(s => s.dataset.action)")


def _act(page: Any, action: str, fill: Callable[[Any], None] | None = None) -> None:
    form = page.locator(f'section[data-action="{action}"]')
    if fill:
        fill(form)
    form.locator('button[type="submit"]').click()
    page.wait_for_load_state()


def test_ticket_moves_through_the_whole_workflow(world: World, open_as: OpenAs) -> None:
    number = world.numbers["sanitation"]
    dispatcher, handler, supervisor = open_as("dispatcher"), open_as("handler"), open_as("supervisor")
    ticket_page = f"/console/tickets/{number}"

    dispatcher.goto(ticket_page)
    screenshot(dispatcher, "ticket-registered")
    _act(dispatcher, "accept")
    assert "受理" in _status_message(dispatcher)
    _act(dispatcher, "dispatch", lambda f: f.get_by_label("派往部门（必填）").select_option("juweihui"))

    handler.goto(ticket_page)
    assert _offered(handler) == ["object", "investigate", "attach"]
    _act(handler, "investigate")
    _act(handler, "handle", lambda f: f.get_by_label("采取的处理措施（必填）").fill("已安排保洁公司清运"))

    dispatcher.goto(ticket_page)
    def reply(form: Any) -> None:
        form.get_by_label("答复内容（处理结果）（必填）").fill("垃圾已清运")
        form.get_by_label("告知来电人的方式（必填）").select_option("短信")

    _act(dispatcher, "reply", reply)
    _act(dispatcher, "follow_up", lambda f: f.get_by_label("4 满意").check())

    supervisor.goto(ticket_page)

    def review(form: Any, met: bool) -> None:
        for name, question in CLOSING_CRITERIA.items():
            group = form.get_by_role("group", name=question)
            group.get_by_label("否" if name == "met_complainant" and not met else "是").check()
        if not met:
            form.get_by_label("理由（有“否”时必填）").fill("尚未与投诉人见面")

    _act(supervisor, "close", lambda f: review(f, met=False))
    assert "结案审查未通过" in _alert(supervisor)
    assert supervisor.get_by_role("group", name=CLOSING_CRITERIA["met_complainant"]).get_by_label("否").is_checked()
    screenshot(supervisor, "ticket-closing-review-refused")
    _act(supervisor, "close", lambda f: review(f, met=True))
    assert "结案" in _status_message(supervisor)
    _act(supervisor, "archive")
    assert _offered(supervisor) == []
    history = supervisor.locator(".history").inner_text()
    for word in ("登记", "受理", "派单", "调查核实", "处理", "答复", "回访", "结案审查未通过", "结案", "归档"):
        assert word in history, word
    screenshot(supervisor, "ticket-archived")
    assert world.ticket("sanitation").status == "archived"


def test_supervisor_with_a_grant_plays_a_recording_and_it_is_audited(world: World, open_as: OpenAs) -> None:
    page = open_as("supervisor")
    page.goto(f"/console/tickets/{world.numbers['call']}")
    page.get_by_label("调取目的（必选）").select_option("核对通话内容")
    page.get_by_role("button", name="调取并播放").click()
    page.wait_for_function("() => { const a = document.querySelector('audio'); return a.duration > 0; }")
    audio = page.locator("audio")
    assert audio.evaluate("a => a.readyState") > 0
    assert audio.evaluate("a => a.duration") == pytest.approx(2.0, abs=0.1)
    audio.evaluate("a => { a.currentTime = 1.5; }")  # seeking needs range requests
    page.wait_for_function("() => !document.querySelector('audio').seeking")
    screenshot(page, "ticket-recording-player")
    with world.db.read() as session:
        granted = session.scalars(select(AuditEntry).where(AuditEntry.action == "listen")).all()
    assert granted and {(e.actor, e.purpose, e.result) for e in granted} == {("supervisor", "核对通话内容", "granted")}

    auditor = open_as("auditor")
    auditor.get_by_label("操作人").fill("supervisor")
    auditor.get_by_role("button", name="查询").click()
    table = auditor.locator("table").inner_text()
    assert "收听" in table and "核对通话内容" in table and "准许" in table and world.numbers["call"] in table
    assert "哈希链校验通过" in auditor.locator("#chain-check").inner_text()
    screenshot(auditor, "audit-log")


def test_recordings_are_refused_to_a_dispatcher_and_a_supervisor_without_grant(
    world: World, open_as: OpenAs
) -> None:
    url = f"/recordings/{world.recording_id}/audio?purpose=核对通话内容"
    fetch = "url => fetch(url).then(r => r.json().then(b => [r.status, b.detail]))"

    dispatcher = open_as("dispatcher")
    dispatcher.goto(f"/console/tickets/{world.numbers['call']}")
    assert dispatcher.locator("audio").count() == 0
    assert "1 段通话录音" in dispatcher.locator("#recordings").inner_text()
    status, _detail = dispatcher.evaluate(fetch, url)
    assert status == 403

    supervisor = open_as("supervisor_nogrant")
    supervisor.goto(f"/console/tickets/{world.numbers['call']}")
    refusal = supervisor.locator("#recording-refusal")
    assert refusal.get_attribute("role") == "alert" and "没有调取本工单录音的授权" in refusal.inner_text()
    assert supervisor.locator("audio").count() == 0
    screenshot(supervisor, "ticket-recording-refused")
    status, detail = supervisor.evaluate(fetch, url)
    assert status == 403 and "grant" in detail

    with world.db.read() as session:
        refused = session.scalars(select(AuditEntry).where(AuditEntry.action == "listen")).all()
    assert {(e.actor, e.result) for e in refused} == {("dispatcher", "refused"), ("supervisor_nogrant", "refused")}


def test_a_grant_revoked_while_the_page_is_open_is_explained(world: World, open_as: OpenAs) -> None:
    page = open_as("supervisor")
    page.goto(f"/console/tickets/{world.numbers['call']}")
    with world.db.write() as session:
        for held in active_grants(session, world.users["supervisor"].id):
            revoke(session, held.id, revoked_by="admin")
    page.get_by_label("调取目的（必选）").select_option("投诉处理")
    page.get_by_role("button", name="调取并播放").click()
    message = page.locator("[data-recording-status].message.error")
    message.wait_for()
    assert "no active recording grant" in message.inner_text()
    assert page.locator("audio").is_hidden()
    with world.db.read() as session:
        attempts = session.scalars(select(AuditEntry).where(AuditEntry.action == "listen")).all()
    assert attempts and {(e.actor, e.purpose, e.result) for e in attempts} == {("supervisor", "投诉处理", "refused")}
