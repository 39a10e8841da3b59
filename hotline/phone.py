"""The phone line's way into the database: the SIP agent's ``CallSink``.

A complaint call becomes, in ONE transaction, a ticket (channel ``phone``) with
the caller's number, its call row, its recording (still in the spool; the
uploader moves it to the store) and a transcription job. Either all of it is
stored or none, so a retried report never leaves half a ticket behind.
"""
from __future__ import annotations

from hotline import tickets
from hotline.config import Settings
from hotline.sip.sink import CallReport
from hotline.tickets import TicketProgress
from recording.spool import CODEC
from storage import calls, jobs, recordings
from storage.db import Database

ACTOR = "sip-agent"


class DatabaseCallSink:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def register_call(self, report: CallReport) -> str | None:
        """Store the call (idempotent per Call-ID); the ticket number if it opened one."""
        with self.db.write() as session:
            known = calls.get_by_call_id(session, report.call_id)
            if known is not None:
                calls.record_end(
                    known,
                    ended_at=report.ended_at,
                    duration_seconds=report.duration_seconds,
                    menu_path=report.menu_path,
                    hangup_cause=report.hangup_cause,
                    interrupted=report.interrupted,
                )
                return calls.ticket_number(session, known)
            ticket = None
            if report.opens_ticket:
                ticket = tickets.register_ticket(
                    session,
                    self.settings,
                    channel="phone",
                    actor=ACTOR,
                    caller_phone=report.caller_number,
                    content="",
                    interrupted=report.interrupted,
                    now=report.started_at,
                )
                if report.recording_path and report.recording_sha256:
                    recording = recordings.add_recording(
                        session,
                        ticket_id=ticket.id,
                        spool_path=report.recording_path,
                        sha256=report.recording_sha256,
                        size=report.recording_size or 0,
                        duration_seconds=report.recording_seconds,
                        codec=CODEC,
                        recorded_at=report.answered_at or report.started_at,
                        retention_years=self.settings.retention_years,
                    )
                    jobs.enqueue(session, kind=jobs.TRANSCRIBE, ticket_id=ticket.id, recording_id=recording.id)
            calls.add_call(
                session,
                call_id=report.call_id,
                ticket_id=ticket.id if ticket else None,
                caller_number=report.caller_number,
                started_at=report.started_at,
                answered_at=report.answered_at,
                ended_at=report.ended_at,
                duration_seconds=report.duration_seconds,
                menu_path=report.menu_path,
                hangup_cause=report.hangup_cause,
                recording_sha256=report.recording_sha256,
                interrupted=report.interrupted,
            )
            return ticket.number if ticket else None

    def ticket_progress(self, number: str) -> TicketProgress | None:
        with self.db.read() as session:
            return tickets.progress(session, number)
