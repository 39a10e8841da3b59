"""The audit log: a linear hash chain that shows any change, and a table that refuses edits."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from concurrently import run_concurrently
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from storage import audit
from storage.audit import AuditQuery
from storage.db import Database
from storage.models import AuditEntry

APPEND_ONLY = ("audit_log", "audit_anchors", "ticket_events", "recording_events", "purge_records")


def _log(db: Database, count: int, actor: str = "sup1") -> None:
    for index in range(count):
        with db.write() as session:
            audit.append(
                session,
                actor=actor,
                action="listen",
                result="granted",
                recording_id=index,
                purpose="投诉处理",
                client="127.0.0.1",
                ticket_number="202611300001",
            )


def _tamper(db: Database, *statements: str) -> None:
    """TEST ONLY — play an attacker with direct database access, past the append-only triggers.

    SQLite: the triggers are dropped, on this test's private copy of the database.
    PostgreSQL: the schema is shared by the whole run, so the triggers are not dropped;
    instead this one connection skips them (``session_replication_role = replica``, superuser).
    """
    with db.engine.begin() as connection:
        if db.is_sqlite:
            for table in APPEND_ONLY:
                for operation in ("update", "delete"):
                    connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_{operation}")
        else:
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for statement in statements:
            connection.execute(text(statement))


def _kinds(check: audit.ChainCheck) -> set[str]:
    return {problem.kind for problem in check.problems}


def test_entries_form_a_verified_chain(db: Database) -> None:
    _log(db, 5)
    check = audit.verify_chain(db)
    assert check.ok and check.entries == 5 and check.head_id == 5 and check.anchored
    with db.read() as session:
        entries = session.query(AuditEntry).order_by(AuditEntry.id).all()
    assert entries[0].prev_hash == audit.GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(entries, entries[1:], strict=False))
    assert audit.verify_chain(db).anchored is False  # head unchanged: nothing new to anchor


def test_concurrent_writers_keep_the_chain_linear(db: Database) -> None:
    run_concurrently(*(partial(_log, db, 15, actor=f"sup{i}") for i in range(6)))

    check = audit.verify_chain(db)
    assert check.ok, check.problems
    assert check.entries == 90 and check.head_id == 90


@pytest.mark.parametrize("table", ["audit_log", "ticket_events"])
def test_append_only_tables_refuse_update_and_delete(db: Database, ticket_factory, table: str) -> None:
    if table == "audit_log":
        _log(db, 1)
    else:
        ticket = ticket_factory()
        with db.write() as session:
            session.execute(
                text("INSERT INTO ticket_events (ticket_id, at, actor, action) VALUES (:t, :at, 'x', 'register')"),
                {"t": ticket.id, "at": datetime.now(UTC)},
            )
    for statement in (f"UPDATE {table} SET actor = 'forger'", f"DELETE FROM {table}"):
        with pytest.raises(DatabaseError, match="append-only"):
            with db.write() as session:
                session.execute(text(statement))
    with db.read() as session:
        assert session.execute(text(f"SELECT actor FROM {table}")).scalars().all() in (["sup1"], ["x"])


def test_a_changed_entry_is_detected(db: Database) -> None:
    _log(db, 5)
    _tamper(db, "UPDATE audit_log SET result = 'refused' WHERE id = 3")
    check = audit.verify_chain(db)
    assert not check.ok
    assert [(p.entry_id, p.kind) for p in check.problems] == [(3, "changed")]
    assert not check.anchored


def test_a_removed_entry_is_detected(db: Database) -> None:
    _log(db, 5)
    _tamper(db, "DELETE FROM audit_log WHERE id = 2")
    check = audit.verify_chain(db)
    assert [(p.entry_id, p.kind) for p in check.problems] == [(3, "removed")]


def test_an_inserted_entry_is_detected(db: Database) -> None:
    _log(db, 4)
    with db.read() as session:
        second = session.get_one(AuditEntry, 2)
    # A forged grant chained onto entry 2 as if it had happened then, given the next free id.
    values = {
        "id": 5,
        "at": second.at,
        "actor": "intruder",
        "action": "listen",
        "recording_id": 1,
        "ticket_number": None,
        "purpose": "投诉处理",
        "result": "granted",
        "client": None,
        "detail": None,
    }
    forged = audit.chain_hash(second.hash, values)
    _tamper(
        db,
        "INSERT INTO audit_log (id, at, actor, action, recording_id, purpose, result, prev_hash, hash) "
        f"VALUES (5, '{audit.as_utc(second.at).isoformat()}', 'intruder', 'listen', 1, '投诉处理', 'granted', "
        f"'{second.hash}', '{forged}')",
    )
    check = audit.verify_chain(db)
    assert (5, "inserted") in [(p.entry_id, p.kind) for p in check.problems]


def test_a_cut_off_tail_is_detected_by_the_anchor(db: Database) -> None:
    _log(db, 6)
    assert audit.verify_chain(db).anchored  # anchors entry 6
    _tamper(db, "DELETE FROM audit_log WHERE id >= 5")
    check = audit.verify_chain(db)
    assert _kinds(check) == {"truncated"}
    assert check.problems[0].entry_id == 6


def test_search_and_export(db: Database) -> None:
    _log(db, 3, actor="sup1")
    _log(db, 2, actor="sup2")
    with db.read() as session:
        page, total = audit.search(session, AuditQuery(actor="sup2"), limit=1)
        assert total == 2 and [e.id for e in page] == [5]
        later = audit.search(session, AuditQuery(since=datetime.now(UTC) + timedelta(minutes=1)))
        assert later == ([], 0)
        rows = list(
            csv.DictReader(io.StringIO("".join(audit.export_lines(audit.iter_entries(session, AuditQuery()), "csv"))))
        )
        exported = json.loads(
            "".join(audit.export_lines(audit.iter_entries(session, AuditQuery(actor="sup1")), "json"))
        )
    assert [row["id"] for row in rows] == ["1", "2", "3", "4", "5"]
    assert rows[4]["prev_hash"] == rows[3]["hash"] and rows[0]["purpose"] == "投诉处理"
    assert [entry["actor"] for entry in exported] == ["sup1"] * 3
    # an exported entry can be re-verified outside the application
    first = exported[0]
    values = first | {"at": datetime.fromisoformat(first["at"].replace("Z", "+00:00"))}
    assert audit.chain_hash(first["prev_hash"], values) == first["hash"]
