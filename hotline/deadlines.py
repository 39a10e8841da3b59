"""Deadlines in working days on the Chinese calendar (weekends, holidays, 调休 make-up days).

``chinese-calendar`` knows the official schedule of the years the State Council has published;
for later years we fall back to Monday–Friday and warn once per year.
"""
from __future__ import annotations

import calendar
import logging
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from hotline.config import DeadlinePolicy

CHINA = ZoneInfo("Asia/Shanghai")
log = logging.getLogger(__name__)
_warned_years: set[int] = set()


def china_today(now: datetime | None = None) -> date:
    """The calendar day in China at ``now`` (default: the current time; naive means UTC,
    as SQLite returns stored times)."""
    now = now or datetime.now(UTC)
    return (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(CHINA).date()


def is_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning(
                "chinese-calendar has no holiday schedule for this year; counting Monday-Friday",
                extra={"year": day.year},
            )
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The day ``days`` working days after ``start`` (``start`` itself not counted; negative goes back)."""
    step = timedelta(days=1 if days >= 0 else -1)
    day, remaining = start, abs(days)
    while remaining:
        day += step
        if is_workday(day):
            remaining -= 1
    return day


def working_days_until(today: date, deadline: date) -> int:
    """Working days left from ``today`` (exclusive) to ``deadline`` (inclusive); negative when late."""
    if deadline >= today:
        return sum(is_workday(today + timedelta(days=n)) for n in range(1, (deadline - today).days + 1))
    return -sum(is_workday(deadline + timedelta(days=n)) for n in range(1, (today - deadline).days + 1))


def add_months(start: date, months: int) -> date:
    """Same day ``months`` calendar months later (clamped to the month's last day)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def accept_deadline(policy: DeadlinePolicy, registered: date) -> date:
    return add_working_days(registered, policy.accept_days)


def investigate_deadline(policy: DeadlinePolicy, dispatched: date) -> date:
    return add_working_days(dispatched, policy.investigate_days)


def handle_deadline(policy: DeadlinePolicy, dispatched: date) -> date:
    return add_working_days(dispatched, policy.handle_days)


def close_deadline(policy: DeadlinePolicy, start: date, complexity: str) -> date:
    """General cases in working days; complex and multi-department ones in calendar months."""
    if complexity == "complex":
        return add_months(start, policy.complex_close_months)
    if complexity == "multi":
        return add_months(start, policy.multi_close_months)
    return add_working_days(start, policy.general_close_days)


def appeal_window_end(policy: DeadlinePolicy, replied: date) -> date:
    """Last day an appeal is accepted: calendar days after the reply."""
    return replied + timedelta(days=policy.appeal_window_days)


def appeal_deadline(policy: DeadlinePolicy, appealed: date) -> date:
    return add_working_days(appealed, policy.appeal_handle_days)


def reminder_due(policy: DeadlinePolicy, deadline: date, today: date) -> bool:
    """Inside the reminder window: at most ``remind_before_days`` working days left, not yet late."""
    return today <= deadline and working_days_until(today, deadline) <= policy.remind_before_days
