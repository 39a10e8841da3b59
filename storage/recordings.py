"""Recording rows: where each call's audio is, until when it is kept, and its legal holds.

A recording is registered while its audio sits in the local spool (status
``spooled``); the uploader moves it to the object store (``stored``); the
retention sweep deletes it once its retain-until date has passed (``purged``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, func, or_, select, update
from sqlalchemy.orm import Session

from storage import audit
from storage.audit import as_utc
from storage.db import Database
from storage.models import Recording, RecordingEvent, Ticket
from storage.objectstore import ObjectInfo, ObjectStore

SPOOLED, STORED, PURGED = "spooled", "stored", "purged"
MIN_RETENTION_YEARS = 2  # the legal minimum; the settings refuse less before anything runs
CHINA = ZoneInfo("Asia/Shanghai")


def retain_until(recorded_at: datetime, years: int) -> datetime:
    """The same calendar day and time ``years`` later in China (29 Feb → 28 Feb), as UTC.

    Rounded up to a whole second, the precision of an S3 retain-until date.
    """
    if years < MIN_RETENTION_YEARS:
        raise ValueError(f"retention of {years} years is below the minimum of {MIN_RETENTION_YEARS}")
    local = as_utc(recorded_at).astimezone(CHINA)
    try:
        later = local.replace(year=local.year + years)
    except ValueError:  # 29 February in a year that has none
        later = local.replace(year=local.year + years, day=28)
    if later.microsecond:  # object locks count whole seconds: round up, never down
        later = later.replace(microsecond=0) + timedelta(seconds=1)
    return later.astimezone(UTC)


def recording_key(ticket_number: str, recorded_at: datetime) -> str:
    """``recordings/YYYY/MM/DD/<ticket>-<uuid>.wav`` by the China date of the call."""
    day = as_utc(recorded_at).astimezone(CHINA)
    return f"recordings/{day:%Y/%m/%d}/{ticket_number}-{uuid.uuid4().hex}.wav"


def add_recording(
    session: Session,
    *,
    ticket_id: int,
    spool_path: str,
    sha256: str,
    size: int,
    duration_seconds: float | None,
    codec: str,
    recorded_at: datetime,
    retention_years: int,
) -> Recording:
    ticket_number = session.scalar(select(Ticket.number).where(Ticket.id == ticket_id))
    if ticket_number is None:
        raise ValueError(f"no ticket with id {ticket_id}")
    recording = Recording(
        ticket_id=ticket_id,
        key=recording_key(ticket_number, recorded_at),
        size=size,
        sha256=sha256.lower(),
        duration_seconds=duration_seconds,
        codec=codec,
        recorded_at=as_utc(recorded_at),
        retain_until=retain_until(recorded_at, retention_years),
        legal_hold=False,
        status=SPOOLED,
        spool_path=str(spool_path),
        upload_attempts=0,
    )
    session.add(recording)
    session.flush()
    return recording


# -- queries ---------------------------------------------------------------------------
def get(session: Session, recording_id: int) -> Recording | None:
    return session.get(Recording, recording_id)


def with_ticket(session: Session, recording_id: int) -> tuple[Recording, Ticket] | None:
    row = session.execute(
        select(Recording, Ticket).join(Ticket, Ticket.id == Recording.ticket_id).where(Recording.id == recording_id)
    ).first()
    return (row[0], row[1]) if row is not None else None


def for_ticket(session: Session, ticket_id: int) -> Sequence[Recording]:
    return session.scalars(
        select(Recording).where(Recording.ticket_id == ticket_id).order_by(Recording.recorded_at, Recording.id)
    ).all()


def list_recordings(
    session: Session, *, ticket_number: str | None = None, status: str | None = None, limit: int = 50
) -> Sequence[tuple[Recording, str]]:
    """Newest first, each with its ticket number."""
    query = select(Recording, Ticket.number).join(Ticket, Ticket.id == Recording.ticket_id)
    if ticket_number:
        query = query.where(Ticket.number == ticket_number)
    if status:
        query = query.where(Recording.status == status)
    rows = session.execute(query.order_by(Recording.recorded_at.desc(), Recording.id.desc()).limit(limit)).all()
    return [(recording, number) for recording, number in rows]


def count(session: Session, *, status: str) -> int:
    return session.scalar(select(func.count()).select_from(Recording).where(Recording.status == status)) or 0


def events(session: Session, recording_id: int) -> Sequence[RecordingEvent]:
    return session.scalars(
        select(RecordingEvent).where(RecordingEvent.recording_id == recording_id).order_by(RecordingEvent.id)
    ).all()


def expired(session: Session, now: datetime) -> Sequence[Recording]:
    """Stored recordings past their retain-until date and not on hold: what the sweep may delete."""
    return session.scalars(
        select(Recording)
        .where(Recording.status == STORED, Recording.retain_until <= as_utc(now), Recording.legal_hold.is_(False))
        .order_by(Recording.retain_until, Recording.id)
    ).all()


# -- the upload queue ---------------------------------------------------------------------
# Core statements on the session's connection: the uploader runs these for every call.
_PENDING_COLUMNS = (
    Recording.id,
    Recording.key,
    Recording.spool_path,
    Recording.sha256,
    Recording.size,
    Recording.retain_until,
    Recording.legal_hold,
    Recording.upload_attempts,
)


def claim_pending(session: Session, *, now: datetime, limit: int, claim_seconds: float) -> list[Row[Any]]:
    """Spooled recordings due for an upload, claimed for ``claim_seconds`` so no other uploader takes them.

    Rows of what the uploader needs; ``upload_attempts`` already counts this attempt.
    """
    connection = session.connection()
    due = connection.execute(
        select(Recording.id)
        .where(
            Recording.status == SPOOLED,
            or_(Recording.next_upload_at.is_(None), Recording.next_upload_at <= as_utc(now)),
        )
        .order_by(Recording.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises
    ).scalars()
    ids = list(due)
    if not ids:
        return []
    claimed = connection.execute(
        update(Recording)
        .where(Recording.id.in_(ids))
        .values(
            upload_attempts=Recording.upload_attempts + 1,
            next_upload_at=as_utc(now) + timedelta(seconds=claim_seconds),
        )
        .returning(*_PENDING_COLUMNS)
    ).all()
    return sorted(claimed, key=lambda row: row.id)


def mark_stored(session: Session, recording_id: int, info: ObjectInfo, *, backend: str, now: datetime) -> bool:
    """The recording is in the store as ``info`` says; returns whether it is (by now) on legal hold."""
    return (
        session.connection()
        .execute(
            update(Recording)
            .where(Recording.id == recording_id)
            .values(
                status=STORED,
                version_id=info.version_id,
                backend=backend,
                uploaded_at=as_utc(now),
                spool_path=None,
                next_upload_at=None,
                last_upload_error=None,
            )
            .returning(Recording.legal_hold)
        )
        .scalar_one()
    )


def mark_upload_failed(session: Session, recording_id: int, *, error: str, retry_at: datetime) -> None:
    session.connection().execute(
        update(Recording)
        .where(Recording.id == recording_id)
        .values(last_upload_error=error[:2000], next_upload_at=as_utc(retry_at))
    )


# -- legal hold ---------------------------------------------------------------------------
class RecordingNotFound(LookupError):
    pass


def set_legal_hold(
    db: Database, store: ObjectStore, recording_id: int, *, on: bool, actor: str, reason: str
) -> Recording:
    """Place (``on``) or release a legal hold: an event with who and why, and the store's own hold.

    The store is changed first: if recording the event then fails, the object is
    at worst held while the database says it is not — never the other way round.
    """
    if not reason.strip():
        raise ValueError("a legal hold or release needs a reason")
    with db.read() as session:
        found = with_ticket(session, recording_id)
    if found is None:
        raise RecordingNotFound(recording_id)
    recording, ticket = found
    applied = recording.status == STORED
    if applied:
        store.set_legal_hold(recording.key, recording.version_id, on)
    action = "hold" if on else "release"
    with db.write() as session:
        recording = session.get_one(Recording, recording_id)
        recording.legal_hold = on
        session.add(RecordingEvent(recording_id=recording_id, action=action, actor=actor, reason=reason.strip()))
        audit.append(
            session,
            actor=actor,
            action=action,
            result="done",
            recording_id=recording_id,
            ticket_number=ticket.number,
            detail=reason.strip(),
        )
    if not applied and recording.status == STORED:  # uploaded meanwhile, without this change
        store.set_legal_hold(recording.key, recording.version_id, on)
    return recording
