"""Ticket queries: numbers, lookup, filtered lists, the append-only history."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import (
    Attachment,
    RoutingCorrection,
    Ticket,
    TicketEvent,
    TicketSequence,
)


def next_number(session: Session, day: date) -> str:
    """``YYYYMMDD`` + 4-digit daily sequence; atomic upsert, so numbers are never handed out twice."""
    key = day.strftime("%Y%m%d")
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(TicketSequence)
        .values(day=key, last=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": TicketSequence.last + 1})
        .returning(TicketSequence.last)
    )
    sequence = session.execute(statement).scalar_one()
    if sequence > 9999:
        raise OverflowError(f"more than 9999 tickets on {key}")
    return f"{key}{sequence:04d}"


def get_by_number(session: Session, number: str, *, for_update: bool = False) -> Ticket | None:
    """The ticket with this number; ``for_update`` locks its row (PostgreSQL) against concurrent changes."""
    query = select(Ticket).where(Ticket.number == number)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def add_event(
    session: Session,
    ticket: Ticket,
    *,
    actor: str,
    action: str,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> TicketEvent:
    event = TicketEvent(
        ticket=ticket,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        data=data,
    )
    if at is not None:  # otherwise the database's clock
        event.at = at
    session.add(event)
    session.flush()
    return event


def history(session: Session, ticket_id: int) -> Sequence[TicketEvent]:
    return session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    ).all()


@dataclass
class TicketFilter:
    """List criteria; every field left ``None`` does not filter."""

    statuses: Sequence[str] | None = None
    category: str | None = None
    department: str | None = None  # matches assignee, or routing when not yet assigned
    urgency: int | None = None
    needs_review: bool | None = None
    deadline_before: date | None = None  # overdue: stage deadline earlier than this day
    deadline_until: date | None = None  # due: stage deadline on or before this day
    text: str | None = None
    where: list[ColumnElement[bool]] = field(default_factory=list)  # e.g. the viewer's visibility


def _filtered(criteria: TicketFilter) -> Select[tuple[Ticket]]:
    query = select(Ticket)
    if criteria.statuses is not None:
        query = query.where(Ticket.status.in_(list(criteria.statuses)))
    if criteria.category:
        query = query.where(Ticket.category == criteria.category)
    if criteria.department:
        query = query.where(func.coalesce(Ticket.assignee_department, Ticket.department) == criteria.department)
    if criteria.urgency is not None:
        query = query.where(Ticket.urgency == criteria.urgency)
    if criteria.needs_review is not None:
        query = query.where(Ticket.needs_review.is_(criteria.needs_review))
    if criteria.deadline_before:
        query = query.where(Ticket.stage_deadline < criteria.deadline_before)
    if criteria.deadline_until:
        query = query.where(Ticket.stage_deadline <= criteria.deadline_until)
    if criteria.text:
        escaped = criteria.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(
            or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for column in (Ticket.number, Ticket.content, Ticket.address, Ticket.subject, Ticket.demands)
                )
            )
        )
    for clause in criteria.where:
        query = query.where(clause)
    return query


def list_tickets(
    session: Session,
    criteria: TicketFilter,
    *,
    limit: int = 50,
    offset: int = 0,
    order: Iterable[ColumnElement[Any]] | None = None,
) -> tuple[Sequence[Ticket], int]:
    """One page of matching tickets (newest first unless ``order``) and the total count."""
    query = _filtered(criteria)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordering = list(order) if order is not None else [Ticket.created_at.desc(), Ticket.id.desc()]
    page = session.scalars(query.order_by(*ordering).limit(limit).offset(offset)).all()
    return page, total


def all_matching(session: Session, criteria: TicketFilter) -> Sequence[Ticket]:
    """Every matching ticket, for statistics and reminders."""
    return session.scalars(_filtered(criteria).order_by(Ticket.id)).all()


def add_attachment(session: Session, ticket: Ticket, **fields: Any) -> Attachment:
    attachment = Attachment(ticket_id=ticket.id, **fields)
    session.add(attachment)
    session.flush()
    return attachment


def attachments(session: Session, ticket_id: int) -> Sequence[Attachment]:
    return session.scalars(
        select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id)
    ).all()


def get_attachment(session: Session, ticket_id: int, attachment_id: int) -> Attachment | None:
    return session.scalars(
        select(Attachment).where(Attachment.ticket_id == ticket_id, Attachment.id == attachment_id)
    ).one_or_none()


def add_routing_correction(session: Session, ticket: Ticket, **fields: Any) -> RoutingCorrection:
    correction = RoutingCorrection(ticket_id=ticket.id, **fields)
    session.add(correction)
    session.flush()
    return correction


def list_routing_corrections(session: Session) -> list[tuple[str, str]]:
    """(ticket text, corrected category) of every corrected ticket, its latest correction only:
    what the classifier can learn from."""
    latest = select(func.max(RoutingCorrection.id)).group_by(RoutingCorrection.ticket_id)
    rows = session.execute(
        select(RoutingCorrection.text, RoutingCorrection.category)
        .where(RoutingCorrection.id.in_(latest))
        .order_by(RoutingCorrection.id)
    )
    return [(text, category) for text, category in rows]


def has_routing_correction(session: Session, ticket_id: int) -> bool:
    return session.scalar(
        select(func.count()).select_from(RoutingCorrection).where(RoutingCorrection.ticket_id == ticket_id)
    ) > 0
