"""The audit log for auditors: search, export (CSV/JSON), and the hash-chain check.

Read-only: nothing here (nor anywhere else in the application) edits an entry.
Exports are themselves written to the log.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from hotline import access, deadlines
from hotline.api.deps import DatabaseDep, require_roles
from storage import audit
from storage.models import User

router = APIRouter(prefix="/audit", tags=["audit"])
auditor = require_roles(access.AUDITOR)
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def _china_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), deadlines.CHINA)


def audit_query(
    actor: str | None = Query(None, max_length=64),
    action: str | None = Query(None, max_length=32),
    result: str | None = Query(None, max_length=32),
    recording_id: int | None = None,
    ticket: str | None = Query(None, max_length=16, description="ticket number"),
    since: date | None = Query(None, description="first day (China time), inclusive"),
    until: date | None = Query(None, description="last day (China time), inclusive"),
) -> audit.AuditQuery:
    """The search criteria shared by listing and export; empty values do not filter."""
    return audit.AuditQuery(
        actor=actor or None,
        action=action or None,
        result=result or None,
        recording_id=recording_id,
        ticket_number=ticket or None,
        since=_china_midnight(since) if since else None,
        until=_china_midnight(until + timedelta(days=1)) if until else None,
    )


@router.get("/entries")
def entries(
    *,
    query: audit.AuditQuery = Depends(audit_query),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
    _: User = Depends(auditor),
    db: DatabaseDep,
) -> dict[str, Any]:
    """Matching entries, newest first, with the total count."""
    with db.read() as session:
        found, total = audit.search(session, query, limit=limit, offset=offset)
        return {"total": total, "entries": [audit.entry_dict(e) for e in found]}


@router.get("/export")
def export(
    *,
    request: Request,
    export_format: Literal["csv", "json"] = Query("csv", alias="format"),
    query: audit.AuditQuery = Depends(audit_query),
    user: User = Depends(auditor),
    db: DatabaseDep,
) -> StreamingResponse:
    """Every matching entry in chain order, with its hashes, so the chain can be re-checked elsewhere."""
    with db.write() as session:
        audit.append(
            session,
            actor=user.username,
            action="export",
            result="done",
            client=request.client.host if request.client else None,
            detail=export_format,
        )

    def lines() -> Iterator[str]:
        with db.read() as session:
            yield from audit.export_lines(audit.iter_entries(session, query), export_format)

    stamp = datetime.now(deadlines.CHINA).strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(
        lines(),
        media_type=MEDIA_TYPES[export_format],
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.{export_format}"'},
    )


@router.get("/verify")
def verify(*, _: User = Depends(auditor), db: DatabaseDep) -> dict[str, Any]:
    """Recompute the hash chain and check the last anchor; nothing is written."""
    return audit.verify_chain(db, anchor=False).to_dict()


@router.post("/verify")
def verify_and_anchor(*, _: User = Depends(auditor), db: DatabaseDep) -> dict[str, Any]:
    """As ``GET``, and when the chain is intact its head becomes the new anchor."""
    return audit.verify_chain(db, anchor=True).to_dict()
