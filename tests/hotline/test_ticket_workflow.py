from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from ticket_paths import CLOSE_REVIEW, PATHS, VALID_PARAMS

from hotline import tickets
from hotline.config import Settings
from hotline.workflow import (
    ACTIONS,
    STATUSES,
    TRANSITIONS,
    IllegalTransition,
    InvalidParams,
    next_status,
)
from storage import tickets as store
from storage.db import Database
from storage.models import Ticket, TicketEvent, User

LEGAL = [(state, action) for action, moves in TRANSITIONS.items() for state in moves]
ILLEGAL = [(state, action) for state in STATUSES for action in ACTIONS if state not in TRANSITIONS[action]]


def test_every_state_is_reachable_and_the_table_is_complete() -> None:
    assert set(PATHS) == set(STATUSES)
    assert len(LEGAL) + len(ILLEGAL) == len(STATUSES) * len(ACTIONS)


@pytest.mark.parametrize(("state", "action"), LEGAL)
def test_legal_transition(
    state: str, action: str, make_ticket: Callable[..., Ticket], db: Database, settings: Settings,
    staff: dict[str, User],
) -> None:
    number = make_ticket(state).number
    with db.write() as session:
        ticket = store.get_by_number(session, number)
        tickets.transition(session, settings, ticket, action, staff["supervisor"], **VALID_PARAMS[action])
    with db.read() as session:
        ticket = store.get_by_number(session, number)
        last = store.history(session, ticket.id)[-1]
    assert ticket.status == TRANSITIONS[action][state]
    assert (last.action, last.from_status, last.to_status, last.actor) == (
        action, state, ticket.status, staff["supervisor"].username,
    )


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
def test_illegal_transition_is_refused_and_changes_nothing(
    state: str, action: str, make_ticket: Callable[..., Ticket], db: Database, settings: Settings,
    staff: dict[str, User],
) -> None:
    number = make_ticket(state).number
    with pytest.raises(IllegalTransition) as refused, db.write() as session:
        ticket = store.get_by_number(session, number)
        tickets.transition(session, settings, ticket, action, staff["supervisor"], **VALID_PARAMS[action])
    assert str(refused.value).startswith(f"cannot {action} a ticket that is {state}; allowed from {state}:")
    with db.read() as session:
        ticket = store.get_by_number(session, number)
        assert ticket.status == state
        assert len(store.history(session, ticket.id)) == 1 + len(PATHS[state])


def test_illegal_message_names_the_allowed_actions() -> None:
    with pytest.raises(IllegalTransition, match="cannot close a ticket that is registered; "
                                                "allowed from registered: accept, reject, transfer"):
        next_status("registered", "close")
    with pytest.raises(IllegalTransition, match=r"allowed from archived: nothing \(final state\)"):
        next_status("archived", "accept")


@pytest.mark.parametrize(
    ("action", "params", "message"),
    [
        ("reject", {"reason": "不属于受理范围"}, "told_via: Field required"),
        ("reject", {"reason": "  ", "told_via": "phone"}, "reason: String should have at least 1 character"),
        ("transfer", {}, "body: Field required"),
        ("accept", {"surprise": 1}, "surprise: Extra inputs are not permitted"),
    ],
)
def test_bad_parameters_are_refused_with_the_field_named(
    action: str, params: dict, message: str, make_ticket: Callable[..., Ticket], db: Database,
    settings: Settings, staff: dict[str, User],
) -> None:
    number = make_ticket().number
    with pytest.raises(InvalidParams, match=message), db.write() as session:
        tickets.transition(session, settings, store.get_by_number(session, number), action, staff["supervisor"], **params)


def test_follow_up_satisfaction_must_be_1_to_5(
    make_ticket: Callable[..., Ticket], db: Database, settings: Settings, staff: dict[str, User]
) -> None:
    number = make_ticket("replied").number
    with (
        pytest.raises(InvalidParams, match="satisfaction: Input should be less than or equal to 5"),
        db.write() as session,
    ):
        ticket = store.get_by_number(session, number)
        tickets.transition(session, settings, ticket, "follow_up", staff["dispatcher"], satisfaction=6)


def test_a_no_in_the_closing_review_blocks_closing_and_is_recorded(
    make_ticket: Callable[..., Ticket], db: Database, settings: Settings, staff: dict[str, User]
) -> None:
    number = make_ticket("followed_up").number
    review = dict(CLOSE_REVIEW, met_complainant=False, reason="尚未与投诉人见面")
    with pytest.raises(tickets.ClosingBlocked, match=r"closing review failed \(met_complainant\): 尚未与投诉人见面"):
        tickets.run_transition(db, settings, number, staff["supervisor"], "close", review)
    with db.read() as session:
        ticket = store.get_by_number(session, number)
        last = store.history(session, ticket.id)[-1]
    assert ticket.status == "followed_up"
    assert last.action == "close_review" and last.data["failed"] == ["met_complainant"]
    assert last.note == "尚未与投诉人见面"


def test_every_closing_criterion_must_be_answered(
    make_ticket: Callable[..., Ticket], db: Database, settings: Settings, staff: dict[str, User]
) -> None:
    number = make_ticket("followed_up").number
    partial = {k: v for k, v in CLOSE_REVIEW.items() if k != "procedures_complete"}
    with pytest.raises(InvalidParams, match="procedures_complete: Field required"):
        tickets.run_transition(db, settings, number, staff["supervisor"], "close", partial)
    with pytest.raises(InvalidParams, match="needs a reason: facts_clear"):
        tickets.run_transition(db, settings, number, staff["supervisor"], "close", dict(CLOSE_REVIEW, facts_clear=False))


def test_object_returns_the_ticket_to_the_dispatch_queue(
    make_ticket: Callable[..., Ticket], db: Database, settings: Settings, staff: dict[str, User]
) -> None:
    number = make_ticket("dispatched").number
    tickets.run_transition(db, settings, number, staff["handler"], "object", {"reason": "不属本部门职责"})
    with db.read() as session:
        ticket = store.get_by_number(session, number)
        queue, _ = tickets.review_queue(session, staff["dispatcher"])
    assert ticket.status == "accepted" and ticket.assignee_department is None
    assert number in [t.number for t in queue]


def test_first_contact_owner_is_the_registering_staff_member(
    make_ticket: Callable[..., Ticket], db: Database, settings: Settings, staff: dict[str, User]
) -> None:
    registered = make_ticket()
    assert registered.owner == tickets.responsible(registered) == staff["dispatcher"].username
    dispatched = make_ticket("dispatched")
    assert tickets.responsible(dispatched) == "juweihui"
    with db.write() as session:
        phone = tickets.register_ticket(session, settings, channel="phone", actor="sip")
        assert phone.owner is None
        tickets.transition(session, settings, phone, "accept", staff["dispatcher"])
        assert phone.owner == staff["dispatcher"].username


def test_confidential_tickets_go_only_to_the_discipline_department(
    make_ticket: Callable[..., Ticket], db: Database, settings: Settings, staff: dict[str, User]
) -> None:
    number = make_ticket("accepted", confidential=True, department="jijian", subject_department="jiedao").number
    for department in ("jiedao", "juweihui"):
        with pytest.raises(InvalidParams, match="only be dispatched to jijian"):
            tickets.run_transition(db, settings, number, staff["supervisor"], "dispatch", {"department": department})
    tickets.run_transition(db, settings, number, staff["supervisor"], "dispatch", {"department": "jijian"})


def test_a_ticket_is_never_dispatched_to_the_unit_it_complains_about(
    make_ticket: Callable[..., Ticket], db: Database, settings: Settings, staff: dict[str, User]
) -> None:
    number = make_ticket("accepted", subject_department="wuye").number
    with pytest.raises(InvalidParams, match="unit it complains about"):
        tickets.run_transition(db, settings, number, staff["dispatcher"], "dispatch", {"department": "wuye"})


def test_appeal_only_within_the_window(
    make_ticket: Callable[..., Ticket], db: Database, settings: Settings, staff: dict[str, User]
) -> None:
    replied_at = datetime(2026, 11, 2, 3, tzinfo=UTC)
    number = make_ticket("replied", now=replied_at).number
    late = replied_at + timedelta(days=settings.deadline.appeal_window_days + 1)
    with pytest.raises(IllegalTransition, match="appeal window ended on 2026-11-17"), db.write() as session:
        ticket = store.get_by_number(session, number)
        tickets.transition(session, settings, ticket, "appeal", staff["dispatcher"], now=late, reason="不服")
    with db.write() as session:
        ticket = store.get_by_number(session, number)
        tickets.transition(session, settings, ticket, "appeal", staff["dispatcher"], now=late - timedelta(days=1),
                           reason="不服")
        assert ticket.status == "reinvestigating"
        assert ticket.stage_deadline.isoformat() == "2026-11-24"  # 5 working days after Tue 2026-11-17


def test_appeal_ends_again_in_replied_and_closed(
    make_ticket: Callable[..., Ticket], db: Database, settings: Settings, staff: dict[str, User]
) -> None:
    number = make_ticket("reinvestigating").number
    for action, user in (("handle", "handler"), ("reply", "dispatcher"), ("follow_up", "dispatcher"), ("close", "supervisor")):
        tickets.run_transition(db, settings, number, staff[user], action, VALID_PARAMS[action])
    with db.read() as session:
        ticket = store.get_by_number(session, number)
        actions = [e.action for e in store.history(session, ticket.id)]
    assert ticket.status == "closed"
    assert actions.count("reply") == 2 and actions.count("appeal") == 1


def test_history_is_append_only(make_ticket: Callable[..., Ticket], db: Database) -> None:
    number = make_ticket("closed").number
    with db.read() as session:
        ticket = store.get_by_number(session, number)
        events = store.history(session, ticket.id)
        ids = [e.id for e in events]
        total = session.scalar(select(func.count()).select_from(TicketEvent))
    assert ids == sorted(ids) and total == len(ids)
    assert [e.action for e in events] == ["register", *PATHS["closed"]]
