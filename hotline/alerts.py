"""Level-1 alerts: life or property in immediate danger must reach people at once.

An alert is three things: an ``alert`` event in the ticket's history (the console
pins it at the top), a warning log line, and an HTTP POST to the configured
webhook (a pager, a chat room, the 110/119/120 liaison). The event is written in
the transaction that classified the ticket; the log line and the POST follow its
commit, so nothing announces a ticket that was never stored. Neither carries
personal data: the ticket number, category, department and the emergency
keywords are enough to act on, and staff open the ticket for the rest.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.orm import Session

from storage.models import Ticket
from storage.tickets import add_event

log = logging.getLogger(__name__)

ALERT_ACTION = "alert"
EMERGENCY_URGENCY = 1
WEBHOOK_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Alert:
    ticket: str  # the ticket number
    urgency: int
    category: str | None
    department: str | None
    keywords: list[str]
    raised_at: str

    def payload(self) -> dict[str, Any]:
        return {"event": "hotline.alert", **asdict(self)}


def is_emergency(routing: dict[str, Any]) -> bool:
    return routing.get("urgency") == EMERGENCY_URGENCY


def record_alert(session: Session, ticket: Ticket, routing: dict[str, Any], actor: str) -> Alert:
    """Write the ``alert`` event in the caller's transaction; :func:`announce` it after commit."""
    alert = Alert(
        ticket=ticket.number,
        urgency=routing["urgency"],
        category=routing.get("category"),
        department=routing.get("department"),
        keywords=sorted({k["term"] for k in routing.get("keywords", [])}),
        raised_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    add_event(session, ticket, actor=actor, action=ALERT_ACTION, note="一级响应：立即处置", data=alert.payload())
    return alert


def announce(alert: Alert, webhook_url: str | None) -> bool:
    """Log the alert and POST it to the webhook; True when the webhook accepted it.

    A webhook that is down must not stop the worker: the failure is logged as an
    error and the pinned event still shows the alert in the console.
    """
    log.warning(
        "level-1 alert",
        extra={"ticket": alert.ticket, "category": alert.category, "department": alert.department},
    )
    if not webhook_url:
        return False
    try:
        response = httpx.post(webhook_url, json=alert.payload(), timeout=WEBHOOK_TIMEOUT_SECONDS)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        # Not str(exc): it contains the URL, and webhook URLs often carry a secret token.
        reason = (
            f"HTTP {exc.response.status_code}"
            if isinstance(exc, httpx.HTTPStatusError)
            else type(exc).__name__
        )
        log.error("alert webhook failed", extra={"ticket": alert.ticket, "reason": reason})
        return False
    return True
