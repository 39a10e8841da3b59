"""The review queue: dispatchers confirm or correct the classifier's routing, then dispatch."""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from hotline import tickets
from hotline.api.deps import DatabaseDep, SettingsDep, require_permission
from hotline.config import Settings
from hotline.web import labels
from hotline.web.render import page
from hotline.web.route import SERVICE_ERRORS, explain, page_router
from hotline.web.views import emergencies, queue_rows
from hotline.workflow import REGISTERED
from storage.db import Database
from storage.models import User

router = page_router()
PAGE_SIZE = 50


def render_queue(
    request: Request, user: User, db: Database, settings: Settings, *, page_number: int = 1,
    status_code: int = 200, error: str | None = None,
) -> Response:
    with db.read() as session:
        waiting, total = tickets.review_queue(session, user, limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE)
        rows = queue_rows(session, settings, waiting)
        alerts = emergencies(session, user)
    return page(
        request, "queue.html", user, status_code=status_code, error=error,
        rows=rows, total=total, alerts=alerts, page_number=page_number,
        pages=max(1, -(-total // PAGE_SIZE)), choices=labels.routing_choices(settings.taxonomy),
    )


@router.get("/console/queue")
def queue(
    *,
    request: Request,
    page_number: int = Query(1, alias="page", ge=1),
    user: User = Depends(require_permission("review_queue")),
    db: DatabaseDep,
    settings: SettingsDep,
) -> Response:
    return render_queue(request, user, db, settings, page_number=page_number)


def _act(
    request: Request, number: str, action: str, user: User, db: Database, settings: Settings,
    apply: Callable[[], object],
) -> Response:
    """Run ``apply``; back to the queue when done, or the queue again with the service's reason."""
    try:
        apply()
    except SERVICE_ERRORS as exc:
        status_code, message = explain(exc)
        return render_queue(request, user, db, settings, status_code=status_code, error=f"工单 {number}：{message}")
    return RedirectResponse(f"/console/queue?{urlencode({'done': action, 'ticket': number})}", status_code=303)


@router.post("/console/queue/{number}/confirm")
def confirm(
    *,
    request: Request,
    number: str,
    user: User = Depends(require_permission("review_queue")),
    db: DatabaseDep,
    settings: SettingsDep,
) -> Response:
    """One click: the classifier was right; accept (if needed) and dispatch to its department."""

    def apply() -> None:
        with db.write() as session:
            ticket = tickets.visible_ticket(session, user, number)
            if ticket.status == REGISTERED:
                tickets.transition(session, settings, ticket, "accept", user)
            tickets.transition(session, settings, ticket, "dispatch", user, department=ticket.department)

    return _act(request, number, "confirm", user, db, settings, apply)


@router.post("/console/queue/{number}/correct")
def correct(
    *,
    request: Request,
    number: str,
    category: str = Form(...),
    department: str = Form(...),
    urgency: int = Form(...),
    confidential: bool = Form(False),
    user: User = Depends(require_permission("review_queue")),
    db: DatabaseDep,
    settings: SettingsDep,
) -> Response:
    """The dispatcher's correction (kept with the prediction for learning), then dispatch."""
    return _act(
        request, number, "correct", user, db, settings,
        lambda: tickets.run_routing_correction(
            db, settings, number, user, category=category, department=department,
            urgency=urgency, confidential=confidential, dispatch=True,
        ),
    )
