"""What the console shows of a ticket, built from the ticket service's own views."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from hotline import tickets
from hotline.alerts import EMERGENCY_URGENCY
from hotline.config import Settings
from hotline.privacy import mask_phone
from hotline.web.highlight import highlight
from hotline.web.render import EMERGENCY_WATCH, DeadlineState, deadline_states
from hotline.workflow import CLOSING_CRITERIA, OPEN, STATUS_WORDS
from storage import tickets as store
from storage.models import Ticket, User
from storage.transcripts import latest_for_ticket


def classified_text(session: Session, ticket: Ticket) -> str:
    """The text the classifier read: the call's transcript, or what staff typed in."""
    transcript = latest_for_ticket(session, ticket.id)
    if transcript is not None and not transcript.empty and transcript.text:
        return transcript.text
    return ticket.content or ""


def marked_text(session: Session, ticket: Ticket) -> Markup:
    keywords = (ticket.classification or {}).get("keywords") or []
    return highlight(classified_text(session, ticket), keywords)


@dataclass(frozen=True)
class QueueRow:
    ticket: Ticket
    caller_phone: str | None  # masked: lists never show full numbers
    text: Markup
    deadline: DeadlineState


def queue_rows(session: Session, settings: Settings, page: list[Ticket]) -> list[QueueRow]:
    states = deadline_states(settings)
    return [
        QueueRow(
            ticket=ticket,
            caller_phone=mask_phone(ticket.caller_phone),
            text=marked_text(session, ticket),
            deadline=states(ticket.stage_deadline, ticket.status in OPEN),
        )
        for ticket in page
    ]


def emergencies(session: Session, user: User) -> list[dict[str, Any]]:
    """Open level-1 tickets the user may see that nobody is investigating yet: the alert banner."""
    criteria = tickets.ticket_filter(user, statuses=list(EMERGENCY_WATCH), urgency=EMERGENCY_URGENCY)
    page, _ = store.list_tickets(session, criteria, limit=20, order=[Ticket.created_at.asc(), Ticket.id.asc()])
    return [tickets.summary(ticket) for ticket in page]


@dataclass(frozen=True)
class HistoryEntry:
    at: Any
    actor: str
    action: str  # code; the template shows its Chinese word
    from_status: str | None
    to_status: str | None
    note: str | None
    details: list[str]


def _event_details(action: str, data: dict[str, Any], category: Any, department: Any) -> list[str]:
    """The facts of an event worth reading, in Chinese; the rest stays in the API's history."""
    if action in ("remind", "escalate"):
        stage = STATUS_WORDS.get(data.get("stage", ""), data.get("stage"))
        return [f"环节 {stage}，期限 {data.get('deadline')}，第 {data.get('count')} 次"]
    if action == "extend":
        return [f"期限由 {data.get('from') or '—'} 延至 {data.get('until')}"]
    if action == "dispatch" or action == "object":
        return [f"部门：{department(data.get('department'))}"] if data.get("department") else []
    if action == "route":
        before, after = data.get("from") or {}, data.get("to") or {}
        return [
            f"类别 {category(before.get('category'))} → {category(after.get('category'))}；"
            f"部门 {department(before.get('department'))} → {department(after.get('department'))}；"
            f"紧急程度 {before.get('urgency')} → {after.get('urgency')}"
        ]
    if action == "classify":
        confidence = data.get("confidence")
        shown = f"{confidence * 100:.0f}%" if isinstance(confidence, (int, float)) else "—"
        ignored = "" if data.get("applied") else "（未采用：已人工处理）"
        return [
            f"{category(data.get('category'))} → {department(data.get('department'))}，"
            f"紧急程度 {data.get('urgency')}，置信度 {shown}{ignored}"
        ]
    if action == "alert":
        return [f"关键词：{'、'.join(data.get('keywords') or []) or '—'}"]
    if action == "close_review":
        failed = [CLOSING_CRITERIA.get(name, name) for name in data.get("failed") or []]
        return [f"未通过：{'、'.join(failed)}"]
    if action == "close":
        return ["结案审查六项均为“是”"] if data.get("passed") else []
    if action == "follow_up":
        return [f"满意度 {data.get('satisfaction')} / 5"]
    if action in ("reply", "reject"):
        return [f"告知方式：{data.get('told_via')}"] if data.get("told_via") else []
    if action == "transfer":
        return [f"移送：{data.get('body')}"]
    return []


def history(session: Session, ticket: Ticket, category: Any, department: Any) -> list[HistoryEntry]:
    """Every event of the ticket, oldest first: reminders, extensions and appeals included."""
    return [
        HistoryEntry(
            at=event.at, actor=event.actor, action=event.action, from_status=event.from_status,
            to_status=event.to_status, note=event.note,
            details=_event_details(event.action, event.data or {}, category, department),
        )
        for event in store.history(session, ticket.id)
    ]
