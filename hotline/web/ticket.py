"""The ticket list and the ticket page: every field, the history, and only the actions allowed now."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, File, Query, Request, Response, UploadFile
from fastapi.responses import RedirectResponse

from hotline import access, tickets
from hotline.api.deps import CurrentUser, DatabaseDep, SettingsDep, require_permission
from hotline.config import Settings
from hotline.web import labels
from hotline.web.render import deadline_state, page
from hotline.web.route import SERVICE_ERRORS, explain, page_router
from hotline.web.views import history, marked_text
from hotline.workflow import ACTIONS, OPEN, InvalidParams
from storage import access as recording_access
from storage import recordings as recording_store
from storage import tickets as store
from storage.db import Database
from storage.models import Recording, User
from storage.transcripts import latest_for_ticket

router = page_router()
LIST_PAGE_SIZE = 50
# Actions off the main path (登记→…→归档): folded away on the ticket page until opened.
SIDE_ACTIONS = frozenset({"reject", "transfer", "object", "appeal", "extend", "route", "attach"})


# ---------------------------------------------------------------- the list


@router.get("/console/tickets")
def ticket_list(
    *,
    request: Request,
    q: str = Query("", max_length=200),
    status: str = "",
    overdue: bool = False,
    page_number: int = Query(1, alias="page", ge=1),
    user: User = Depends(require_permission("view_tickets")),
    db: DatabaseDep,
) -> Response:
    criteria = tickets.ticket_filter(user, statuses=[status] if status else None, overdue=overdue, text=q)
    with db.read() as session:
        found, total = store.list_tickets(
            session, criteria, limit=LIST_PAGE_SIZE, offset=(page_number - 1) * LIST_PAGE_SIZE
        )
        rows = [tickets.summary(ticket) for ticket in found]
    filters = {"q": q, "status": status, **({"overdue": "true"} if overdue else {})}
    return page(
        request, "tickets.html", user, rows=rows, total=total, q=q, status=status, overdue=overdue,
        page_number=page_number, pages=max(1, -(-total // LIST_PAGE_SIZE)),
        pager_base=f"/console/tickets?{urlencode(filters)}&",
    )


# ---------------------------------------------------------------- the page


@dataclass
class RecordingsView:
    """The ticket's recordings; supervisors get a player, or the reason they may not listen."""

    items: list[Recording]
    listener: bool  # only supervisors may ever retrieve audio: others are not offered a player
    refusal: str | None = None
    purposes: tuple[str, ...] = recording_access.PURPOSES


@dataclass
class Submitted:
    """A form that failed, so the page shows it again as it was filled in."""

    action: str | None = None
    fields: dict[str, str] = field(default_factory=dict)

    def get(self, action: str, name: str, default: Any = "") -> Any:
        return self.fields.get(name, default) if action == self.action else default


def _recordings(session: Any, user: User, ticket: Any) -> RecordingsView:
    items = list(recording_store.for_ticket(session, ticket.id))
    if user.role != recording_access.SUPERVISOR:
        return RecordingsView(items, listener=False)
    grants = recording_access.active_grants(session, user.id)
    return RecordingsView(items, listener=True, refusal=recording_access.refusal(user, ticket, grants))


def render_ticket(
    request: Request, number: str, user: User, db: Database, settings: Settings, *,
    status_code: int = 200, error: str | None = None, submitted: Submitted | None = None,
) -> Response:
    category = lambda code: labels.category_name(settings.taxonomy, code)  # noqa: E731
    department = lambda code: labels.department_name(settings.taxonomy, code)  # noqa: E731
    with db.read() as session:
        ticket = tickets.visible_ticket(session, user, number)
        view = tickets.detail(session, ticket, user)
        transcript = latest_for_ticket(session, ticket.id)
        context = {
            "t": view,
            "text": marked_text(session, ticket),
            "transcript": transcript,
            "events": history(session, ticket, category, department),
            "recordings": _recordings(session, user, ticket),
            "deadline": deadline_state(ticket.stage_deadline, ticket.status in OPEN, settings),
            "full_phone": access.can_see_full_phone(user, ticket),
        }
    return page(
        request, "ticket.html", user, status_code=status_code, error=error,
        choices=labels.routing_choices(settings.taxonomy), submitted=submitted or Submitted(),
        told_via=labels.TOLD_VIA, outside_bodies=labels.OUTSIDE_BODIES, side_actions=SIDE_ACTIONS,
        **context,
    )


@router.get("/console/tickets/{number}")
def ticket_page(
    request: Request, number: str, user: CurrentUser, db: DatabaseDep, settings: SettingsDep
) -> Response:
    return render_ticket(request, number, user, db, settings)


# ---------------------------------------------------------------- actions


async def form_fields(request: Request) -> dict[str, str]:
    """The submitted text fields, trimmed; empty ones are left out (optional means absent)."""
    form = await request.form()
    return {name: value.strip() for name, value in form.items() if isinstance(value, str) and value.strip()}


FormFields = Annotated[dict[str, str], Depends(form_fields)]


def _finished(action: str, number: str, user: User, db: Database) -> RedirectResponse:
    """Back to the ticket; to the start page if the action moved it out of the user's sight."""
    query = urlencode({"done": action, "ticket": number})
    with db.read() as session:
        ticket = store.get_by_number(session, number)
        visible = ticket is not None and access.can_view_ticket(user, ticket)
    return RedirectResponse(f"/console/tickets/{number}?{query}" if visible else f"/?{query}", status_code=303)


def _act(
    request: Request, number: str, action: str, user: User, db: Database, settings: Settings,
    fields: dict[str, str], apply: Any,
) -> Response:
    try:
        apply()
    except SERVICE_ERRORS as exc:
        status_code, message = explain(exc)
        return render_ticket(
            request, number, user, db, settings, status_code=status_code, error=message,
            submitted=Submitted(action, fields),
        )
    return _finished(action, number, user, db)


@router.post("/console/tickets/{number}/actions/{action}")
def workflow_action(
    request: Request, number: str, action: str, fields: FormFields, user: CurrentUser, db: DatabaseDep,
    settings: SettingsDep,
) -> Response:
    """One step of the workflow; the ticket service checks state, role and fields."""
    if action not in ACTIONS:
        return render_ticket(request, number, user, db, settings, status_code=404, error=f"没有“{action}”这个操作。")
    return _act(
        request, number, action, user, db, settings, fields,
        lambda: tickets.run_transition(db, settings, number, user, action, fields),
    )


@router.post("/console/tickets/{number}/extend")
def extend(
    request: Request, number: str, fields: FormFields, user: CurrentUser, db: DatabaseDep, settings: SettingsDep
) -> Response:
    def apply() -> None:
        try:
            until = date.fromisoformat(fields.get("until", ""))
        except ValueError:
            raise InvalidParams("until: 请选择新的期限日期") from None
        tickets.run_extension(db, settings, number, user, until=until, reason=fields.get("reason", ""))

    return _act(request, number, "extend", user, db, settings, fields, apply)


@router.post("/console/tickets/{number}/route")
def route(
    request: Request, number: str, fields: FormFields, user: CurrentUser, db: DatabaseDep, settings: SettingsDep
) -> Response:
    """改派/分类更正 from the ticket page: stored for learning like the queue's correction."""

    def apply() -> None:
        try:
            urgency = int(fields.get("urgency", ""))
        except ValueError:
            raise InvalidParams("urgency: 请选择紧急程度 1-4") from None
        tickets.run_routing_correction(
            db, settings, number, user, category=fields.get("category", ""),
            department=fields.get("department", ""), urgency=urgency,
            confidential=fields.get("confidential") == "true", complexity=fields.get("complexity"),
            dispatch=fields.get("dispatch") == "true", note=fields.get("note"),
        )

    return _act(request, number, "route", user, db, settings, fields, apply)


@router.post("/console/tickets/{number}/attachments")
def attach(
    *,
    request: Request,
    number: str,
    file: UploadFile = File(...),
    user: CurrentUser,
    db: DatabaseDep,
    settings: SettingsDep,
) -> Response:
    def apply() -> None:
        tickets.run_attachment(
            db, settings, number, user, filename=file.filename or "", content_type=file.content_type or "",
            stream=file.file,
        )

    return _act(request, number, "attach", user, db, settings, {}, apply)

