"""Ticket endpoints: thin wrappers around ``hotline.tickets``."""
from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from hotline import access, tickets
from hotline.api.deps import CurrentUser, DatabaseDep, SettingsDep, require_permission
from hotline.config import Settings
from hotline.tickets import TicketNotFound
from storage import tickets as store
from storage.db import Database
from storage.models import User

router = APIRouter(tags=["tickets"])
Channel = Literal["phone", "walk_in", "letter", "web", "email"]


class RegisterIn(BaseModel):
    channel: Channel
    content: str = Field(min_length=1, max_length=20000)
    caller_phone: str | None = Field(None, max_length=32)
    caller_name: str | None = Field(None, max_length=128)
    address: str | None = Field(None, max_length=256)
    subject: str | None = Field(None, max_length=256, description="被投诉人/单位")
    demands: str | None = Field(None, max_length=4000, description="诉求")


class TransitionIn(BaseModel):
    action: str = Field(description="accept, reject, transfer, dispatch, object, investigate, handle, "
                                    "reply, follow_up, close, appeal, archive")
    params: dict[str, Any] = Field(default_factory=dict)


class ExtensionIn(BaseModel):
    until: date
    reason: str = Field(min_length=1, max_length=4000)


class FollowUpIn(BaseModel):
    satisfaction: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=4000)


class AppealIn(BaseModel):
    reason: str = Field(min_length=1, max_length=4000)


class RoutingIn(BaseModel):
    category: str
    department: str
    urgency: int = Field(ge=1, le=4)
    confidential: bool | None = None
    complexity: Literal["general", "complex", "multi"] | None = None
    subject_department: str | None = None
    dispatch: bool = False
    note: str | None = Field(None, max_length=4000)


def _detail(db: Database, number: str, user: User) -> dict[str, Any]:
    with db.read() as session:
        return tickets.detail(session, tickets.visible_ticket(session, user, number), user)


def _transition(
    db: Database, settings: Settings, number: str, user: User, action: str, params: dict[str, Any]
) -> dict[str, Any]:
    tickets.run_transition(db, settings, number, user, action, params)
    return _detail(db, number, user)


@router.post("/tickets", status_code=status.HTTP_201_CREATED)
def register(
    *, body: RegisterIn, user: User = Depends(require_permission("register")), db: DatabaseDep, settings: SettingsDep
) -> dict[str, Any]:
    with db.write() as session:
        ticket = tickets.register_ticket(session, settings, actor=user.username, **body.model_dump())
        return tickets.detail(session, ticket, user)


@router.get("/tickets")
def list_tickets(
    *,
    status_: list[str] | None = Query(None, alias="status", description="repeat for several"),
    category: str | None = None,
    department: str | None = None,
    urgency: int | None = Query(None, ge=1, le=4),
    needs_review: bool | None = None,
    overdue: bool = False,
    q: str | None = Query(None, max_length=200, description="text search"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    user: User = Depends(require_permission("view_tickets")),
    db: DatabaseDep,
) -> dict[str, Any]:
    criteria = tickets.ticket_filter(
        user, statuses=status_, category=category, department=department, urgency=urgency,
        needs_review=needs_review, overdue=overdue, text=q,
    )
    with db.read() as session:
        page, total = store.list_tickets(session, criteria, limit=limit, offset=offset)
        return {"total": total, "limit": limit, "offset": offset, "items": [tickets.summary(t) for t in page]}


@router.get("/review-queue")
def review_queue(
    *,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    user: User = Depends(require_permission("review_queue")),
    db: DatabaseDep,
) -> dict[str, Any]:
    """Tickets waiting for a dispatcher: most urgent first, then by deadline."""
    with db.read() as session:
        page, total = tickets.review_queue(session, user, limit=limit, offset=offset)
        return {"total": total, "limit": limit, "offset": offset, "items": [tickets.summary(t) for t in page]}


@router.get("/deadlines")
def deadlines_view(
    *, user: User = Depends(require_permission("view_deadlines")), db: DatabaseDep, settings: SettingsDep
) -> dict[str, Any]:
    """Open tickets due within the reminder window or overdue, by department."""
    with db.read() as session:
        return tickets.deadline_board(session, settings, user)


@router.get("/tickets/{number}")
def get_ticket(number: str, user: CurrentUser, db: DatabaseDep) -> dict[str, Any]:
    return _detail(db, number, user)


@router.get("/tickets/{number}/history")
def history(number: str, user: CurrentUser, db: DatabaseDep) -> list[dict[str, Any]]:
    with db.read() as session:
        ticket = tickets.visible_ticket(session, user, number)
        return [tickets.event_view(e) for e in store.history(session, ticket.id)]


@router.post("/tickets/{number}/transitions")
def transition(
    number: str, body: TransitionIn, user: CurrentUser, db: DatabaseDep, settings: SettingsDep
) -> dict[str, Any]:
    return _transition(db, settings, number, user, body.action, body.params)


@router.post("/tickets/{number}/follow-up")
def follow_up(
    number: str, body: FollowUpIn, user: CurrentUser, db: DatabaseDep, settings: SettingsDep
) -> dict[str, Any]:
    return _transition(db, settings, number, user, "follow_up", body.model_dump())


@router.post("/tickets/{number}/appeal")
def appeal(
    number: str, body: AppealIn, user: CurrentUser, db: DatabaseDep, settings: SettingsDep
) -> dict[str, Any]:
    return _transition(db, settings, number, user, "appeal", body.model_dump())


@router.post("/tickets/{number}/extension")
def extension(
    number: str, body: ExtensionIn, user: CurrentUser, db: DatabaseDep, settings: SettingsDep
) -> dict[str, Any]:
    tickets.run_extension(db, settings, number, user, until=body.until, reason=body.reason)
    return _detail(db, number, user)


@router.patch("/tickets/{number}/routing")
def correct_routing(
    number: str, body: RoutingIn, user: CurrentUser, db: DatabaseDep, settings: SettingsDep
) -> dict[str, Any]:
    ticket = tickets.run_routing_correction(db, settings, number, user, **body.model_dump())
    if not access.can_view_ticket(user, ticket):  # e.g. just marked confidential
        return {"number": number, "status": ticket.status, "visible": False}
    return _detail(db, number, user)


@router.post("/tickets/{number}/attachments", status_code=status.HTTP_201_CREATED)
def upload_attachment(
    *, number: str, file: UploadFile = File(...), user: CurrentUser, db: DatabaseDep, settings: SettingsDep
) -> dict[str, Any]:
    attachment = tickets.run_attachment(
        db, settings, number, user, filename=file.filename or "", content_type=file.content_type or "",
        stream=file.file,
    )
    return tickets.attachment_view(attachment)


@router.get("/tickets/{number}/attachments/{attachment_id}")
def download_attachment(
    number: str, attachment_id: int, user: CurrentUser, db: DatabaseDep, settings: SettingsDep
) -> FileResponse:
    with db.read() as session:
        ticket = tickets.visible_ticket(session, user, number)
        attachment = store.get_attachment(session, ticket.id, attachment_id)
    if attachment is None:
        raise TicketNotFound(f"no attachment {attachment_id} on ticket {number}")
    return FileResponse(
        tickets.attachment_path(settings, attachment), media_type=attachment.content_type,
        filename=attachment.filename, headers={"X-Content-SHA256": attachment.sha256},
    )
