"""What became of a call: its ticket, once the worker has transcribed and routed it.

The agent writes the call row (keyed by the SIP Call-ID) with its ticket when the
caller hangs up; the worker stores the transcript and the routing in one
transaction. So "routed" is simply: the call's ticket has a transcript.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from hotline.tickets import summary
from storage import calls, jobs, transcripts
from storage.db import Database
from storage.models import Ticket

POLL_SECONDS = 0.2


class OutcomeError(Exception):
    """The call did not become a routed ticket (in time, or at all)."""


@dataclass(frozen=True)
class RoutedTicket:
    ticket: str  # its number
    status: str
    status_word: str
    transcript: str
    empty: bool
    category: str | None
    department: str | None
    urgency: int
    confidence: float | None
    needs_review: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def wait_for_routed_ticket(
    db: Database,
    call_id: str,
    timeout: float,
    on_progress: Callable[[str], None] = lambda _message: None,
) -> RoutedTicket:
    """Poll until the call's ticket is routed; ``on_progress`` hears each new stage once."""
    deadline = time.monotonic() + timeout
    stage = ""
    while True:
        with db.read() as session:
            call = calls.get_by_call_id(session, call_id)
            ticket = session.get(Ticket, call.ticket_id) if call and call.ticket_id else None
            if call is not None and ticket is None and call.ended_at is not None:
                raise OutcomeError(f"the call ended without a ticket (menu path {call.menu_path or '-'})")
            if ticket is not None:
                transcript = transcripts.latest_for_ticket(session, ticket.id)
                if transcript is not None:
                    return _routed(ticket, transcript.text, transcript.empty)
                failed = _failed_job(session, ticket.id)
                if failed is not None:
                    raise OutcomeError(
                        f"ticket {ticket.number} was registered but its transcription failed: "
                        f"{failed.last_error} (retry with `hotline jobs retry {failed.id}`)"
                    )
            current = (
                f"ticket {ticket.number} registered; waiting for the worker to transcribe and route it"
                if ticket is not None
                else "waiting for the agent to register the call"
            )
        if current != stage:
            stage = current
            on_progress(stage)
        if time.monotonic() >= deadline:
            raise OutcomeError(f"gave up after {timeout:.0f} s: still {stage}")
        time.sleep(POLL_SECONDS)


def _routed(ticket: Ticket, text: str, empty: bool) -> RoutedTicket:
    view = summary(ticket)
    return RoutedTicket(
        ticket=ticket.number,
        status=view["status"],
        status_word=view["status_word"],
        transcript=text,
        empty=empty,
        category=ticket.category,
        department=ticket.department,
        urgency=ticket.urgency,
        confidence=ticket.confidence,
        needs_review=ticket.needs_review,
    )


def _failed_job(session: Any, ticket_id: int) -> Any:
    return next((job for job in jobs.list_jobs(session, status=jobs.FAILED) if job.ticket_id == ticket_id), None)
