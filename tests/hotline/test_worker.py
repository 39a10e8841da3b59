"""The worker: lease → transcribe → store, classify, route, alert → done, around the durable queue.

In the fast tests Whisper is replaced by ``ScriptedSpeech``, injected through
``Worker(transcribe=...)``, so they take seconds; the real model on recorded calls is
covered by the slow tests at the end (``-m slow``). Everything else is real: the database
(SQLite, or PostgreSQL with HOTLINE_TEST_DATABASE_URL), classifier, ticket service,
recording store, uploader, a webhook HTTP server and, for the killed worker, a separate process.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from concurrently import run_concurrently
from sqlalchemy import func, select, update

from classifier import TaxonomyError, load_classifier
from hotline.config import Settings
from hotline.stores import recording_store
from hotline.tickets import register_ticket
from hotline.worker import Worker
from recording.uploader import upload_pending
from storage import jobs
from storage.db import Database
from storage.models import Job, Recording, Reminder, Ticket, Transcript
from storage.recordings import add_recording
from storage.transcripts import latest_for_ticket
from transcription import Segment
from transcription import Transcript as Heard

CALLER = "13812345678"
STREETLIGHT = "小区里的路灯坏了一大半，晚上黑漆漆的，老人走路都摔倒过。"
FIRE = "快来人啊，我们楼下着火了，好多烟，在三号楼二单元！"


class ScriptedSpeech:
    """Stands in for Whisper: reads the audio file it is given and 'hears' the scripted text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.heard: list[str] = []  # SHA-256 of every audio file it was given

    def __call__(self, path: Path) -> Heard:
        self.heard.append(hashlib.sha256(path.read_bytes()).hexdigest())
        segments = (Segment(0.0, 2.4, self.text, -0.31, 0.02),) if self.text else ()
        return Heard(
            text=self.text, empty=not self.text, segments=segments, model="scripted",
            settings={"beam_size": 5}, audio_seconds=2.4, processing_seconds=0.01,
        )


@dataclass
class PhoneCall:
    number: str
    ticket_id: int
    job_id: int
    spool: Path
    sha256: str


@pytest.fixture
def call(db: Database, settings: Settings) -> Callable[[], PhoneCall]:
    """A finished call as the SIP agent leaves it: ticket, spooled recording and job, in one transaction."""

    def make() -> PhoneCall:
        spool = settings.spool_dir / f"{uuid.uuid4().hex}.wav"
        spool.parent.mkdir(parents=True, exist_ok=True)
        with wave.open(str(spool), "wb") as audio:
            audio.setnchannels(1)
            audio.setsampwidth(2)
            audio.setframerate(8000)
            audio.writeframes(os.urandom(8000))  # half a second; ScriptedSpeech only reads the bytes
        data = spool.read_bytes()
        with db.write() as session:
            ticket = register_ticket(session, settings, channel="phone", actor="sip-agent", caller_phone=CALLER)
            recording = add_recording(
                session, ticket_id=ticket.id, spool_path=str(spool), sha256=hashlib.sha256(data).hexdigest(),
                size=len(data), duration_seconds=0.5, codec="pcm_s16le", recorded_at=datetime.now(UTC),
                retention_years=settings.retention_years,
            )
            job = jobs.enqueue(session, kind=jobs.TRANSCRIBE, ticket_id=ticket.id, recording_id=recording.id)
            return PhoneCall(ticket.number, ticket.id, job.id, spool, hashlib.sha256(data).hexdigest())

    return make


@dataclass
class Webhook:
    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    """A real HTTP server on 127.0.0.1 that records every JSON body POSTed to it."""
    hook = Webhook(url="")

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            hook.received.append(json.loads(body))
            self.send_response(hook.status)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/alerts"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield hook
    server.shutdown()
    server.server_close()


def _worker(settings: Settings, db: Database, transcribe: Callable[[Path], Heard], **changes: Any) -> Worker:
    return Worker(settings.model_copy(update=changes), db, transcribe=transcribe)


def _ticket(db: Database, ticket_id: int) -> Ticket:
    with db.read() as session:
        ticket = session.get(Ticket, ticket_id)
        session.expunge(ticket)  # with its events (loaded eagerly)
        return ticket


def _job(db: Database, job_id: int) -> Job:
    with db.read() as session:
        job = session.get(Job, job_id)
        session.expunge(job)
        return job


def _transcript_count(db: Database, ticket_id: int) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Transcript).where(Transcript.ticket_id == ticket_id))


def _wait_for(condition: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:
    """Poll until ``condition()`` is truthy; the deadline only stops a hung test, it measures nothing."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)
    return result


def test_a_transcribed_call_is_stored_routed_and_dispatched(db, settings, call) -> None:
    phone = call()
    speech = ScriptedSpeech(STREETLIGHT)

    worker = _worker(settings, db, speech)
    assert worker.run_once() == 1

    assert speech.heard == [phone.sha256]
    with db.read() as session:
        transcript = latest_for_ticket(session, phone.ticket_id)
        assert (transcript.text, transcript.empty, transcript.model) == (STREETLIGHT, False, "scripted")
        assert transcript.segments == [
            {"start": 0.0, "end": 2.4, "text": STREETLIGHT, "avg_logprob": -0.31, "no_speech_prob": 0.02}
        ]
        assert (transcript.audio_seconds, transcript.settings) == (2.4, {"beam_size": 5})
    job = _job(db, phone.job_id)
    assert (job.status, job.attempts, job.leased_by, job.lease_expires_at) == ("done", 1, worker.worker_id, None)

    ticket = _ticket(db, phone.ticket_id)
    assert (ticket.category, ticket.department, ticket.needs_review) == ("facility", "juweihui", False)
    [classified] = [e for e in ticket.events if e.action == "classify"]
    assert classified.actor == "classifier"
    assert classified.data["category"] == "facility" and 0 < classified.data["confidence"] <= 1
    assert ticket.classification == load_classifier().classify(STREETLIGHT).to_dict()  # with its keywords
    assert ticket.classification["keywords"]
    # Confident, not confidential: the routing policy dispatched it without waiting for review.
    assert (ticket.status, ticket.assignee_department) == ("dispatched", "juweihui")
    assert not [e for e in ticket.events if e.action == "alert"]


def test_a_typed_complaint_is_classified_for_review_and_stays_with_its_owner(db, settings) -> None:
    with db.write() as session:
        ticket_id = register_ticket(
            session, settings, channel="walk_in", actor="dispatcher1", content=STREETLIGHT
        ).id
    speech = ScriptedSpeech("")

    assert _worker(settings, db, speech).run_once() == 1

    assert speech.heard == []  # no audio involved
    ticket = _ticket(db, ticket_id)
    assert (ticket.category, ticket.department) == ("facility", "juweihui")
    [classified] = [e for e in ticket.events if e.action == "classify"]
    assert classified.data["keywords"] and classified.data["applied"]
    # 首诉负责制: a typed ticket is routed by the staff member who registered it, not dispatched.
    assert (ticket.status, ticket.owner) == ("registered", "dispatcher1")


def test_an_emergency_call_raises_an_alert_at_once(db, settings, call, webhook, caplog) -> None:
    phone = call()
    with caplog.at_level(logging.INFO):
        _worker(settings, db, ScriptedSpeech(FIRE), alert_webhook_url=webhook.url).run_once()

    ticket = _ticket(db, phone.ticket_id)
    assert (ticket.urgency, ticket.category) == (1, "emergency")
    [alert] = [e for e in ticket.events if e.action == "alert"]
    assert alert.data["ticket"] == phone.number and alert.data["urgency"] == 1
    assert alert.data["keywords"] == sorted({k["term"] for k in ticket.classification["keywords"]}) != []

    [posted] = webhook.received
    assert posted == alert.data
    assert posted["event"] == "hotline.alert"

    [line] = [r for r in caplog.records if r.getMessage() == "level-1 alert"]
    assert line.levelno == logging.WARNING and line.ticket == phone.number
    assert CALLER not in caplog.text and CALLER not in json.dumps(posted)


def test_an_unreachable_webhook_is_logged_and_the_call_is_still_processed(db, settings, call, webhook, caplog) -> None:
    webhook.status = 503
    phone = call()
    with caplog.at_level(logging.WARNING):
        _worker(settings, db, ScriptedSpeech(FIRE), alert_webhook_url=webhook.url).run_once()

    assert len(webhook.received) == 1
    assert _job(db, phone.job_id).status == "done"
    assert [e.action for e in _ticket(db, phone.ticket_id).events].count("alert") == 1
    [failure] = [r for r in caplog.records if r.getMessage() == "alert webhook failed"]
    assert failure.levelno == logging.ERROR and failure.reason == "HTTP 503"


def test_silence_is_stored_as_an_empty_transcript_and_the_ticket_waits_for_a_person(db, settings, call) -> None:
    phone = call()
    _worker(settings, db, ScriptedSpeech("")).run_once()

    with db.read() as session:
        transcript = latest_for_ticket(session, phone.ticket_id)
        assert (transcript.text, transcript.empty, transcript.segments) == ("", True, [])
    ticket = _ticket(db, phone.ticket_id)
    assert (ticket.status, ticket.needs_review, ticket.category) == ("registered", True, None)
    assert "classify" not in [e.action for e in ticket.events]
    assert _job(db, phone.job_id).status == "done"


def test_once_uploaded_the_audio_is_read_back_from_the_store(db, settings, call) -> None:
    phone = call()
    assert upload_pending(db, recording_store(settings)) == 1
    assert not phone.spool.exists()
    speech = ScriptedSpeech(STREETLIGHT)

    _worker(settings, db, speech).run_once()

    assert speech.heard == [phone.sha256]
    assert _job(db, phone.job_id).status == "done"


def test_one_pass_also_uploads_recordings_and_records_due_reminders(db, settings, call) -> None:
    phone = call()
    _worker(settings, db, ScriptedSpeech("")).run_once()  # nothing said: it stays registered

    with db.read() as session:
        [recording] = session.scalars(select(Recording).where(Recording.ticket_id == phone.ticket_id)).all()
        assert recording.status == "stored" and not phone.spool.exists()
        # A registered ticket's acceptance deadline (3 working days) lies within the reminder window.
        assert session.scalars(select(Reminder).where(Reminder.ticket_id == phone.ticket_id)).all()


def test_missing_audio_fails_until_the_job_is_parked_then_retry_finishes_it(db, settings, call) -> None:
    phone = call()
    audio = phone.spool.read_bytes()
    phone.spool.unlink()
    worker = _worker(settings, db, ScriptedSpeech(STREETLIGHT), job_max_attempts=2)

    assert worker.run_once() == 2  # both attempts, then nothing left to lease
    job = _job(db, phone.job_id)
    assert (job.status, job.attempts) == ("failed", 2)
    assert job.last_error.startswith("AudioMissing: recording") and "spool file is gone" in job.last_error
    assert _transcript_count(db, phone.ticket_id) == 0

    phone.spool.write_bytes(audio)  # an operator restored the file
    jobs.retry(db, phone.job_id)
    assert worker.run_once() == 1
    assert _job(db, phone.job_id).status == "done"
    assert _transcript_count(db, phone.ticket_id) == 1


BLOCKED_WORKER = """
import sys, time
from pathlib import Path
from hotline.config import load_settings
from hotline.worker import Worker
from storage.db import Database

def hang(path):  # Whisper stuck on a call: tell the test, then block until killed
    Path(sys.argv[1]).touch()
    time.sleep(3600)

settings = load_settings()
Worker(settings, Database(settings.db_url), transcribe=hang, worker_id="doomed").process_next()
"""


def test_a_killed_worker_process_job_is_finished_once_by_another_worker(db, settings, call, tmp_path) -> None:
    phone = call()
    started = tmp_path / "started"
    doomed = subprocess.Popen(
        [sys.executable, "-c", BLOCKED_WORKER, str(started)],
        env={**os.environ, "HOTLINE_JOB_LEASE_SECONDS": "1"},
    )
    try:
        _wait_for(lambda: started.exists() or doomed.poll() is not None, "the doomed worker to start")
        assert doomed.poll() is None, "the doomed worker exited before it was killed"
    finally:
        doomed.kill()
        doomed.wait()
    job = _job(db, phone.job_id)
    assert (job.status, job.leased_by, job.attempts) == ("running", "doomed", 1)

    survivor = _worker(settings, db, ScriptedSpeech(STREETLIGHT))
    _wait_for(survivor.process_next, "the dead worker's lease to expire")

    job = _job(db, phone.job_id)
    assert (job.status, job.attempts) == ("done", 2)
    assert _transcript_count(db, phone.ticket_id) == 1
    assert survivor.process_next() is False


def test_a_worker_that_lost_its_lease_stores_nothing(db, settings, call, caplog) -> None:
    phone = call()

    def stalled_past_the_lease(path: Path) -> Heard:
        # While this worker stalls, its lease runs out and another worker takes the job over.
        with db.write() as session:
            session.execute(
                update(Job).where(Job.id == phone.job_id)
                .values(lease_expires_at=datetime.now(UTC) - timedelta(hours=1))
            )
        assert jobs.lease(db, "other-worker", 600).id == phone.job_id
        return ScriptedSpeech(STREETLIGHT)(path)

    with caplog.at_level(logging.WARNING):
        _worker(settings, db, stalled_past_the_lease).run_once()

    job = _job(db, phone.job_id)
    assert (job.status, job.leased_by) == ("running", "other-worker")
    assert _transcript_count(db, phone.ticket_id) == 0
    assert _ticket(db, phone.ticket_id).classification is None
    assert "job lease lost to another worker; result discarded" in caplog.messages


def test_stop_during_a_job_lets_it_finish_and_starts_no_other(db, settings, call) -> None:
    first, second = call(), call()

    def sigterm_while_working(path: Path) -> Heard:
        worker.stop()  # what the SIGTERM handler of ``hotline worker`` does
        return ScriptedSpeech(STREETLIGHT)(path)

    worker = _worker(settings, db, sigterm_while_working)

    runner = threading.Thread(target=worker.run)
    runner.start()
    runner.join(timeout=120)

    assert not runner.is_alive()
    assert _job(db, first.job_id).status == "done"
    assert (_job(db, second.job_id).status, _job(db, second.job_id).attempts) == ("queued", 0)


def test_a_job_interrupted_hard_is_released_for_another_worker(db, settings, call) -> None:
    phone = call()

    def interrupted(path: Path) -> Heard:
        raise KeyboardInterrupt  # a second Ctrl-C while Whisper works

    with pytest.raises(KeyboardInterrupt):
        _worker(settings, db, interrupted).process_next()
    job = _job(db, phone.job_id)
    assert (job.status, job.attempts, job.leased_by) == ("queued", 0, None)


def test_a_broken_taxonomy_stops_the_worker_instead_of_failing_every_job(db, settings, call, tmp_path) -> None:
    phone = call()
    worker = _worker(settings, db, ScriptedSpeech(STREETLIGHT), taxonomy=tmp_path / "missing.yaml")

    with pytest.raises(TaxonomyError, match="missing.yaml"):
        worker.process_next()
    job = _job(db, phone.job_id)
    assert (job.status, job.attempts, job.last_error) == ("queued", 0, None)


def test_the_worker_command_reports_an_unusable_model_and_leaves_the_job_queued(db, settings, call, tmp_path) -> None:
    phone = call()
    result = subprocess.run(
        [str(Path(sys.executable).with_name("hotline")), "worker", "--once"],
        env={**os.environ, "HOTLINE_WHISPER_MODEL": str(tmp_path / "no-model")},
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 1
    assert "error: worker stopped, its job left queued:" in result.stderr
    assert "no-model" in result.stderr and "Traceback" not in result.stderr
    assert (_job(db, phone.job_id).status, _job(db, phone.job_id).attempts) == ("queued", 0)


def test_two_workers_share_many_calls_and_process_each_exactly_once(db, settings, call) -> None:
    phones = [call() for _ in range(30)]
    speech = ScriptedSpeech(STREETLIGHT)
    workers = [_worker(settings, db, speech) for _ in range(2)]
    run_concurrently(*(w.run_once for w in workers))

    with db.read() as session:
        per_ticket = dict(
            session.execute(select(Transcript.ticket_id, func.count()).group_by(Transcript.ticket_id)).all()
        )
        assert per_ticket == {p.ticket_id: 1 for p in phones}
        listed = jobs.list_jobs(session)
        assert {(j.status, j.attempts) for j in listed} == {("done", 1)}, [j.last_error for j in listed]
    assert sorted(speech.heard) == sorted(p.sha256 for p in phones)


def test_the_worker_command_stops_cleanly_on_sigterm(settings) -> None:
    hotline = Path(sys.executable).with_name("hotline")
    worker = subprocess.Popen([str(hotline), "worker"], stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: "worker started" in worker.stderr.readline() or worker.poll() is not None,
                  "the worker to start")
        assert worker.poll() is None, "the worker exited on its own"
        worker.terminate()
        assert worker.wait(timeout=120) == 0
    finally:
        worker.kill()
    assert "Traceback" not in worker.stderr.read()


# ---------------------------------------------------------------- the real model (slow)

DATA = Path(__file__).resolve().parents[1] / "transcription" / "data"


@pytest.fixture
def recorded_call(db: Database, settings: Settings) -> Callable[[Path], PhoneCall]:
    """A recorded clip reported by the SIP agent's sink, exactly as a real call is stored."""
    from hotline.phone import DatabaseCallSink
    from recording.spool import COMPLAINT_STEP, CallReport

    def report(clip: Path) -> PhoneCall:
        spool = settings.spool_dir / f"{uuid.uuid4().hex}.wav"
        spool.parent.mkdir(parents=True, exist_ok=True)
        spool.write_bytes(clip.read_bytes())
        sha256 = hashlib.sha256(spool.read_bytes()).hexdigest()
        now = datetime.now(UTC)
        number = DatabaseCallSink(db, settings).register_call(
            CallReport(
                call_id=f"{uuid.uuid4().hex}@test", caller_number=CALLER, started_at=now, answered_at=now,
                ended_at=now, duration_seconds=5.0, menu_path=COMPLAINT_STEP, hangup_cause="caller",
                recording_path=str(spool), recording_sha256=sha256, recording_size=spool.stat().st_size,
                recording_seconds=5.0,
            )
        )
        with db.read() as session:
            ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
            [job] = session.scalars(select(Job).where(Job.ticket_id == ticket.id)).all()
            return PhoneCall(number, ticket.id, job.id, spool, sha256)

    return report


@pytest.mark.slow
@pytest.mark.model
def test_recorded_calls_are_transcribed_routed_and_an_emergency_alerted(
    db, settings, recorded_call, shared_eval, webhook
) -> None:
    gas_leak = recorded_call(shared_eval / "audio-dev" / "d074.wav")  # 煤气味 … 燃气泄漏
    elevator = recorded_call(DATA / "elevator.wav")  # 小区的电梯坏了三天了，物业一直不来修。

    worker = Worker(settings.model_copy(update={"alert_webhook_url": webhook.url}), db)  # real Whisper
    assert worker.run_once() == 2

    for phone in (gas_leak, elevator):
        assert _job(db, phone.job_id).status == "done"
        with db.read() as session:
            transcript = latest_for_ticket(session, phone.ticket_id)
            session.expunge(transcript)
        assert not transcript.empty and transcript.segments
        assert transcript.model and transcript.audio_seconds > 0
        ticket = _ticket(db, phone.ticket_id)
        [classified] = [e for e in ticket.events if e.action == "classify"]
        expected = load_classifier().classify(transcript.text)
        assert (classified.data["category"], ticket.urgency) == (expected.category, expected.urgency)

    assert "电梯" in _transcript_text(db, elevator)
    emergency = _ticket(db, gas_leak.ticket_id)
    assert (emergency.category, emergency.urgency) == ("emergency", 1)
    [alert] = [e for e in emergency.events if e.action == "alert"]
    assert [posted["ticket"] for posted in webhook.received] == [gas_leak.number]
    assert webhook.received[0] == alert.data
    assert not [e for e in _ticket(db, elevator.ticket_id).events if e.action == "alert"]


@pytest.mark.slow
@pytest.mark.model
def test_sigterm_during_a_transcription_lets_the_job_finish(db, settings, recorded_call) -> None:
    phone = recorded_call(DATA / "elevator.wav")
    hotline = Path(sys.executable).with_name("hotline")
    worker = subprocess.Popen([str(hotline), "worker"], stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: _job(db, phone.job_id).status != "queued" or worker.poll() is not None,
                  "the worker to lease the job")
        worker.terminate()  # while the model loads or transcribes
        assert worker.wait(timeout=600) == 0
    finally:
        worker.kill()
    assert "Traceback" not in worker.stderr.read()
    assert _job(db, phone.job_id).status == "done"
    assert "电梯" in _transcript_text(db, phone)


def _transcript_text(db: Database, phone: PhoneCall) -> str:
    with db.read() as session:
        return latest_for_ticket(session, phone.ticket_id).text
