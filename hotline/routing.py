"""Which classified tickets skip the dispatchers' review queue: the auto-dispatch policy.

A phone call transcribed and classified by the worker is accepted (受理) and
dispatched (派单) to its department at once when ALL of these hold:

- the classifier is confident: ``needs_review`` is false (no low confidence, no
  close second category);
- it is not confidential: reports against staff are for a supervisor to route;
- nobody has acted on the ticket yet: it is still ``registered`` and the
  classifier's routing is the one in force (a dispatcher's correction wins);
- it came in by phone: tickets typed by staff are routed by the staff who typed them.

Everything else waits in the review queue. Level-1 tickets follow the same rule
(an emergency heard clearly goes to 应急联动 without waiting) and additionally
raise an alert (``hotline.alerts``) whether or not they were dispatched.
The classifier acts with a dispatcher's permissions, so the workflow and the
permission table still decide, and its steps appear in the history as "classifier".
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hotline.access import DISPATCHER, PermissionDenied
from hotline.config import Settings
from hotline.tickets import transition
from hotline.workflow import REGISTERED, IllegalTransition, InvalidParams
from storage.models import Ticket

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SystemActor:
    """Acts through the ticket service like a user of ``role``; not an account anyone logs in with."""

    username: str
    role: str
    department: str | None = None
    active: bool = True


CLASSIFIER = SystemActor(username="classifier", role=DISPATCHER)


def should_auto_dispatch(ticket: Ticket, routing: dict[str, Any]) -> bool:
    """The policy above, on a ticket that ``apply_routing`` has just updated."""
    return (
        ticket.channel == "phone"
        and ticket.status == REGISTERED
        and not routing.get("needs_review", True)
        and not routing.get("confidential", False)
        and bool(routing.get("department"))
        and (ticket.category, ticket.department) == (routing.get("category"), routing.get("department"))
    )


def route_classified_ticket(
    session: Session, settings: Settings, ticket: Ticket, routing: dict[str, Any]
) -> str | None:
    """Accept and dispatch the ticket if the policy allows; the department, or None if it waits for review."""
    if not should_auto_dispatch(ticket, routing):
        return None
    department = routing["department"]
    try:
        with session.begin_nested():  # accept and dispatch together, or neither
            transition(session, settings, ticket, "accept", CLASSIFIER)  # type: ignore[arg-type]
            transition(session, settings, ticket, "dispatch", CLASSIFIER, department=department)  # type: ignore[arg-type]
    except (IllegalTransition, InvalidParams, PermissionDenied) as exc:
        log.warning(
            "auto-dispatch refused; ticket left for review",
            extra={"ticket": ticket.number, "reason": str(exc)},
        )
        return None
    return department
