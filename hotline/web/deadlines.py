"""Deadlines: what is overdue or due within the reminder window, by department."""
from __future__ import annotations

from fastapi import Depends, Request, Response

from hotline import tickets
from hotline.api.deps import DatabaseDep, SettingsDep, require_permission
from hotline.web.render import page
from hotline.web.route import page_router
from storage.models import User

router = page_router()


@router.get("/console/deadlines")
def deadline_board(
    *,
    request: Request,
    user: User = Depends(require_permission("view_deadlines")),
    db: DatabaseDep,
    settings: SettingsDep,
) -> Response:
    with db.read() as session:
        board = tickets.deadline_board(session, settings, user)
    return page(request, "deadlines.html", user, board=board, remind_days=settings.deadline.remind_before_days)
