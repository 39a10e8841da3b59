"""Reminders (催办) before deadlines and escalation (督办) of overdue tickets to supervisors.

Run periodically by ``hotline worker`` and by ``hotline reminders run``. Idempotent: a reminder is
unique per (ticket, kind, stage, deadline), so a second run on the same day sends nothing again,
while an extension (a new deadline) earns a new reminder.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline import access, deadlines
from hotline.config import Settings
from hotline.tickets import responsible
from hotline.workflow import OPEN, STATUS_WORDS
from storage import tickets as ticket_store
from storage.db import Database
from storage.models import Reminder, Ticket

log = logging.getLogger(__name__)
SYSTEM_ACTOR = "system"
REMIND, ESCALATE = "remind", "escalate"
# Prefilter in SQL by calendar days; the exact working-day window is checked per ticket.
_LOOKAHEAD = timedelta(days=30)


@dataclass(frozen=True)
class Notice:
    """One reminder or escalation that was recorded by this run (no personal data)."""

    ticket: str
    kind: str
    stage: str
    deadline: date
    department: str | None
    handler: str | None
    count: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"deadline": self.deadline.isoformat()}


def _stages(ticket: Ticket) -> list[tuple[str, date]]:
    """The deadlines a ticket is measured against: its current stage, and closing."""
    stages = [(ticket.status, ticket.stage_deadline)]
    if ticket.close_deadline != ticket.stage_deadline:
        stages.append(("close", ticket.close_deadline))
    return [(stage, deadline) for stage, deadline in stages if deadline is not None]


def _progress(ticket: Ticket) -> str:
    last = ticket.events[-1] if ticket.events else None
    since = f", last {last.action} {deadlines.china_today(last.at).isoformat()}" if last else ""
    return f"{STATUS_WORDS[ticket.status]} ({ticket.status}){since}"


def _record(session: Session, ticket: Ticket, kind: str, stage: str, deadline: date) -> Notice | None:
    already = session.scalar(
        select(func.count()).select_from(Reminder).where(
            Reminder.ticket_id == ticket.id, Reminder.kind == kind,
            Reminder.stage == stage, Reminder.deadline == deadline,
        )
    )
    if already:
        return None
    count = (session.scalar(select(func.count()).select_from(Reminder).where(Reminder.ticket_id == ticket.id)) or 0) + 1
    reminder = Reminder(
        ticket_id=ticket.id, kind=kind, stage=stage, deadline=deadline,
        department=access.handling_department(ticket), handler=responsible(ticket),
        progress=_progress(ticket), count=count,
    )
    try:
        with session.begin_nested():  # another worker may have recorded it meanwhile
            session.add(reminder)
    except IntegrityError:
        return None
    ticket_store.add_event(
        session, ticket, actor=SYSTEM_ACTOR, action=kind, from_status=ticket.status, to_status=ticket.status,
        data={"stage": stage, "deadline": deadline.isoformat(), "count": count},
    )
    return Notice(ticket.number, kind, stage, deadline, reminder.department, reminder.handler, count)


def run_reminders(db: Database, settings: Settings, today: date | None = None) -> list[Notice]:
    """Record due reminders and escalations for every open ticket; returns what is new."""
    today = today or deadlines.china_today()
    policy = settings.deadline
    notices: list[Notice] = []
    with db.write() as session:
        candidates = session.scalars(
            select(Ticket)
            .where(
                Ticket.status.in_(OPEN),
                or_(Ticket.stage_deadline <= today + _LOOKAHEAD, Ticket.close_deadline <= today + _LOOKAHEAD),
            )
            .order_by(Ticket.id)
        ).all()
        for ticket in candidates:
            for stage, deadline in _stages(ticket):
                if deadline < today:
                    kind = ESCALATE
                elif deadlines.reminder_due(policy, deadline, today):
                    kind = REMIND
                else:
                    continue
                notice = _record(session, ticket, kind, stage, deadline)
                if notice:
                    notices.append(notice)
                    log.info("ticket %s", "escalated to supervisors" if kind == ESCALATE else "reminded",
                             extra=notice.to_dict())
    return notices
