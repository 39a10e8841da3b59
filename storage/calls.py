"""Call rows: one per phone call the SIP agent answered, with or without a ticket."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Call, Ticket


def get_by_call_id(session: Session, call_id: str) -> Call | None:
    return session.scalars(select(Call).where(Call.call_id == call_id)).one_or_none()


def add_call(
    session: Session,
    *,
    call_id: str,
    ticket_id: int | None,
    caller_number: str | None,
    started_at: datetime,
    answered_at: datetime | None,
    ended_at: datetime | None,
    duration_seconds: float | None,
    menu_path: str | None,
    hangup_cause: str | None,
    recording_sha256: str | None,
    interrupted: bool,
) -> Call:
    call = Call(
        call_id=call_id,
        ticket_id=ticket_id,
        caller_number=caller_number,
        started_at=started_at,
        answered_at=answered_at,
        ended_at=ended_at,
        duration_seconds=duration_seconds,
        menu_path=menu_path,
        hangup_cause=hangup_cause,
        recording_sha256=recording_sha256,
        interrupted=interrupted,
    )
    session.add(call)
    session.flush()
    return call


def record_end(
    call: Call,
    *,
    ended_at: datetime | None,
    duration_seconds: float | None,
    menu_path: str | None,
    hangup_cause: str | None,
    interrupted: bool,
) -> Call:
    """The end of a call whose row was written while the caller was still on the line."""
    call.ended_at = ended_at
    call.duration_seconds = duration_seconds
    call.menu_path = menu_path
    call.hangup_cause = hangup_cause
    call.interrupted = call.interrupted or interrupted
    return call


def ticket_number(session: Session, call: Call) -> str | None:
    if call.ticket_id is None:
        return None
    return session.scalar(select(Ticket.number).where(Ticket.id == call.ticket_id))


def for_ticket(session: Session, ticket_id: int) -> Sequence[Call]:
    return session.scalars(select(Call).where(Call.ticket_id == ticket_id).order_by(Call.started_at)).all()
