"""The ticket service: registration, workflow transitions, routing, extensions, attachments.

API, CLI, web console, SIP agent and worker all change tickets only through these functions,
so the rules (state machine, permissions, deadlines, history) hold everywhere.
"""
from __future__ import annotations

import hashlib
import logging
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import case
from sqlalchemy.orm import Session

from hotline import access, deadlines
from hotline.config import Settings
from hotline.privacy import mask_name, mask_phone
from hotline.workflow import (
    ACCEPTED,
    OPEN,
    REGISTERED,
    STATUS_WORDS,
    CloseParams,
    IllegalTransition,
    InvalidParams,
    allowed_actions,
    next_status,
    parse_params,
)
from storage import jobs
from storage import tickets as store
from storage.db import Database
from storage.models import Attachment, Ticket, User

log = logging.getLogger(__name__)

CHANNELS = ("phone", "walk_in", "letter", "web", "email")
COMPLEXITIES = ("general", "complex", "multi")
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{2,30}$")
_CODE = re.compile(r"^[a-z0-9_]{1,32}$")


class TicketNotFound(LookupError):
    """No such ticket, or one the user may not see (HTTP 404: existence is not revealed)."""


class ClosingBlocked(IllegalTransition):
    """The closing review (结案审查) answered "no": recorded, and the ticket stays open."""


@dataclass(frozen=True)
class TicketProgress:
    """What a caller may hear about a ticket: no personal data."""

    number: str
    status: str
    status_word: str
    deadline: date | None
    extended: bool


# ---------------------------------------------------------------- registration


def _clean(value: str | None, field: str, max_length: int) -> str | None:
    value = (value or "").strip() or None
    if value and len(value) > max_length:
        raise InvalidParams(f"{field}: at most {max_length} characters")
    return value


def register_ticket(
    session: Session,
    settings: Settings,
    *,
    channel: str,
    actor: str,
    content: str = "",
    caller_phone: str | None = None,
    caller_name: str | None = None,
    address: str | None = None,
    subject: str | None = None,
    demands: str | None = None,
    interrupted: bool = False,
    now: datetime | None = None,
) -> Ticket:
    """A new ticket in state ``registered`` with its number, deadlines and 'register' event.

    Staff who register become its owner (首诉负责制); phone tickets get the owner on acceptance.
    """
    if channel not in CHANNELS:
        raise InvalidParams(f"channel: must be one of {', '.join(CHANNELS)}")
    caller_phone = _clean(caller_phone, "caller_phone", 32)
    if caller_phone and not _PHONE.match(caller_phone):
        raise InvalidParams("caller_phone: digits only (with optional +, spaces or dashes)")
    now = now or datetime.now(UTC)
    today = deadlines.china_today(now)
    policy = settings.deadline
    ticket = Ticket(
        number=store.next_number(session, today),
        channel=channel,
        status=REGISTERED,
        caller_phone=caller_phone,
        caller_name=_clean(caller_name, "caller_name", 128),
        address=_clean(address, "address", 256),
        subject=_clean(subject, "subject", 256),
        content=(content or "").strip(),
        demands=_clean(demands, "demands", 4000),
        urgency=3,
        confidential=False,
        needs_review=True,
        complexity="general",
        owner=None if channel == "phone" else actor,
        created_by=actor,
        interrupted=interrupted,
        stage_deadline=deadlines.accept_deadline(policy, today),
        close_deadline=deadlines.close_deadline(policy, today, "general"),
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    store.add_event(
        session, ticket, actor=actor, action="register", to_status=REGISTERED,
        data={"channel": channel, "interrupted": interrupted}, at=now,
    )
    if ticket.content:  # typed complaints are classified by the worker, like transcribed calls
        jobs.enqueue(session, kind=jobs.CLASSIFY, ticket_id=ticket.id)
    log.info("ticket registered", extra={"ticket": ticket.number, "channel": channel})
    return ticket


# ---------------------------------------------------------------- lookup and views


def visible_ticket(session: Session, user: User, number: str, *, for_update: bool = False) -> Ticket:
    """The ticket if this user may see it; ``TicketNotFound`` otherwise."""
    ticket = store.get_by_number(session, number, for_update=for_update)
    if ticket is None or not access.can_view_ticket(user, ticket):
        raise TicketNotFound(f"no ticket {number}")
    return ticket


def progress(session: Session, number: str) -> TicketProgress | None:
    ticket = store.get_by_number(session, number)
    if ticket is None:
        return None
    return TicketProgress(
        number=ticket.number,
        status=ticket.status,
        status_word=STATUS_WORDS[ticket.status],
        deadline=ticket.stage_deadline,
        extended=ticket.extended_until is not None,
    )


def responsible(ticket: Ticket) -> str | None:
    """首诉负责制: the registering staff member until dispatch, then the assigned department."""
    return ticket.assignee_department if ticket.assignee_department else ticket.owner


def is_overdue(ticket: Ticket, today: date) -> bool:
    return ticket.status in OPEN and ticket.stage_deadline is not None and ticket.stage_deadline < today


def available_actions(user: User, ticket: Ticket, today: date | None = None) -> list[str]:
    """What this user can do to this ticket now (workflow actions plus extend/route/attach)."""
    today = today or deadlines.china_today()
    actions = [a for a in allowed_actions(ticket.status) if access.can_act(user, ticket, a)]
    if "appeal" in actions and not (ticket.appeal_deadline and today <= ticket.appeal_deadline):
        actions.remove("appeal")
    if ticket.status in OPEN:
        actions += [a for a in ("extend", "route") if access.can_act(user, ticket, a)]
    if ticket.status != "archived" and access.can_act(user, ticket, "attach"):
        actions.append("attach")
    return actions


def summary(ticket: Ticket, today: date | None = None) -> dict[str, Any]:
    """The list view of a ticket: caller data always masked."""
    today = today or deadlines.china_today()
    return {
        "number": ticket.number,
        "status": ticket.status,
        "status_word": STATUS_WORDS[ticket.status],
        "channel": ticket.channel,
        "category": ticket.category,
        "department": ticket.department,
        "assignee_department": ticket.assignee_department,
        "urgency": ticket.urgency,
        "confidential": ticket.confidential,
        "needs_review": ticket.needs_review,
        "caller_name": mask_name(ticket.caller_name),
        "caller_phone": mask_phone(ticket.caller_phone),
        "created_at": _iso(ticket.created_at),
        "deadline": _iso(ticket.stage_deadline),
        "overdue": is_overdue(ticket, today),
        "extended": ticket.extended_until is not None,
    }


def detail(session: Session, ticket: Ticket, user: User) -> dict[str, Any]:
    """The single-ticket view: full phone only for those who need it."""
    full = access.can_see_full_phone(user, ticket)
    view = summary(ticket)
    view.update(
        caller_name=ticket.caller_name if full else mask_name(ticket.caller_name),
        caller_phone=ticket.caller_phone if full else mask_phone(ticket.caller_phone),
        address=ticket.address,
        subject=ticket.subject,
        subject_department=ticket.subject_department,
        content=ticket.content,
        demands=ticket.demands,
        complexity=ticket.complexity,
        confidence=ticket.confidence,
        classification=ticket.classification,
        owner=ticket.owner,
        created_by=ticket.created_by,
        responsible=responsible(ticket),
        interrupted=ticket.interrupted,
        stage_deadline=_iso(ticket.stage_deadline),
        close_deadline=_iso(ticket.close_deadline),
        appeal_deadline=_iso(ticket.appeal_deadline),
        extended_until=_iso(ticket.extended_until),
        satisfaction=ticket.satisfaction,
        updated_at=_iso(ticket.updated_at),
        accepted_at=_iso(ticket.accepted_at),
        dispatched_at=_iso(ticket.dispatched_at),
        replied_at=_iso(ticket.replied_at),
        closed_at=_iso(ticket.closed_at),
        attachments=[attachment_view(a) for a in store.attachments(session, ticket.id)],
        allowed_actions=available_actions(user, ticket),
    )
    return view


def event_view(event: Any) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": _iso(event.at),
        "actor": event.actor,
        "action": event.action,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "note": event.note,
        "data": event.data,
    }


def attachment_view(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "uploaded_by": attachment.uploaded_by,
        "uploaded_at": _iso(attachment.uploaded_at),
    }


def _iso(value: date | datetime | None) -> str | None:
    """ISO text; naive datetimes (SQLite) are UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat() if value else None


# ---------------------------------------------------------------- transitions


@dataclass
class _Step:
    session: Session
    settings: Settings
    ticket: Ticket
    user: User
    now: datetime

    @property
    def today(self) -> date:
        return deadlines.china_today(self.now)


def _accept(step: _Step, params: Any) -> dict[str, Any]:
    ticket, policy = step.ticket, step.settings.deadline
    ticket.accepted_at = step.now
    ticket.owner = ticket.owner or step.user.username
    ticket.close_deadline = deadlines.close_deadline(policy, step.today, ticket.complexity)
    ticket.stage_deadline = ticket.close_deadline
    return {}


def _reject(step: _Step, params: Any) -> dict[str, Any]:
    step.ticket.stage_deadline = None
    return {"reason": params.reason, "told_via": params.told_via}


def _transfer(step: _Step, params: Any) -> dict[str, Any]:
    step.ticket.stage_deadline = None
    return {"body": params.body}


def _dispatch(step: _Step, params: Any) -> dict[str, Any]:
    ticket, department = step.ticket, params.department
    if ticket.confidential and department != access.DISCIPLINE_DEPARTMENT:
        raise InvalidParams(
            f"department: a confidential ticket can only be dispatched to {access.DISCIPLINE_DEPARTMENT}"
        )
    if ticket.subject_department and department == ticket.subject_department:
        raise InvalidParams("department: a ticket cannot be dispatched to the unit it complains about")
    ticket.assignee_department = department
    ticket.dispatched_at = step.now
    ticket.stage_deadline = deadlines.investigate_deadline(step.settings.deadline, step.today)
    return {"department": department}


def _object(step: _Step, params: Any) -> dict[str, Any]:
    ticket = step.ticket
    department, ticket.assignee_department, ticket.dispatched_at = ticket.assignee_department, None, None
    ticket.stage_deadline = ticket.close_deadline
    return {"reason": params.reason, "department": department}


def _investigate(step: _Step, params: Any) -> dict[str, Any]:
    ticket = step.ticket
    dispatched = deadlines.china_today(ticket.dispatched_at) if ticket.dispatched_at else step.today
    ticket.stage_deadline = deadlines.handle_deadline(step.settings.deadline, dispatched)
    return {}


def _handle(step: _Step, params: Any) -> dict[str, Any]:
    step.ticket.stage_deadline = step.ticket.close_deadline
    return {"measures": params.measures}


def _reply(step: _Step, params: Any) -> dict[str, Any]:
    ticket = step.ticket
    ticket.replied_at = step.now
    ticket.appeal_deadline = deadlines.appeal_window_end(step.settings.deadline, step.today)
    ticket.stage_deadline = ticket.close_deadline
    return {"result": params.result, "told_via": params.told_via}


def _follow_up(step: _Step, params: Any) -> dict[str, Any]:
    step.ticket.satisfaction = params.satisfaction
    return {"satisfaction": params.satisfaction, "comment": params.comment}


def _close(step: _Step, params: CloseParams) -> dict[str, Any]:
    ticket = step.ticket
    answers = params.model_dump(exclude={"note", "reason"})
    failed = params.failed()
    if failed:
        store.add_event(
            step.session, ticket, actor=step.user.username, action="close_review",
            from_status=ticket.status, to_status=ticket.status, note=params.reason,
            data={"answers": answers, "failed": failed, "passed": False}, at=step.now,
        )
        raise ClosingBlocked(
            "close", ticket.status,
            f"closing review failed ({', '.join(failed)}): {params.reason}; the ticket stays {ticket.status}",
        )
    ticket.closed_at = step.now
    ticket.stage_deadline = None
    return {"review": answers, "passed": True}


def _appeal(step: _Step, params: Any) -> dict[str, Any]:
    ticket, policy = step.ticket, step.settings.deadline
    if not ticket.appeal_deadline or step.today > ticket.appeal_deadline:
        raise IllegalTransition(
            "appeal", ticket.status,
            f"cannot appeal: the appeal window ended on {_iso(ticket.appeal_deadline) or 'reply'}",
        )
    ticket.stage_deadline = deadlines.appeal_deadline(policy, step.today)
    ticket.close_deadline = max(ticket.close_deadline or ticket.stage_deadline, ticket.stage_deadline)
    ticket.closed_at = None
    return {"reason": params.reason}


def _archive(step: _Step, params: Any) -> dict[str, Any]:
    step.ticket.stage_deadline = None
    return {}


_EFFECTS: dict[str, Callable[[_Step, Any], dict[str, Any]]] = {
    "accept": _accept,
    "reject": _reject,
    "transfer": _transfer,
    "dispatch": _dispatch,
    "object": _object,
    "investigate": _investigate,
    "handle": _handle,
    "reply": _reply,
    "follow_up": _follow_up,
    "close": _close,
    "appeal": _appeal,
    "archive": _archive,
}


def _require(user: User, ticket: Ticket, action: str) -> None:
    if not access.can_act(user, ticket, action):
        raise access.PermissionDenied(f"{user.role} {user.username} may not {action} ticket {ticket.number}")


def transition(
    session: Session,
    settings: Settings,
    ticket: Ticket,
    action: str,
    actor_user: User,
    *,
    now: datetime | None = None,
    **params: Any,
) -> Ticket:
    """Apply one workflow action: permission, then state, then parameters; one event recorded."""
    if action not in _EFFECTS:
        raise InvalidParams(f"unknown action {action!r}; actions: {', '.join(_EFFECTS)}")
    _require(actor_user, ticket, action)
    target = next_status(ticket.status, action)
    parsed = parse_params(action, params)
    step = _Step(session, settings, ticket, actor_user, now or datetime.now(UTC))
    source = ticket.status
    data = _EFFECTS[action](step, parsed)
    ticket.status = target
    ticket.updated_at = step.now
    note = parsed.note or next((data.get(k) for k in ("reason", "measures", "result", "comment") if data.get(k)), None)
    store.add_event(
        session, ticket, actor=actor_user.username, action=action,
        from_status=source, to_status=target, note=note, data=data or None, at=step.now,
    )
    log.info("ticket transition", extra={"ticket": ticket.number, "action": action, "to_status": target})
    return ticket


def run_transition(
    db: Database, settings: Settings, number: str, user: User, action: str, params: dict[str, Any]
) -> Ticket:
    """``transition`` in its own transaction; a failed closing review is still recorded."""
    blocked: ClosingBlocked | None = None
    with db.write() as session:
        ticket = visible_ticket(session, user, number, for_update=True)
        try:
            transition(session, settings, ticket, action, user, **params)
        except ClosingBlocked as exc:
            blocked = exc
    if blocked is not None:
        raise blocked
    return ticket


def extend(
    session: Session, settings: Settings, ticket: Ticket, user: User, *, until: date, reason: str,
    now: datetime | None = None,
) -> Ticket:
    """延期: a later deadline for the current stage, with a reason; the caller sees "extended"."""
    _require(user, ticket, "extend")
    if ticket.status not in OPEN:
        raise IllegalTransition("extend", ticket.status, f"cannot extend a ticket that is {ticket.status}")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidParams("reason: an extension needs a reason")
    if ticket.stage_deadline and until <= ticket.stage_deadline:
        raise InvalidParams(f"until: must be after the current deadline {ticket.stage_deadline.isoformat()}")
    now = now or datetime.now(UTC)
    previous = ticket.stage_deadline
    ticket.stage_deadline = ticket.extended_until = until
    ticket.close_deadline = max(ticket.close_deadline or until, until)
    ticket.updated_at = now
    store.add_event(
        session, ticket, actor=user.username, action="extend", from_status=ticket.status,
        to_status=ticket.status, note=reason,
        data={"from": _iso(previous), "until": until.isoformat(), "reason": reason}, at=now,
    )
    return ticket


def run_extension(db: Database, settings: Settings, number: str, user: User, *, until: date, reason: str) -> Ticket:
    """``extend`` in its own transaction."""
    with db.write() as session:
        return extend(session, settings, visible_ticket(session, user, number), user, until=until, reason=reason)


# ---------------------------------------------------------------- routing


def apply_routing(session: Session, ticket: Ticket, routing: dict[str, Any], actor: str) -> None:
    """Store the classifier's routing; it changes the ticket only before dispatch and correction."""
    ticket.classification = routing
    ticket.confidence = routing.get("confidence")
    applied = ticket.status in (REGISTERED, ACCEPTED) and not store.has_routing_correction(session, ticket.id)
    if applied:
        ticket.category = routing.get("category")
        ticket.department = routing.get("department")
        ticket.urgency = int(routing.get("urgency") or 3)
        ticket.confidential = bool(routing.get("confidential"))
        ticket.needs_review = bool(routing.get("needs_review", True))
    store.add_event(
        session, ticket, actor=actor, action="classify", from_status=ticket.status, to_status=ticket.status,
        data={
            key: routing.get(key)
            for key in ("category", "department", "urgency", "confidential", "confidence", "needs_review")
        } | {"keywords": [k.get("term") for k in routing.get("keywords") or []], "applied": applied},
    )


def correct_routing(
    session: Session,
    settings: Settings,
    ticket: Ticket,
    user: User,
    *,
    category: str,
    department: str,
    urgency: int,
    confidential: bool | None = None,
    complexity: str | None = None,
    subject_department: str | None = None,
    dispatch: bool = False,
    note: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """A dispatcher's correction: kept with the original prediction, then optionally dispatched."""
    _require(user, ticket, "route")
    if ticket.status not in OPEN:
        raise IllegalTransition("route", ticket.status, f"cannot route a ticket that is {ticket.status}")
    for name, value in (("category", category), ("department", department), ("subject_department", subject_department)):
        if value is not None and not _CODE.match(value):
            raise InvalidParams(f"{name}: lowercase letters, digits and _ only (at most 32)")
    if not 1 <= urgency <= 4:
        raise InvalidParams("urgency: must be 1 (most urgent) to 4")
    if complexity is not None and complexity not in COMPLEXITIES:
        raise InvalidParams(f"complexity: must be one of {', '.join(COMPLEXITIES)}")
    confidential = ticket.confidential if confidential is None else confidential
    if confidential and department != access.DISCIPLINE_DEPARTMENT:
        raise InvalidParams(f"department: a confidential ticket goes to {access.DISCIPLINE_DEPARTMENT}")
    now = now or datetime.now(UTC)
    before = {"category": ticket.category, "department": ticket.department, "urgency": ticket.urgency,
              "confidential": ticket.confidential, "complexity": ticket.complexity}
    store.add_routing_correction(
        session, ticket, actor=user.username, text=ticket.content, predicted=ticket.classification,
        category=category, department=department, urgency=urgency,
    )
    ticket.category, ticket.department, ticket.urgency = category, department, urgency
    ticket.confidential, ticket.needs_review = confidential, False
    if subject_department is not None:
        ticket.subject_department = subject_department
    if complexity is not None and complexity != ticket.complexity:
        ticket.complexity = complexity
        start = deadlines.china_today(ticket.accepted_at or ticket.created_at)
        ticket.close_deadline = deadlines.close_deadline(settings.deadline, start, complexity)
    ticket.updated_at = now
    after = {"category": category, "department": department, "urgency": urgency,
             "confidential": confidential, "complexity": ticket.complexity}
    store.add_event(
        session, ticket, actor=user.username, action="route", from_status=ticket.status,
        to_status=ticket.status, note=note, data={"from": before, "to": after}, at=now,
    )
    if dispatch:
        if ticket.status == REGISTERED:
            transition(session, settings, ticket, "accept", user, now=now)
        transition(session, settings, ticket, "dispatch", user, now=now, department=department)
    return ticket


def run_routing_correction(db: Database, settings: Settings, number: str, user: User, **correction: Any) -> Ticket:
    """``correct_routing`` in its own transaction."""
    with db.write() as session:
        return correct_routing(session, settings, visible_ticket(session, user, number), user, **correction)


# ---------------------------------------------------------------- attachments


def add_attachment(
    session: Session, settings: Settings, ticket: Ticket, user: User, *,
    filename: str, content_type: str, stream: BinaryIO,
) -> Attachment:
    """Store an evidence file under ``attachments_dir/<number>/`` with its SHA-256."""
    _require(user, ticket, "attach")
    if ticket.status == "archived":
        raise IllegalTransition("attach", ticket.status, "cannot attach files to an archived ticket")
    safe_name = Path(filename or "").name.strip()
    if not safe_name or len(safe_name) > 200:
        raise InvalidParams("filename: a file name of at most 200 characters is required")
    folder = settings.attachments_dir / ticket.number
    folder.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with tempfile.NamedTemporaryFile(dir=folder, delete=False) as temporary:
        try:
            while chunk := stream.read(1024 * 1024):
                size += len(chunk)
                if size > MAX_ATTACHMENT_BYTES:
                    raise InvalidParams(f"file: larger than {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MiB")
                digest.update(chunk)
                temporary.write(chunk)
        except BaseException:
            Path(temporary.name).unlink(missing_ok=True)
            raise
    if size == 0:
        Path(temporary.name).unlink(missing_ok=True)
        raise InvalidParams("file: empty")
    sha256 = digest.hexdigest()
    target = folder / f"{sha256}{Path(safe_name).suffix[:16]}"
    shutil.move(temporary.name, target)
    attachment = store.add_attachment(
        session, ticket, filename=safe_name, content_type=content_type or "application/octet-stream",
        size=size, sha256=sha256, path=str(target.relative_to(settings.attachments_dir)),
        uploaded_by=user.username,
    )
    store.add_event(
        session, ticket, actor=user.username, action="attach", from_status=ticket.status,
        to_status=ticket.status, data={"attachment": attachment.id, "sha256": sha256, "size": size},
    )
    return attachment


def run_attachment(
    db: Database, settings: Settings, number: str, user: User, *, filename: str, content_type: str, stream: BinaryIO,
) -> Attachment:
    """``add_attachment`` in its own transaction."""
    with db.write() as session:
        ticket = visible_ticket(session, user, number)
        return add_attachment(
            session, settings, ticket, user, filename=filename, content_type=content_type, stream=stream
        )


def attachment_path(settings: Settings, attachment: Attachment) -> Path:
    return settings.attachments_dir / attachment.path


# ---------------------------------------------------------------- lists


def ticket_filter(
    user: User,
    *,
    statuses: list[str] | None = None,
    category: str | None = None,
    department: str | None = None,
    urgency: int | None = None,
    needs_review: bool | None = None,
    overdue: bool = False,
    text: str | None = None,
    today: date | None = None,
) -> store.TicketFilter:
    """List criteria restricted to what ``user`` may see; ``overdue`` means open and past deadline."""
    unknown = sorted(set(statuses or ()) - set(STATUS_WORDS))
    if unknown:
        raise InvalidParams(f"status: unknown {', '.join(unknown)}; statuses: {', '.join(STATUS_WORDS)}")
    criteria = store.TicketFilter(
        statuses=statuses or None, category=category, department=department, urgency=urgency,
        needs_review=needs_review, text=(text or "").strip() or None,
        where=[access.visible_tickets_clause(user)],
    )
    if overdue:
        criteria.statuses = [s for s in (statuses or OPEN) if s in OPEN]
        criteria.deadline_before = today or deadlines.china_today()
    return criteria


def review_queue(
    session: Session, user: User, *, limit: int = 50, offset: int = 0
) -> tuple[list[Ticket], int]:
    """Registered or accepted tickets, i.e. not yet dispatched: level-1 emergencies pinned first, then by deadline."""
    criteria = ticket_filter(user, statuses=[REGISTERED, ACCEPTED])
    pinned_first = case((Ticket.urgency == 1, 0), else_=1)
    order = [pinned_first, Ticket.stage_deadline.asc(), Ticket.id.asc()]
    page, total = store.list_tickets(session, criteria, limit=limit, offset=offset, order=order)
    return list(page), total


def deadline_board(
    session: Session, settings: Settings, user: User, today: date | None = None
) -> dict[str, Any]:
    """Open tickets overdue or due within the reminder window, grouped by responsible department."""
    today = today or deadlines.china_today()
    horizon = deadlines.add_working_days(today, settings.deadline.remind_before_days)
    criteria = ticket_filter(user, statuses=list(OPEN))
    criteria.deadline_until = horizon
    board: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for ticket in store.all_matching(session, criteria):
        department = access.handling_department(ticket) or "unassigned"
        column = "overdue" if is_overdue(ticket, today) else "due"
        board.setdefault(department, {"overdue": [], "due": []})[column].append(summary(ticket, today))
    return {
        "today": today.isoformat(),
        "due_until": horizon.isoformat(),
        "departments": [{"department": name, **columns} for name, columns in sorted(board.items())],
    }
