from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime

import chinese_calendar
import pytest

from hotline import deadlines, tickets
from hotline.config import DeadlinePolicy, Settings
from hotline.workflow import IllegalTransition, InvalidParams
from storage import tickets as store
from storage.db import Database
from storage.models import Ticket, User

POLICY = DeadlinePolicy()


def test_the_2026_calendar_is_what_these_tests_assume() -> None:
    # National Day 2026: 1-7 October off; Sunday 20 September and Saturday 10 October are 调休 workdays.
    assert all(chinese_calendar.is_holiday(date(2026, 10, day)) for day in range(1, 8))
    assert chinese_calendar.is_workday(date(2026, 9, 20)) and date(2026, 9, 20).weekday() == 6
    assert chinese_calendar.is_workday(date(2026, 10, 10)) and date(2026, 10, 10).weekday() == 5


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # over the National Day holiday
        (date(2026, 9, 29), 3, date(2026, 10, 9)),
        (date(2026, 10, 9), 1, date(2026, 10, 10)),  # 调休 Saturday counts
        (date(2026, 9, 18), 1, date(2026, 9, 20)),  # 调休 Sunday counts, the Saturday before does not
        (date(2026, 10, 8), 5, date(2026, 10, 14)),  # 9, 10(调休), 12, 13, 14
        (date(2026, 10, 14), -5, date(2026, 10, 8)),
        (date(2026, 11, 27), 0, date(2026, 11, 27)),
    ],
)
def test_add_working_days(start: date, days: int, expected: date) -> None:
    assert deadlines.add_working_days(start, days) == expected


def test_working_days_until_counts_both_ways() -> None:
    assert deadlines.working_days_until(date(2026, 9, 30), date(2026, 10, 10)) == 3  # 8, 9, 10
    assert deadlines.working_days_until(date(2026, 10, 10), date(2026, 9, 30)) == -3
    assert deadlines.working_days_until(date(2026, 10, 1), date(2026, 10, 1)) == 0


def test_close_deadlines_by_complexity() -> None:
    start = date(2026, 9, 25)
    assert deadlines.close_deadline(POLICY, start, "general") == deadlines.add_working_days(start, 15)
    # Fri 25 Sep + 15: 28, 29, 30 Sep; 8, 9, 10(调休), 12-16, 19-22 Oct
    assert deadlines.close_deadline(POLICY, start, "general") == date(2026, 10, 22)
    assert deadlines.close_deadline(POLICY, date(2026, 12, 31), "complex") == date(2027, 2, 28)
    assert deadlines.close_deadline(POLICY, date(2026, 11, 30), "multi") == date(2027, 2, 28)


def test_appeal_window_is_in_calendar_days() -> None:
    assert deadlines.appeal_window_end(POLICY, date(2026, 9, 28)) == date(2026, 10, 13)
    assert deadlines.appeal_deadline(POLICY, date(2026, 9, 28)) == date(2026, 10, 10)  # 29, 30, 8, 9, 10


def test_unknown_years_fall_back_to_monday_to_friday_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    deadlines._warned_years.discard(2031)
    with caplog.at_level(logging.WARNING, logger="hotline.deadlines"):
        assert deadlines.add_working_days(date(2031, 1, 3), 1) == date(2031, 1, 6)  # Fri → Mon
        assert deadlines.add_working_days(date(2031, 1, 6), 5) == date(2031, 1, 13)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].year == 2031


def test_registration_sets_china_day_number_and_deadlines(db: Database, settings: Settings) -> None:
    late_evening_utc = datetime(2026, 9, 28, 17, 30, tzinfo=UTC)  # 01:30 on 29 September in China
    with db.write() as session:
        ticket = tickets.register_ticket(session, settings, channel="letter", actor="clerk", now=late_evening_utc)
    assert ticket.number == "202609290001"
    assert ticket.stage_deadline == date(2026, 10, 9)  # accept within 3 working days
    assert ticket.close_deadline == deadlines.add_working_days(date(2026, 9, 29), 15)


def test_stage_deadlines_follow_the_workflow(
    make_ticket: Callable[..., Ticket], db: Database, settings: Settings, staff: dict[str, User]
) -> None:
    dispatched_on = datetime(2026, 9, 30, 2, tzinfo=UTC)  # Wednesday before National Day
    number = make_ticket("dispatched", now=dispatched_on).number
    with db.write() as session:
        ticket = store.get_by_number(session, number)
        assert ticket.stage_deadline == date(2026, 10, 13)  # investigate in 5: 8, 9, 10(调休), 12, 13
        tickets.transition(session, settings, ticket, "investigate", staff["handler"], now=dispatched_on)
        assert ticket.stage_deadline == date(2026, 10, 20)  # handle in 10 after dispatch: ... 16, 19, 20


def test_extension_moves_the_deadline_and_shows_in_progress(
    make_ticket: Callable[..., Ticket], db: Database, settings: Settings, staff: dict[str, User]
) -> None:
    number = make_ticket("investigating").number
    with db.write() as session:
        ticket = store.get_by_number(session, number)
        old = ticket.stage_deadline
        new = deadlines.add_working_days(old, 5)
        with pytest.raises(InvalidParams, match="must be after the current deadline"):
            tickets.extend(session, settings, ticket, staff["supervisor"], until=old, reason="需要现场勘查")
        with pytest.raises(InvalidParams, match="needs a reason"):
            tickets.extend(session, settings, ticket, staff["supervisor"], until=new, reason=" ")
        with pytest.raises(tickets.access.PermissionDenied):
            tickets.extend(session, settings, ticket, staff["handler"], until=new, reason="需要现场勘查")
        tickets.extend(session, settings, ticket, staff["supervisor"], until=new, reason="需要现场勘查")
    with db.read() as session:
        progress = tickets.progress(session, number)
        last = store.history(session, ticket.id)[-1]
    assert progress == tickets.TicketProgress(number, "investigating", "调查核实中", new, True)
    assert (last.action, last.note, last.data["until"]) == ("extend", "需要现场勘查", new.isoformat())


def test_finished_tickets_cannot_be_extended(
    make_ticket: Callable[..., Ticket], db: Database, settings: Settings, staff: dict[str, User]
) -> None:
    number = make_ticket("closed").number
    with pytest.raises(IllegalTransition, match="cannot extend a ticket that is closed"), db.write() as session:
        tickets.extend(session, settings, store.get_by_number(session, number), staff["supervisor"],
                       until=date(2030, 1, 1), reason="x")


def test_progress_of_unknown_ticket_is_none(db: Database) -> None:
    with db.read() as session:
        assert tickets.progress(session, "202601010001") is None
