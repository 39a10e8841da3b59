"""Calls into the database: ticket, call row, recording and transcription job together, once per call."""
from __future__ import annotations

import wave
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hotline.config import Settings
from hotline.phone import DatabaseCallSink
from hotline.sip.sink import CallReport, SinkWorker
from recording.spool import FINISHED, Spool
from storage import calls, jobs, recordings
from storage import tickets as ticket_store
from storage.db import Database
from storage.models import Call, Job, Recording, Ticket

STARTED = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def spooled_call(settings: Settings, call_id: str = "1-42@127.0.0.1", **changes: object):  # type: ignore[no-untyped-def]
    """A finished complaint call in the spool, as the agent leaves it."""
    values: dict[str, object] = {
        "call_id": call_id, "caller_number": "+8613900001111", "started_at": STARTED,
        "answered_at": STARTED + timedelta(seconds=0.2), "menu_path": "menu:1>complaint:#",
    }
    values.update(changes)
    entry = Spool(settings.spool_dir).create(CallReport(**values))  # type: ignore[arg-type]
    with wave.open(str(entry.wav_path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\x20\x00" * 8000 * 3)
    return entry, entry.finish(entry.report)


def count(db: Database, model: type) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_complaint_becomes_ticket_call_recording_and_job(db: Database, settings: Settings) -> None:
    entry, report = spooled_call(settings)
    number = DatabaseCallSink(db, settings).register_call(report)

    assert number and len(number) == 12
    with db.read() as session:
        ticket = ticket_store.get_by_number(session, number)
        assert ticket is not None
        assert (ticket.channel, ticket.caller_phone, ticket.status, ticket.interrupted) == (
            "phone", "+8613900001111", "registered", False)
        assert ticket.content == "" and ticket.created_by == "sip-agent"
        assert number.startswith("20250314")  # numbered by the day of the call
        call = calls.get_by_call_id(session, report.call_id)
        assert call is not None and call.ticket_id == ticket.id
        assert call.menu_path == "menu:1>complaint:#" and call.recording_sha256 == report.recording_sha256
        (recording,) = recordings.for_ticket(session, ticket.id)
        assert (recording.status, recording.spool_path, recording.sha256, recording.size) == (
            "spooled", str(entry.wav_path), report.recording_sha256, report.recording_size)
        assert recording.duration_seconds == 3.0 and recording.codec == "pcm_s16le"
        (job,) = session.scalars(select(Job)).all()
        assert (job.kind, job.status, job.ticket_id, job.recording_id) == (
            jobs.TRANSCRIBE, jobs.QUEUED, ticket.id, recording.id)


def test_reports_are_idempotent_and_the_last_one_completes_the_call(db: Database, settings: Settings) -> None:
    sink = DatabaseCallSink(db, settings)
    _, during_call = spooled_call(settings)
    number = sink.register_call(during_call)
    ended = STARTED + timedelta(seconds=75)
    final = replace(during_call, ended_at=ended, duration_seconds=74.8, hangup_cause="completed",
                    menu_path="menu:1>complaint:#>number-read")
    assert sink.register_call(final) == number
    assert sink.register_call(final) == number
    assert (count(db, Ticket), count(db, Call), count(db, Recording), count(db, Job)) == (1, 1, 1, 1)
    with db.read() as session:
        call = calls.get_by_call_id(session, final.call_id)
        assert call is not None
        assert call.menu_path == "menu:1>complaint:#>number-read" and call.hangup_cause == "completed"
        assert call.duration_seconds == 74.8 and call.ended_at is not None


def test_a_progress_query_call_is_logged_without_ticket(db: Database, settings: Settings) -> None:
    _, report = spooled_call(settings, menu_path="menu:2>query:found", hangup_cause="completed")
    assert DatabaseCallSink(db, settings).register_call(report) is None
    assert (count(db, Ticket), count(db, Call), count(db, Recording), count(db, Job)) == (0, 1, 0, 0)


def test_a_cut_off_call_without_audio_still_gets_an_interrupted_ticket(db: Database, settings: Settings) -> None:
    report = CallReport(call_id="crash@h", caller_number=None, started_at=STARTED, interrupted=True,
                        hangup_cause="agent-crash")
    number = DatabaseCallSink(db, settings).register_call(report)
    with db.read() as session:
        ticket = ticket_store.get_by_number(session, number or "")
        assert ticket is not None and ticket.interrupted and ticket.caller_phone is None
    assert (count(db, Recording), count(db, Job)) == (0, 0)


def test_progress_of_a_ticket_and_of_no_ticket(db: Database, settings: Settings) -> None:
    _, report = spooled_call(settings)
    sink = DatabaseCallSink(db, settings)
    number = sink.register_call(report)
    progress = sink.ticket_progress(number or "")
    assert progress is not None and progress.status == "registered" and progress.deadline is not None
    assert sink.ticket_progress("209912319999") is None


def test_the_worker_releases_the_spool_entry_once_the_database_has_the_call(
    db: Database, settings: Settings
) -> None:
    entry, report = spooled_call(settings)
    worker = SinkWorker(DatabaseCallSink(db, settings))
    number = worker.report(entry, report, final=True).result(timeout=30)
    assert worker.close(10)
    assert number and not entry.sidecar_path.exists()
    assert entry.wav_path.exists()  # kept for the uploader


def test_a_failed_report_stays_in_the_spool(db: Database, settings: Settings, tmp_path: Path) -> None:
    entry, report = spooled_call(settings)
    unmigrated = Database(f"sqlite:///{tmp_path / 'empty.db'}")  # a database without tables
    worker = SinkWorker(DatabaseCallSink(unmigrated, settings))
    with pytest.raises(Exception, match="no such table"):
        worker.report(entry, report, final=True).result(timeout=30)
    worker.close(10)
    unmigrated.dispose()
    (kept,) = Spool(settings.spool_dir).entries()
    assert kept.state == FINISHED and kept.report == report
