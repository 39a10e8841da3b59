"""Database models. The schema itself is created only by Alembic migrations."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def _now_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))  # dispatcher|supervisor|handler|auditor|admin
    department: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _now_column()


class RecordingGrant(Base):
    """Authorisation of a supervisor to retrieve recordings: all, or one department's."""

    __tablename__ = "recording_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    scope: Mapped[str] = mapped_column(String(32))  # "all" or a department code
    granted_by: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime] = _now_column()
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TicketSequence(Base):
    """Last ticket sequence handed out per China-time day; numbers are never reused."""

    __tablename__ = "ticket_sequences"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    channel: Mapped[str] = mapped_column(String(16))  # phone|walk_in|letter|web|email
    status: Mapped[str] = mapped_column(String(24), index=True)
    caller_name: Mapped[str | None] = mapped_column(String(128))
    caller_phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(256))
    subject: Mapped[str | None] = mapped_column(String(256))  # 被投诉人/单位
    subject_department: Mapped[str | None] = mapped_column(String(32))  # unit of the accused
    content: Mapped[str] = mapped_column(Text, default="")
    demands: Mapped[str | None] = mapped_column(Text)  # 诉求
    category: Mapped[str | None] = mapped_column(String(32), index=True)
    department: Mapped[str | None] = mapped_column(String(32), index=True)
    urgency: Mapped[int] = mapped_column(Integer, default=3)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=True)
    confidence: Mapped[float | None] = mapped_column(Float)
    classification: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    complexity: Mapped[str] = mapped_column(String(16), default="general")  # general|complex|multi
    assignee_department: Mapped[str | None] = mapped_column(String(32), index=True)
    owner: Mapped[str | None] = mapped_column(String(64))  # 首诉负责制: registering staff
    created_by: Mapped[str] = mapped_column(String(64))
    interrupted: Mapped[bool] = mapped_column(Boolean, default=False)
    stage_deadline: Mapped[date | None] = mapped_column(Date, index=True)
    close_deadline: Mapped[date | None] = mapped_column(Date)
    appeal_deadline: Mapped[date | None] = mapped_column(Date)
    extended_until: Mapped[date | None] = mapped_column(Date)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = _now_column()
    updated_at: Mapped[datetime] = _now_column()
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", lazy="selectin"
    )


class TicketEvent(Base):
    """Append-only history: every change of a ticket is a new row, never an update."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = _now_column()
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    filename: Mapped[str] = mapped_column(String(256))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(512))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = _now_column()


class Reminder(Base):
    """A reminder (催办) or escalation (督办); unique so the periodic job is idempotent."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("ticket_id", "kind", "stage", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # remind|escalate
    stage: Mapped[str] = mapped_column(String(24))
    deadline: Mapped[date] = mapped_column(Date)
    department: Mapped[str | None] = mapped_column(String(32))
    handler: Mapped[str | None] = mapped_column(String(64))
    progress: Mapped[str | None] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer, default=1)
    sent_at: Mapped[datetime] = _now_column()


class RoutingCorrection(Base):
    """A dispatcher's correction of the classifier, kept with the original prediction."""

    __tablename__ = "routing_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    predicted: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    category: Mapped[str] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(String(32))
    urgency: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = _now_column()


class Call(Base):
    """One phone call as the SIP agent saw it."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(256), unique=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    caller_number: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    menu_path: Mapped[str | None] = mapped_column(String(128))
    hangup_cause: Mapped[str | None] = mapped_column(String(64))
    recording_sha256: Mapped[str | None] = mapped_column(String(64))
    interrupted: Mapped[bool] = mapped_column(Boolean, default=False)


class Recording(Base):
    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    key: Mapped[str] = mapped_column(String(512), unique=True)
    version_id: Mapped[str | None] = mapped_column(String(256))
    backend: Mapped[str | None] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    codec: Mapped[str] = mapped_column(String(32), default="pcm_s16le")
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    retain_until: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="spooled")  # spooled|stored|purged
    spool_path: Mapped[str | None] = mapped_column(String(512))
    upload_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_upload_error: Mapped[str | None] = mapped_column(Text)
    next_upload_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # claim/back-off
    uploaded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _now_column()


class RecordingEvent(Base):
    """Legal hold and release, with who and why."""

    __tablename__ = "recording_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # hold|release
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = _now_column()


class PurgeRecord(Base):
    __tablename__ = "purge_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"), unique=True)
    key: Mapped[str] = mapped_column(String(512))
    version_id: Mapped[str | None] = mapped_column(String(256))
    sha256: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[str] = mapped_column(String(64))
    purged_at: Mapped[datetime] = _now_column()


class AuditEntry(Base):
    """Append-only, hash-chained log of every recording access attempt."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32))
    recording_id: Mapped[int | None] = mapped_column(Integer, index=True)
    ticket_number: Mapped[str | None] = mapped_column(String(16))
    purpose: Mapped[str | None] = mapped_column(String(32))
    result: Mapped[str] = mapped_column(String(32))
    client: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditAnchor(Base):
    """The last verified head of the audit chain, so a cut-off tail is noticed."""

    __tablename__ = "audit_anchors"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = _now_column()


class Job(Base):
    """A durable unit of background work (transcription), leased by one worker at a time."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id"))
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued|running|done|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    leased_by: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _now_column()
    updated_at: Mapped[datetime] = _now_column()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Transcript(Base):
    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id"))
    text: Mapped[str] = mapped_column(Text)
    empty: Mapped[bool] = mapped_column(Boolean, default=False)
    segments: Mapped[list[Any]] = mapped_column(JSON)
    model: Mapped[str] = mapped_column(String(256))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    audio_seconds: Mapped[float] = mapped_column(Float)
    processing_seconds: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = _now_column()
