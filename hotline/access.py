"""Roles, the one permission table, and who may see which ticket.

Every permission check of the API, CLI and web console goes through this module.
Rules:
- dispatchers take complaints in (register, accept/reject/transfer, dispatch, reply, follow-up,
  appeals, routing corrections); handlers work the tickets dispatched to their own department
  (object, investigate, handle); supervisors may do everything with tickets, and alone
  close (closing review), archive and extend deadlines; auditors read (masked) and see statistics;
  admins manage users and do not read complaints.
- Handlers see only their department's tickets: assigned to it, or routed to it and not yet
  dispatched elsewhere.
- Confidential tickets (reports against staff, 揭发/控告) are visible only to supervisors and the
  discipline department (纪检监察, ``jijian``) — never to the unit complained about.
- Full phone numbers: supervisors and the handling department, on the ticket page only.
"""
from __future__ import annotations

from typing import Protocol

from sqlalchemy import ColumnElement, and_, false, func, or_, true

from storage.models import Ticket

DISPATCHER = "dispatcher"
SUPERVISOR = "supervisor"
HANDLER = "handler"
AUDITOR = "auditor"
ADMIN = "admin"
ROLES = (DISPATCHER, SUPERVISOR, HANDLER, AUDITOR, ADMIN)

DISCIPLINE_DEPARTMENT = "jijian"


class PermissionDenied(Exception):
    """The user's role may not do this (HTTP 403)."""


PERMISSIONS: dict[str, frozenset[str]] = {
    action: frozenset(roles)
    for action, roles in {
        # reading
        "view_tickets": (DISPATCHER, SUPERVISOR, HANDLER, AUDITOR),
        "view_stats": (DISPATCHER, SUPERVISOR, AUDITOR),
        "view_report": (SUPERVISOR, AUDITOR),
        "review_queue": (DISPATCHER, SUPERVISOR),
        "view_deadlines": (DISPATCHER, SUPERVISOR, HANDLER),
        # intake
        "register": (DISPATCHER, SUPERVISOR),
        "accept": (DISPATCHER, SUPERVISOR),
        "reject": (DISPATCHER, SUPERVISOR),
        "transfer": (DISPATCHER, SUPERVISOR),
        "dispatch": (DISPATCHER, SUPERVISOR),
        "route": (DISPATCHER, SUPERVISOR),
        # the department's work
        "object": (HANDLER, SUPERVISOR),
        "investigate": (HANDLER, SUPERVISOR),
        "handle": (HANDLER, SUPERVISOR),
        "attach": (DISPATCHER, HANDLER, SUPERVISOR),
        # back to the caller
        "reply": (DISPATCHER, SUPERVISOR),
        "follow_up": (DISPATCHER, SUPERVISOR),
        "appeal": (DISPATCHER, SUPERVISOR),
        # oversight
        "extend": (SUPERVISOR,),
        "close": (SUPERVISOR,),
        "archive": (SUPERVISOR,),
        # administration
        "manage_users": (ADMIN,),
    }.items()
}


class UserLike(Protocol):
    username: str
    role: str
    department: str | None
    active: bool


class TicketLike(Protocol):
    confidential: bool
    department: str | None
    assignee_department: str | None
    subject_department: str | None


def allowed(user: UserLike, action: str) -> bool:
    """May this user's role perform ``action`` at all (ticket visibility aside)?"""
    return user.active and user.role in PERMISSIONS.get(action, frozenset())


def roles_for(action: str) -> frozenset[str]:
    return PERMISSIONS[action]


def handling_department(ticket: TicketLike) -> str | None:
    """The department responsible now: the assignee, else the routed one."""
    return ticket.assignee_department or ticket.department


def is_handling_department(user: UserLike, ticket: TicketLike) -> bool:
    return (
        user.role == HANDLER
        and user.department is not None
        and user.department == handling_department(ticket)
        and user.department != ticket.subject_department
    )


def can_view_ticket(user: UserLike, ticket: TicketLike) -> bool:
    if not allowed(user, "view_tickets"):
        return False
    if ticket.confidential:
        if user.role == SUPERVISOR:
            return True
        return (
            user.role == HANDLER
            and user.department == DISCIPLINE_DEPARTMENT
            and ticket.subject_department != DISCIPLINE_DEPARTMENT
        )
    if user.role == HANDLER:
        return is_handling_department(user, ticket)
    return True


def can_act(user: UserLike, ticket: TicketLike, action: str) -> bool:
    """Role permission plus visibility; handlers act only on their own department's tickets."""
    if not (allowed(user, action) and can_view_ticket(user, ticket)):
        return False
    return user.role != HANDLER or is_handling_department(user, ticket)


def can_see_full_phone(user: UserLike, ticket: TicketLike) -> bool:
    """On a single ticket's page; lists are always masked."""
    return can_view_ticket(user, ticket) and (
        user.role == SUPERVISOR or is_handling_department(user, ticket)
    )


def visible_tickets_clause(user: UserLike) -> ColumnElement[bool]:
    """``can_view_ticket`` as a SQL condition on tickets, so lists paginate over what the user may see."""
    if not allowed(user, "view_tickets"):
        return false()
    if user.role == SUPERVISOR:
        return true()
    if user.role != HANDLER:
        return Ticket.confidential.is_(False)
    department = user.department or ""
    not_accused = or_(Ticket.subject_department.is_(None), Ticket.subject_department != department)
    own = and_(
        Ticket.confidential.is_(False),
        func.coalesce(Ticket.assignee_department, Ticket.department) == department,
    )
    if department == DISCIPLINE_DEPARTMENT:
        return and_(not_accused, or_(own, Ticket.confidential.is_(True)))
    return and_(not_accused, own)
