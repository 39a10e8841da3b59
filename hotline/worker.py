"""The background worker: turns recorded calls into transcribed, routed tickets.

Its main loop leases ``transcribe`` jobs from the durable queue (``storage.jobs``),
transcribes the call (from the spool while the recording waits for upload,
otherwise from the recording store), classifies the text, and in ONE transaction
stores the transcript, routes the ticket and marks the job done. ``classify`` jobs
(complaints typed by staff) skip the audio and route the ticket's content. A timer renews
the lease while Whisper works, so a slow call is not taken over while a dead
worker's job is. Beside the loop run the recording uploader and the periodic
reminders. ``stop()`` (SIGTERM/SIGINT in ``hotline worker``) ends the loop after
the current job; a job interrupted harder is released for another worker.

A job's own failure (audio missing, unreadable) counts against its attempts. A
broken configuration (model, taxonomy) would fail every job alike, so it releases
the job and stops the worker with the error instead of parking the whole queue.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import socket
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Self

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from classifier import Classifier, EmptyTextError, TaxonomyError, load_classifier
from hotline import alerts
from hotline.config import Settings
from hotline.reminders import run_reminders
from hotline.routing import CLASSIFIER, route_classified_ticket
from hotline.stores import recording_store
from hotline.tickets import apply_routing
from recording.uploader import run_uploader, upload_pending
from storage import jobs, recordings
from storage.db import Database
from storage.models import Job, Recording, Ticket
from storage.objectstore import ObjectStore
from storage.transcripts import add_transcript
from transcription import ModelError, Transcriber, Transcript, ensure_packaged_model

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 2000

Transcribe = Callable[[Path], Transcript]
CONFIGURATION_ERRORS = (ModelError, TaxonomyError)


class AudioMissing(Exception):
    """The recording's audio is neither in the spool nor in the store (yet)."""


def default_worker_id() -> str:
    """Unique per process and readable in ``hotline jobs list``: host, pid, random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    """One worker process's duties; ``transcribe`` may be injected (tests, other engines)."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        transcribe: Transcribe | None = None,
        store: ObjectStore | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.worker_id = worker_id or default_worker_id()
        self._transcribe = transcribe
        self._store = store
        self.stop_event = threading.Event()

    @property
    def store(self) -> ObjectStore:
        """The recording store, opened on first use."""
        if self._store is None:
            self._store = recording_store(self.settings)
        return self._store

    def stop(self) -> None:
        """Ask the worker to stop once its current job is finished."""
        self.stop_event.set()

    def warm_up(self) -> None:
        """Load Whisper and the classifier now, so the first call is not kept waiting for them."""
        self._classifier()
        if self._transcribe is None:
            self._whisper()

    def run(self) -> None:
        """Work until :meth:`stop`: jobs in this thread, uploads and reminders beside it."""
        self.warm_up()
        helpers = [
            _start_thread(
                "uploader",
                run_uploader,
                self.db,
                self.store,
                self.stop_event,
                self.settings.upload_retry_seconds,
            ),
            _start_thread("reminders", self._remind_periodically),
        ]
        log.info("worker started", extra={"worker": self.worker_id})
        try:
            while not self.stop_event.is_set():
                try:
                    busy = self.process_next()
                except OperationalError:  # the database is unreachable: wait, do not die
                    log.exception("job queue unavailable; retrying")
                    busy = False
                if not busy:
                    self.stop_event.wait(self.settings.worker_poll_seconds)
        finally:
            self.stop_event.set()
            for thread in helpers:
                thread.join()
            log.info("worker stopped", extra={"worker": self.worker_id})

    def run_once(self) -> int:
        """One pass over every duty: the jobs available now, pending uploads, reminders.

        Returns how many jobs were processed (a failing job counts once per attempt).
        """
        processed = 0
        while not self.stop_event.is_set() and self.process_next():
            processed += 1
        upload_pending(self.db, self.store, retry_seconds=self.settings.upload_retry_seconds)
        self._remind()
        return processed

    def process_next(self) -> bool:
        """Lease and process one job; False when none is available."""
        job = jobs.lease(
            self.db,
            self.worker_id,
            self.settings.job_lease_seconds,
            kinds=[jobs.TRANSCRIBE, jobs.CLASSIFY],
            max_attempts=self.settings.job_max_attempts,
        )
        if job is None:
            return False
        self._process(job)
        return True

    def _process(self, job: Job) -> None:
        log.info("job leased", extra={"job": job.id, "attempt": job.attempts})
        try:
            with _LeaseRenewal(self.db, job.id, self.worker_id, self.settings.job_lease_seconds):
                if job.kind == jobs.CLASSIFY:
                    transcript = None
                    alert = self._route_typed(job)
                else:
                    with self._audio(job) as path:
                        transcript = (self._transcribe or self._whisper().transcribe)(path)
                    alert = self._store_result(job, transcript)
        except jobs.LeaseLost:
            log.warning("job lease lost to another worker; result discarded", extra={"job": job.id})
            return
        except CONFIGURATION_ERRORS:
            jobs.release(self.db, job.id, self.worker_id)
            raise
        except Exception as exc:  # noqa: BLE001 - any failure is recorded on the job, visible to staff
            error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
            after = jobs.fail(self.db, job.id, self.worker_id, error, self.settings.job_max_attempts)
            log.error(
                "job failed",
                extra={"job": job.id, "error": error, "status": after.status if after else "lost"},
            )
            return
        except BaseException:  # a second Ctrl-C: hand the job back rather than hold it to expiry
            jobs.release(self.db, job.id, self.worker_id)
            raise
        log.info("job done", extra={"job": job.id, "kind": job.kind, "empty": transcript.empty if transcript else None})
        if alert is not None:
            alerts.announce(alert, self.settings.alert_webhook_url)

    @contextmanager
    def _audio(self, job: Job) -> Iterator[Path]:
        """A private path to the job's recording, valid until the job is over.

        The spool file is hard-linked (copied across file systems), because the
        uploader deletes it as soon as the store holds the recording; once it is
        gone, the audio comes from the store, checked against its SHA-256.
        """
        if job.recording_id is None:
            raise AudioMissing(f"job {job.id} has no recording")
        audio_dir = self.settings.cache_dir / "audio"
        audio_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f"job-{job.id}-", dir=audio_dir) as folder:
            path = Path(folder) / "recording.wav"
            recording = self._recording(job.recording_id)
            if not _pin(recording.spool_path, path):
                recording = self._recording(job.recording_id)  # the uploader may just have stored it
                if recording.status != recordings.STORED:
                    raise AudioMissing(f"recording {recording.id} is {recording.status} and its spool file is gone")
                self._fetch(recording, path)
            yield path

    def _recording(self, recording_id: int) -> Recording:
        with self.db.read() as session:
            recording = recordings.get(session, recording_id)
            if recording is None:
                raise AudioMissing(f"recording {recording_id} does not exist")
            session.expunge(recording)
            return recording

    def _fetch(self, recording: Recording, path: Path) -> None:
        digest = hashlib.sha256()
        with path.open("wb") as target:
            for chunk in self.store.stream(recording.key, recording.version_id):
                digest.update(chunk)
                target.write(chunk)
        if digest.hexdigest() != recording.sha256:
            raise AudioMissing(f"recording {recording.id}: stored audio does not match its SHA-256")

    def _store_result(self, job: Job, transcript: Transcript) -> alerts.Alert | None:
        """Transcript, routing and job completion in one transaction; the alert to announce, if any."""
        routing = None if transcript.empty else self._classify(transcript.text)
        heard = transcript.to_dict()
        with self.db.write() as session:
            jobs.complete(session, job.id, self.worker_id)
            add_transcript(
                session,
                ticket_id=job.ticket_id,
                recording_id=job.recording_id,
                text=heard["text"],
                empty=heard["empty"],
                segments=heard["segments"],
                model=heard["model"],
                settings=heard["settings"],
                audio_seconds=heard["audio_seconds"],
                processing_seconds=heard["processing_seconds"],
            )
            if routing is None:  # nothing said: the ticket waits for a dispatcher to listen
                return None
            return self._route(session, job, routing)

    def _route_typed(self, job: Job) -> alerts.Alert | None:
        """Classify a typed complaint's content; routing and job completion in one transaction."""
        with self.db.read() as session:
            content = session.get(Ticket, job.ticket_id).content
        routing = self._classify(content)
        with self.db.write() as session:
            jobs.complete(session, job.id, self.worker_id)
            return self._route(session, job, routing) if routing else None

    def _route(self, session: Session, job: Job, routing: dict[str, Any]) -> alerts.Alert | None:
        """Apply the routing (and the auto-dispatch policy); the alert to announce, if level 1."""
        # Locked: a dispatcher acting on the ticket right now goes before or after, not between.
        ticket = session.get(Ticket, job.ticket_id, with_for_update=True)
        apply_routing(session, ticket, routing, actor=CLASSIFIER.username)
        route_classified_ticket(session, self.settings, ticket, routing)
        if alerts.is_emergency(routing):
            return alerts.record_alert(session, ticket, routing, actor=CLASSIFIER.username)
        return None

    def _classify(self, text: str) -> dict[str, Any] | None:
        """The routing of what the caller said or wrote; None when nothing was said."""
        try:
            return self._classifier().classify(text).to_dict()
        except EmptyTextError:  # nothing, or only fillers or punctuation
            return None

    def _whisper(self) -> Transcriber:
        model_dir = self.settings.whisper_model or ensure_packaged_model(self.settings.cache_dir)
        return _transcriber(
            Path(model_dir),
            self.settings.whisper_beam_size,
            self.settings.whisper_compute_type,
            self.settings.whisper_threads,
        )

    def _classifier(self) -> Classifier:
        learned = self.settings.home / "classifier" / "learned.yaml"
        # The learned weights change when dispatchers' corrections are learned: reload then.
        learned_version = learned.stat().st_mtime_ns if learned.exists() else None
        return _load_classifier(self.settings.taxonomy, learned, self.settings.cache_dir, learned_version)

    def _remind_periodically(self) -> None:
        """A round at start, then one every ``reminder_interval_seconds`` until stopped."""
        self._remind()
        while not self.stop_event.wait(self.settings.reminder_interval_seconds):
            self._remind()

    def _remind(self) -> None:
        try:
            run_reminders(self.db, self.settings)
        except Exception:  # a failed round is retried at the next interval
            log.exception("reminder round failed")


@cache
def _transcriber(model_dir: Path, beam_size: int, compute_type: str, cpu_threads: int) -> Transcriber:
    """Whisper is loaded once per process (hundreds of MB; seconds to load)."""
    return Transcriber(model_dir, beam_size=beam_size, compute_type=compute_type, cpu_threads=cpu_threads)


@lru_cache(maxsize=1)
def _load_classifier(
    taxonomy: Path | None, learned: Path, cache_dir: Path, learned_version: int | None
) -> Classifier:
    return load_classifier(taxonomy, learned_path=learned, cache_dir=cache_dir)


class _LeaseRenewal:
    """Renews a job's lease every third of its length while the worker is busy with it."""

    def __init__(self, db: Database, job_id: int, worker_id: str, lease_seconds: float) -> None:
        self._renew = lambda: jobs.renew(db, job_id, worker_id, lease_seconds)
        self._interval = lease_seconds / 3
        self._job_id = job_id
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{job_id}", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.wait(self._interval):
            try:
                if not self._renew():
                    log.warning("job lease lost; finishing without storing", extra={"job": self._job_id})
                    return
            except Exception:  # the database may be briefly unreachable; the lease has time left
                log.exception("lease renewal failed", extra={"job": self._job_id})


def _pin(spool_path: str | None, target: Path) -> bool:
    """Link (or copy) the spool file to ``target``; False when there is none any more."""
    if not spool_path:
        return False
    try:
        os.link(spool_path, target)
    except FileNotFoundError:
        return False
    except OSError:  # another file system, or links not allowed
        try:
            shutil.copyfile(spool_path, target)
        except FileNotFoundError:
            return False
    return True


def _start_thread(name: str, target: Callable[..., Any], *args: Any) -> threading.Thread:
    def logged() -> None:
        try:
            target(*args)
        except Exception:
            log.exception("worker thread crashed", extra={"worker_thread": name})

    thread = threading.Thread(target=logged, name=name, daemon=True)
    thread.start()
    return thread
