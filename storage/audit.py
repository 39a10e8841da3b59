"""The audit log: append-only and hash-chained.

Each entry's hash is ``sha256(prev_hash + canonical entry)``, the canonical entry
including its id, so any changed, removed, inserted or renumbered row breaks the
chain. Entries are appended under a lock (SQLite: the ``BEGIN IMMEDIATE`` of
``db.write()``; PostgreSQL: a transaction-level advisory lock), so the chain is
linear however many processes write. ``verify_chain`` also checks the last
verified head (``AuditAnchor``) still exists, so a cut-off tail is noticed.
Database triggers (migration 0002) refuse UPDATE and DELETE on the table.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Select, func, insert, select, text
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import AuditAnchor, AuditEntry

GENESIS = "0" * 64
_PG_CHAIN_LOCK = 0x6175_6469_74  # "audit": one advisory lock id for the whole chain
_HASHED_FIELDS = (
    "id", "at", "actor", "action", "recording_id", "ticket_number", "purpose", "result", "client", "detail",
)  # fmt: skip
EXPORT_FIELDS = (*_HASHED_FIELDS, "prev_hash", "hash")


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _timestamp(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(values: dict[str, Any]) -> str:
    """The entry as hashed: fixed fields, sorted keys, compact JSON, UTC microsecond time."""
    return json.dumps(
        {name: _timestamp(values[name]) if name == "at" else values[name] for name in _HASHED_FIELDS},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def chain_hash(prev_hash: str, values: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(values)).encode("utf-8")).hexdigest()


def _values(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in _HASHED_FIELDS}


_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_HEAD = select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
_INSERT = insert(AuditEntry)


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    result: str,
    recording_id: int | None = None,
    ticket_number: str | None = None,
    purpose: str | None = None,
    client: str | None = None,
    detail: str | None = None,
    at: datetime | None = None,
) -> int:
    """Add one entry at the head of the chain and return its id.

    ``session`` must be a ``db.write()`` transaction: the entry is committed with it.
    """
    connection = session.connection()  # Core statements: this runs on every recording access
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK, {"key": _PG_CHAIN_LOCK})
    head = connection.execute(_HEAD).first()
    prev_id, prev_hash = head if head is not None else (0, GENESIS)
    values: dict[str, Any] = {
        "id": prev_id + 1,  # explicit: a second writer racing for the same id fails instead of forking
        "at": as_utc(at or datetime.now(UTC)),
        "actor": actor,
        "action": action,
        "recording_id": recording_id,
        "ticket_number": ticket_number,
        "purpose": purpose,
        "result": result,
        "client": client,
        "detail": detail,
    }
    connection.execute(_INSERT, values | {"prev_hash": prev_hash, "hash": chain_hash(prev_hash, values)})
    return values["id"]


# -- verification ------------------------------------------------------------------
@dataclass
class ChainProblem:
    entry_id: int | None
    kind: Literal["changed", "removed", "inserted", "truncated"]
    message: str


@dataclass
class ChainCheck:
    entries: int = 0
    head_id: int | None = None
    head_hash: str | None = None
    anchor_id: int | None = None  # the entry the previous anchor pointed at
    anchored: bool = False  # this check anchored the head
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}


def verify_chain(db: Database, *, anchor: bool = True) -> ChainCheck:
    """Recompute the whole chain; when intact and ``anchor``, remember its head."""
    check = ChainCheck()
    with db.read() as session:
        last_anchor = session.scalars(select(AuditAnchor).order_by(AuditAnchor.id.desc()).limit(1)).first()
        check.anchor_id = last_anchor.entry_id if last_anchor else None
        anchor_seen = False
        prev_id, prev_hash = 0, GENESIS
        for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)):
            check.entries += 1
            if chain_hash(entry.prev_hash, _values(entry)) != entry.hash:
                check.problems.append(ChainProblem(entry.id, "changed", f"entry {entry.id} was altered"))
            if entry.prev_hash != prev_hash:
                if entry.id > prev_id + 1:
                    message = f"entries {prev_id + 1}..{entry.id - 1} were removed"
                    check.problems.append(ChainProblem(entry.id, "removed", message))
                else:
                    message = f"entry {entry.id} does not follow entry {prev_id}: an entry was inserted or replaced"
                    check.problems.append(ChainProblem(entry.id, "inserted", message))
            if last_anchor is not None and entry.id == last_anchor.entry_id:
                anchor_seen = True
                if entry.hash != last_anchor.hash:
                    message = f"anchored entry {entry.id} no longer has its anchored hash"
                    check.problems.append(ChainProblem(entry.id, "changed", message))
            prev_id, prev_hash = entry.id, entry.hash
        check.head_id, check.head_hash = (prev_id, prev_hash) if check.entries else (None, None)
        if last_anchor is not None and not anchor_seen:
            message = f"anchored entry {last_anchor.entry_id} is gone: the log was cut short"
            check.problems.append(ChainProblem(last_anchor.entry_id, "truncated", message))
    if anchor and check.ok and check.head_id is not None and check.head_id != check.anchor_id:
        with db.write() as session:
            session.add(AuditAnchor(entry_id=check.head_id, hash=check.head_hash))
        check.anchored = True
    return check


# -- reading and export ------------------------------------------------------------
@dataclass
class AuditQuery:
    """Search criteria; ``None`` does not filter. ``until`` is exclusive."""

    actor: str | None = None
    action: str | None = None
    result: str | None = None
    recording_id: int | None = None
    ticket_number: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def select(self) -> Select[tuple[AuditEntry]]:
        query = select(AuditEntry)
        for column, value in (
            (AuditEntry.actor, self.actor),
            (AuditEntry.action, self.action),
            (AuditEntry.result, self.result),
            (AuditEntry.recording_id, self.recording_id),
            (AuditEntry.ticket_number, self.ticket_number),
        ):
            if value is not None:
                query = query.where(column == value)
        if self.since is not None:
            query = query.where(AuditEntry.at >= as_utc(self.since))
        if self.until is not None:
            query = query.where(AuditEntry.at < as_utc(self.until))
        return query


def search(session: Session, query: AuditQuery, *, limit: int = 100, offset: int = 0) -> tuple[list[AuditEntry], int]:
    """One page of matching entries, newest first, and the total count."""
    matching = query.select()
    total = session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    page = session.scalars(matching.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)).all()
    return list(page), total


def iter_entries(session: Session, query: AuditQuery) -> Iterator[AuditEntry]:
    """Every matching entry in chain order, streamed."""
    yield from session.scalars(query.select().order_by(AuditEntry.id).execution_options(yield_per=1000))


def entry_dict(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in EXPORT_FIELDS} | {"at": _timestamp(entry.at)}


def export_lines(entries: Iterable[AuditEntry], fmt: Literal["csv", "json"]) -> Iterator[str]:
    """The entries as CSV (header first) or as one JSON array, piece by piece for streaming."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS)
        writer.writeheader()
        for entry in entries:
            writer.writerow(entry_dict(entry))
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()
        return
    if fmt == "json":
        yield "["
        for index, entry in enumerate(entries):
            yield ("," if index else "") + "\n" + json.dumps(entry_dict(entry), ensure_ascii=False)
        yield "\n]\n"
        return
    raise ValueError(f"unknown export format {fmt!r}")
