"""Transcripts of recorded calls: what Whisper heard, with everything needed to judge it."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Transcript


def add_transcript(
    session: Session,
    *,
    ticket_id: int,
    recording_id: int | None,
    text: str,
    empty: bool,
    segments: list[dict[str, Any]],
    model: str,
    settings: dict[str, Any],
    audio_seconds: float,
    processing_seconds: float,
) -> Transcript:
    """Store one transcript in the caller's transaction (the one completing its job)."""
    transcript = Transcript(
        ticket_id=ticket_id,
        recording_id=recording_id,
        text=text,
        empty=empty,
        segments=segments,
        model=model,
        settings=settings,
        audio_seconds=audio_seconds,
        processing_seconds=processing_seconds,
    )
    session.add(transcript)
    session.flush()
    return transcript


def latest_for_ticket(session: Session, ticket_id: int) -> Transcript | None:
    return session.scalars(
        select(Transcript).where(Transcript.ticket_id == ticket_id).order_by(Transcript.id.desc()).limit(1)
    ).first()

