from __future__ import annotations

import threading
from datetime import UTC, date, datetime

from concurrently import run_concurrently
from sqlalchemy import select

from storage import tickets as store
from storage.db import Database
from storage.models import Ticket, TicketEvent, TicketSequence


def _ticket(session, number: str, **fields) -> Ticket:
    fields.setdefault("content", "")
    ticket = Ticket(number=number, channel="web", status="registered", created_by="clerk", **fields)
    session.add(ticket)
    session.flush()
    return ticket


def test_numbers_are_daily_sequences_never_reused(db: Database) -> None:
    with db.write() as session:
        first = [store.next_number(session, date(2026, 10, 8)) for _ in range(3)]
        other_day = store.next_number(session, date(2026, 10, 9))
    with db.write() as session:
        later = store.next_number(session, date(2026, 10, 8))
    assert first == ["202610080001", "202610080002", "202610080003"]
    assert other_day == "202610090001" and later == "202610080004"


def test_concurrent_numbering_hands_out_distinct_numbers(db: Database) -> None:
    numbers: list[str] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(5):
            with db.write() as session:
                number = store.next_number(session, date(2026, 10, 8))
            with lock:
                numbers.append(number)

    run_concurrently(take, take, take, take)
    assert sorted(numbers) == [f"20261008{n:04d}" for n in range(1, 21)]
    with db.read() as session:
        assert session.get(TicketSequence, "20261008").last == 20


def test_events_keep_their_order_and_time(db: Database) -> None:
    at = datetime(2026, 10, 8, 1, 2, 3, tzinfo=UTC)
    with db.write() as session:
        ticket = _ticket(session, "202610080001")
        store.add_event(session, ticket, actor="clerk", action="register", to_status="registered", at=at)
        store.add_event(session, ticket, actor="boss", action="accept", from_status="registered",
                        to_status="accepted", note="ok", data={"k": 1})
    with db.read() as session:
        events = store.history(session, ticket.id)
    assert [(e.action, e.actor, e.note, e.data) for e in events] == [
        ("register", "clerk", None, None), ("accept", "boss", "ok", {"k": 1})]
    assert events[0].at.replace(tzinfo=UTC) == at and events[1].at is not None


def test_list_filters_text_search_and_pagination(db: Database) -> None:
    with db.write() as session:
        _ticket(session, "202610080001", category="noise", department="juweihui", urgency=2,
                content="深夜装修噪音", stage_deadline=date(2026, 10, 9))
        _ticket(session, "202610080002", category="sanitation", department="juweihui", assignee_department="wuye",
                content="垃圾100%没人管", needs_review=False, stage_deadline=date(2026, 10, 20))
        _ticket(session, "202610080003", category="noise", department="wuye", content="广场舞_音响",
                address="幸福小区")

    def numbers(**criteria) -> list[str]:
        with db.read() as session:
            page, _ = store.list_tickets(session, store.TicketFilter(**criteria))
        return sorted(t.number for t in page)

    assert numbers(category="noise") == ["202610080001", "202610080003"]
    assert numbers(department="wuye") == ["202610080002", "202610080003"]  # assignee wins over routing
    assert numbers(urgency=2) == ["202610080001"]
    assert numbers(needs_review=False) == ["202610080002"]
    assert numbers(deadline_before=date(2026, 10, 10)) == ["202610080001"]
    assert numbers(deadline_until=date(2026, 10, 20)) == ["202610080001", "202610080002"]
    assert numbers(text="100%") == ["202610080002"]
    assert numbers(text="_") == ["202610080003"]  # LIKE wildcards are literal
    assert numbers(text="幸福") == ["202610080003"]
    assert numbers(text="0800") == ["202610080001", "202610080002", "202610080003"]
    assert numbers(where=[Ticket.number != "202610080001"], statuses=["registered"]) == [
        "202610080002", "202610080003"]
    with db.read() as session:
        page, total = store.list_tickets(session, store.TicketFilter(), limit=2, offset=1)
    assert total == 3 and [t.number for t in page] == ["202610080002", "202610080001"]


def test_attachments_and_routing_corrections(db: Database) -> None:
    with db.write() as session:
        ticket = _ticket(session, "202610080001")
        attachment = store.add_attachment(session, ticket, filename="a.png", content_type="image/png", size=3,
                                          sha256="0" * 64, path="x/a.png", uploaded_by="clerk")
        assert not store.has_routing_correction(session, ticket.id)
        store.add_routing_correction(session, ticket, actor="clerk", text="", predicted=None, category="noise",
                                     department="juweihui", urgency=3)
    with db.read() as session:
        assert store.has_routing_correction(session, ticket.id)
        assert [a.id for a in store.attachments(session, ticket.id)] == [attachment.id]
        assert store.get_attachment(session, ticket.id, attachment.id).filename == "a.png"
        assert store.get_attachment(session, ticket.id + 1, attachment.id) is None
        assert session.scalars(select(TicketEvent)).all() == []
