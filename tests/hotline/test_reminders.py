from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy import select

from hotline import tickets
from hotline.config import Settings
from hotline.reminders import run_reminders
from storage import tickets as store
from storage.db import Database
from storage.models import Reminder, Ticket, User

# Dispatched on Monday 2026-11-02: investigate by Monday 11-09 (5 working days).
DISPATCHED = datetime(2026, 11, 2, 2, tzinfo=UTC)


def _reminders(db: Database) -> list[Reminder]:
    with db.read() as session:
        return list(session.scalars(select(Reminder).order_by(Reminder.id)))


def test_reminder_three_working_days_before_and_only_once(
    make_ticket: Callable[..., Ticket], db: Database, settings: Settings
) -> None:
    ticket = make_ticket("dispatched", now=DISPATCHED)
    assert ticket.stage_deadline == date(2026, 11, 9)
    assert run_reminders(db, settings, today=date(2026, 11, 3)) == []  # 4 working days left
    first = run_reminders(db, settings, today=date(2026, 11, 4))  # 5, 6, 9: three left
    assert [(n.kind, n.stage, n.deadline) for n in first] == [("remind", "dispatched", date(2026, 11, 9))]
    assert run_reminders(db, settings, today=date(2026, 11, 4)) == []
    assert run_reminders(db, settings, today=date(2026, 11, 6)) == []
    [reminder] = _reminders(db)
    assert (reminder.department, reminder.handler, reminder.count) == ("juweihui", "juweihui", 1)
    assert reminder.progress.startswith("已派单 (dispatched)")
    assert "138" not in reminder.progress


def test_overdue_tickets_escalate_to_supervisors_once(
    make_ticket: Callable[..., Ticket], db: Database, settings: Settings
) -> None:
    number = make_ticket("dispatched", now=DISPATCHED).number
    run_reminders(db, settings, today=date(2026, 11, 4))
    escalations = run_reminders(db, settings, today=date(2026, 11, 10))
    assert [(n.ticket, n.kind, n.count) for n in escalations] == [(number, "escalate", 2)]
    assert run_reminders(db, settings, today=date(2026, 11, 11)) == []
    with db.read() as session:
        events = [e.action for e in store.history(session, store.get_by_number(session, number).id)]
    assert events[-2:] == ["remind", "escalate"]


def test_an_extension_earns_a_new_reminder(
    make_ticket: Callable[..., Ticket], db: Database, settings: Settings, staff: dict[str, User]
) -> None:
    number = make_ticket("dispatched", now=DISPATCHED).number
    run_reminders(db, settings, today=date(2026, 11, 4))
    with db.write() as session:
        ticket = store.get_by_number(session, number)
        tickets.extend(session, settings, ticket, staff["supervisor"], until=date(2026, 11, 16), reason="等待检测报告")
    again = run_reminders(db, settings, today=date(2026, 11, 11))
    assert [(n.kind, n.deadline) for n in again] == [("remind", date(2026, 11, 16))]


def test_close_deadline_is_watched_too_and_finished_tickets_are_not(
    make_ticket: Callable[..., Ticket], db: Database, settings: Settings
) -> None:
    open_ticket = make_ticket("replied", now=DISPATCHED)  # stage deadline = close deadline
    make_ticket("closed", now=DISPATCHED)
    make_ticket("rejected", now=DISPATCHED)
    notices = run_reminders(db, settings, today=date(2026, 12, 31))
    assert [(n.ticket, n.kind, n.stage) for n in notices] == [(open_ticket.number, "escalate", "replied")]


def test_a_ticket_with_two_deadlines_gets_a_notice_for_each(
    make_ticket: Callable[..., Ticket], db: Database, settings: Settings
) -> None:
    ticket = make_ticket("dispatched", now=DISPATCHED)
    notices = run_reminders(db, settings, today=ticket.close_deadline)
    assert {(n.kind, n.stage) for n in notices} == {("escalate", "dispatched"), ("remind", "close")}
    assert sorted(n.count for n in notices) == [1, 2]
