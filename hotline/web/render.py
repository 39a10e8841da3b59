"""Rendering pages: the Jinja2 environment, its filters, the navigation for each role."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from hotline import access, deadlines
from hotline.alerts import EMERGENCY_URGENCY
from hotline.config import Settings
from hotline.web import labels
from hotline.workflow import ACCEPTED, CLOSING_CRITERIA, DISPATCHED, OPEN, REGISTERED, STATUS_WORDS
from storage.models import User

TEMPLATES_DIR = Path(__file__).with_name("templates")
# Level-1 tickets stay in the alert banner until the department starts investigating.
EMERGENCY_WATCH = (REGISTERED, ACCEPTED, DISPATCHED)


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str
    permission: str | None = None  # from the permission table ...
    roles: tuple[str, ...] = ()  # ... or, for pages outside it, these roles

    def open_to(self, user: User) -> bool:
        if self.permission:
            return access.allowed(user, self.permission)
        return user.active and user.role in self.roles


# The console's pages in menu order; a role sees those it may open.
PAGES = (
    NavItem("/console/queue", "审核队列", "review_queue"),
    NavItem("/console/tickets", "工单", "view_tickets"),
    NavItem("/console/deadlines", "期限督办", "view_deadlines"),
    NavItem("/console/statistics", "统计分析", "view_stats"),
    NavItem("/console/audit", "审计日志", roles=(access.AUDITOR,)),  # as the audit API: hotline.api.audit
)


def pages_for(user: User) -> list[NavItem]:
    return [item for item in PAGES if item.open_to(user)]


@dataclass(frozen=True)
class DeadlineState:
    """How close a ticket is to its current stage deadline, in working days."""

    kind: str  # overdue | due-soon | on-track | none
    text: str


def deadline_state(
    deadline: date | None, is_open: bool, settings: Settings, today: date | None = None
) -> DeadlineState:
    if not is_open or deadline is None:
        return DeadlineState("none", "—")
    today = today or deadlines.china_today()
    left = deadlines.working_days_until(today, deadline)
    if deadline < today:
        return DeadlineState("overdue", f"已超期 {-left} 个工作日（{deadline:%m-%d}）")
    if deadlines.reminder_due(settings.deadline, deadline, today):
        return DeadlineState("due-soon", f"剩 {left} 个工作日（{deadline:%m-%d}）")
    return DeadlineState("on-track", f"期限 {deadline:%Y-%m-%d}")


DeadlineStates = Callable[[date | None, bool], DeadlineState]


def deadline_states(settings: Settings, today: date | None = None) -> DeadlineStates:
    """``deadline_state`` for one day, memoised: a page of many tickets shares few deadlines,
    and counting working days on the Chinese calendar is the slow part of a long list."""
    today = today or deadlines.china_today()

    @cache
    def state(deadline: date | None, is_open: bool) -> DeadlineState:
        return deadline_state(deadline, is_open, settings, today)

    return state


def summary_deadline(row: dict[str, Any], states: DeadlineStates) -> DeadlineState:
    """The deadline state of a ticket summary (the ticket service's list view)."""
    return states(date.fromisoformat(row["deadline"]) if row.get("deadline") else None, row["status"] in OPEN)


def china_time(moment: datetime | str | None) -> str:
    """Stored UTC (naive on SQLite) → China wall-clock time, to the minute."""
    if moment is None:
        return "—"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(deadlines.CHINA).strftime("%Y-%m-%d %H:%M")


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


def _environment() -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES_DIR)
    env = templates.env
    env.globals.update(
        STATUS_WORDS=STATUS_WORDS,
        CLOSING_CRITERIA=CLOSING_CRITERIA,
        CHANNEL_WORDS=labels.CHANNEL_WORDS,
        URGENCY_WORDS=labels.URGENCY_WORDS,
        COMPLEXITY_WORDS=labels.COMPLEXITY_WORDS,
        EVENT_WORDS=labels.EVENT_WORDS,
        EMERGENCY=EMERGENCY_URGENCY,
        EMERGENCY_WATCH=EMERGENCY_WATCH,
    )
    env.filters.update(china_time=china_time, percent=percent)
    return templates


templates = _environment()


_TICKET_NUMBER = re.compile(r"^\d{12}$")


def done_notice(request: Request) -> str | None:
    """The confirmation after a form's redirect; built from known codes only, never echoed text."""
    done, number = request.query_params.get("done"), request.query_params.get("ticket", "")
    if done not in labels.DONE_MESSAGES or not _TICKET_NUMBER.match(number):
        return None
    return f"工单 {number}：{labels.DONE_MESSAGES[done]}"


def page(
    request: Request,
    template: str,
    user: User | None,
    *,
    status_code: int = 200,
    error: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """A full page; the navigation marks the current section for screen readers."""
    settings: Settings = request.app.state.settings
    path = request.url.path
    nav = [
        {"href": item.href, "label": item.label, "current": path == item.href or path.startswith(item.href + "/")}
        for item in (pages_for(user) if user else [])
    ]
    taxonomy_path = settings.taxonomy
    states = deadline_states(settings)
    return templates.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "nav": nav,
            "error": error,
            "notice": done_notice(request),
            "role_label": lambda role: labels.ROLE_WORDS.get(role, role),
            "category_label": lambda code: labels.category_name(taxonomy_path, code),
            "department_label": lambda code: labels.department_name(taxonomy_path, code),
            "summary_deadline": lambda row: summary_deadline(row, states),
            **context,
        },
        status_code=status_code,
    )
