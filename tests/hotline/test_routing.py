"""The auto-dispatch policy: confident phone tickets go straight to their department."""
from __future__ import annotations

from typing import Any

import pytest

from hotline.config import Settings
from hotline.routing import CLASSIFIER, route_classified_ticket, should_auto_dispatch
from hotline.tickets import apply_routing, correct_routing, register_ticket, transition
from storage.db import Database
from storage.models import Ticket


def _routing(**overrides: Any) -> dict[str, Any]:
    """A classifier result as ``Routing.to_dict()`` gives it."""
    return {
        "category": "facility",
        "department": "juweihui",
        "urgency": 3,
        "confidential": False,
        "confidence": 0.92,
        "needs_review": False,
        "runner_up": None,
        "keywords": [],
    } | overrides


def _classified(db: Database, settings: Settings, routing: dict[str, Any], channel: str = "phone",
                before: Any = None) -> tuple[Ticket, str | None]:
    """Register a ticket, let ``before`` act on it, then classify and apply the policy."""
    with db.write() as session:
        ticket = register_ticket(session, settings, channel=channel, actor="sip-agent", caller_phone="13812345678")
        if before is not None:
            before(session, ticket)
        apply_routing(session, ticket, routing, actor=CLASSIFIER.username)
        department = route_classified_ticket(session, settings, ticket, routing)
    with db.read() as session:
        ticket = session.get(Ticket, ticket.id)
        session.expunge(ticket)  # events were loaded with it (selectin)
        return ticket, department


def test_a_confident_phone_ticket_is_accepted_and_dispatched_by_the_classifier(db, settings) -> None:
    ticket, department = _classified(db, settings, _routing())
    assert department == "juweihui"
    assert (ticket.status, ticket.assignee_department) == ("dispatched", "juweihui")
    steps = [(e.action, e.actor) for e in ticket.events if e.action in ("accept", "dispatch")]
    assert steps == [("accept", "classifier"), ("dispatch", "classifier")]


@pytest.mark.parametrize(
    "routing",
    [
        _routing(needs_review=True),
        _routing(category="misconduct", department="jijian", confidential=True),
    ],
    ids=["needs-review", "confidential"],
)
def test_unsure_or_confidential_tickets_wait_in_the_review_queue(db, settings, routing) -> None:
    ticket, department = _classified(db, settings, routing)
    assert department is None
    assert (ticket.status, ticket.assignee_department) == ("registered", None)
    assert ticket.category == routing["category"]  # routed, but a person decides


def test_typed_tickets_are_routed_by_the_staff_who_typed_them(db, settings) -> None:
    ticket, department = _classified(db, settings, _routing(), channel="walk_in")
    assert department is None and ticket.status == "registered"


def test_a_ticket_a_dispatcher_already_accepted_is_left_to_them(db, settings, staff) -> None:
    def accept(session, ticket):
        transition(session, settings, ticket, "accept", staff["dispatcher"])

    ticket, department = _classified(db, settings, _routing(), before=accept)
    assert department is None
    assert (ticket.status, ticket.assignee_department) == ("accepted", None)


def test_a_dispatchers_routing_correction_wins_over_the_classifier(db, settings, staff) -> None:
    def correct(session, ticket):
        correct_routing(session, settings, ticket, staff["dispatcher"], category="noise", department="juweihui", urgency=3)

    ticket, department = _classified(db, settings, _routing(), before=correct)
    assert department is None
    assert (ticket.status, ticket.category) == ("registered", "noise")


def test_a_dispatch_the_workflow_refuses_leaves_the_ticket_whole_in_review(db, settings) -> None:
    def complain_about_the_department(session, ticket):
        ticket.subject_department = "juweihui"  # a complaint about 居委会 cannot be sent to it

    ticket, department = _classified(db, settings, _routing(), before=complain_about_the_department)
    assert department is None
    assert (ticket.status, ticket.assignee_department, ticket.accepted_at) == ("registered", None, None)
    assert [e.action for e in ticket.events] == ["register", "classify"]


def test_the_policy_reads_the_routing_and_the_ticket_it_was_applied_to() -> None:
    ticket = Ticket(channel="phone", status="registered", category="facility", department="juweihui")
    assert should_auto_dispatch(ticket, _routing())
    assert not should_auto_dispatch(ticket, _routing(department=None))
    assert not should_auto_dispatch(ticket, {"category": "facility", "department": "juweihui"})  # no verdict
