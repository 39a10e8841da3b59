"""The durable job queue: background work (transcription) kept in the database.

A job is ``queued`` until a worker *leases* it: the worker's id and a lease expiry
are written, the status becomes ``running`` and ``attempts`` counts one more start.
The worker renews the lease while it works and, on success, marks the job ``done``
inside the same transaction that stores the result (:func:`complete`). A worker
that dies simply stops renewing; once its lease expires the job is leased again.
A job that fails ``max_attempts`` times is parked as ``failed`` with its error
until staff :func:`retry` it.

Concurrency: PostgreSQL picks a job with ``SELECT ... FOR UPDATE SKIP LOCKED`` so
workers never wait on each other; on SQLite ``db.write()`` opens the transaction
with ``BEGIN IMMEDIATE``, which serialises leases. Every state change after the
lease checks that the job is still ours, so a worker whose lease was taken over
can neither renew, complete nor fail it. Lease times come from the database's
clock on PostgreSQL, so workers on several machines share one clock.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import Job, Ticket

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUSES = (QUEUED, RUNNING, DONE, FAILED)
TRANSCRIBE = "transcribe"  # a recorded call: transcribe, then classify
CLASSIFY = "classify"  # a typed complaint (walk-in, letter, web, email): classify its content


class JobError(Exception):
    """Base class of the queue's user-facing errors."""


class JobNotFound(JobError):
    def __init__(self, job_id: int) -> None:
        super().__init__(f"job {job_id} does not exist")


class JobNotRetryable(JobError):
    def __init__(self, job: Job) -> None:
        super().__init__(f"job {job.id} is {job.status}; only failed jobs can be retried")


class LeaseLost(JobError):
    """The job is no longer leased by this worker: its result must not be stored."""

    def __init__(self, job_id: int, worker_id: str) -> None:
        super().__init__(f"job {job_id} is no longer leased by {worker_id}")


def _now(session: Session) -> datetime:
    """The queue's clock: the database server's on PostgreSQL, this host's on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return session.scalar(select(func.clock_timestamp()))  # type: ignore[return-value]
    return datetime.now(UTC)


def _owned(job_id: int, worker_id: str) -> ColumnElement[bool]:
    """The condition 'this job is running under this worker's lease'."""
    return and_(Job.id == job_id, Job.status == RUNNING, Job.leased_by == worker_id)


def enqueue(session: Session, *, kind: str, ticket_id: int | None, recording_id: int | None = None) -> Job:
    """Queue a job inside the caller's transaction, so it exists exactly when its ticket does."""
    job = Job(kind=kind, ticket_id=ticket_id, recording_id=recording_id, status=QUEUED, attempts=0)
    session.add(job)
    session.flush()
    return job


def lease(
    db: Database,
    worker_id: str,
    lease_seconds: float,
    kinds: Sequence[str] | None = None,
    max_attempts: int | None = None,
) -> Job | None:
    """Take the oldest available job (queued, or running under an expired lease).

    With ``max_attempts``, a job whose lease has already expired that many times
    (a worker crashed on it each time) is parked as failed instead of being handed
    out again, so one poisonous recording cannot crash workers forever.
    """
    with db.write() as session:
        now = _now(session)
        available = or_(
            Job.status == QUEUED,
            and_(Job.status == RUNNING, Job.lease_expires_at < now),
        )
        query = select(Job).where(available).order_by(Job.id).limit(1).with_for_update(skip_locked=True)
        if kinds is not None:
            query = query.where(Job.kind.in_(list(kinds)))
        while (job := session.scalars(query).first()) is not None:
            if job.status == RUNNING and max_attempts is not None and job.attempts >= max_attempts:
                _park(job, f"lease expired {job.attempts} times: the worker stopped while running it", now)
                session.flush()
                continue
            job.status = RUNNING
            job.leased_by = worker_id
            job.lease_expires_at = now + timedelta(seconds=lease_seconds)
            job.attempts += 1
            job.updated_at = now
            return job
        return None


def renew(db: Database, job_id: int, worker_id: str, lease_seconds: float) -> bool:
    """Extend our lease; False when the job is no longer ours (taken over, released, retried)."""
    with db.write() as session:
        now = _now(session)
        result = session.execute(
            update(Job)
            .where(_owned(job_id, worker_id))
            .values(lease_expires_at=now + timedelta(seconds=lease_seconds), updated_at=now)
        )
        return result.rowcount == 1


def complete(session: Session, job_id: int, worker_id: str) -> None:
    """Mark the job done in the caller's transaction; raises :class:`LeaseLost` if it is not ours.

    ``leased_by`` stays, recording which worker did the job.

    Call it in the transaction that stores the job's result: if the lease was
    lost, the exception rolls the result back, so each job's result is stored once.
    """
    now = _now(session)
    result = session.execute(
        update(Job)
        .where(_owned(job_id, worker_id))
        .values(status=DONE, lease_expires_at=None, finished_at=now, updated_at=now)
    )
    if result.rowcount != 1:
        raise LeaseLost(job_id, worker_id)


def fail(db: Database, job_id: int, worker_id: str, error: str, max_attempts: int) -> Job | None:
    """Record a failed attempt: queue the job again, or park it once attempts are used up.

    Returns the job in its new state, or None when the lease was no longer ours.
    """
    with db.write() as session:
        job = session.scalars(select(Job).where(_owned(job_id, worker_id)).with_for_update()).first()
        if job is None:
            return None
        now = _now(session)
        if job.attempts >= max_attempts:
            _park(job, error, now)
        else:
            _requeue(job, now)
            job.last_error = error
        return job


def release(db: Database, job_id: int, worker_id: str) -> bool:
    """Give an unfinished job back (the worker is stopping); the attempt does not count."""
    with db.write() as session:
        now = _now(session)
        result = session.execute(
            update(Job)
            .where(_owned(job_id, worker_id))
            .values(
                status=QUEUED,
                leased_by=None,
                lease_expires_at=None,
                attempts=Job.attempts - 1,
                updated_at=now,
            )
        )
        return result.rowcount == 1


def retry(db: Database, job_id: int) -> Job:
    """Put a parked (failed) job back in the queue with a fresh set of attempts."""
    with db.write() as session:
        job = session.scalars(select(Job).where(Job.id == job_id).with_for_update()).first()
        if job is None:
            raise JobNotFound(job_id)
        if job.status != FAILED:
            raise JobNotRetryable(job)
        _requeue(job, _now(session))
        job.attempts = 0
        job.finished_at = None
        return job


def list_jobs(session: Session, status: str | None = None, limit: int = 200) -> list[Job]:
    """Jobs, newest first; ``status`` narrows to one of :data:`STATUSES`."""
    if status is not None and status not in STATUSES:
        raise JobError(f"unknown job status {status!r}; expected one of {', '.join(STATUSES)}")
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if status is not None:
        query = query.where(Job.status == status)
    return list(session.scalars(query))


def job_views(session: Session, listed: Sequence[Job]) -> list[dict[str, Any]]:
    """JSON-ready rows for staff (CLI, API): the ticket by its number, no personal data."""
    ticket_ids = {job.ticket_id for job in listed if job.ticket_id is not None}
    rows = session.execute(select(Ticket.id, Ticket.number).where(Ticket.id.in_(ticket_ids)))
    numbers = {job_ticket: number for job_ticket, number in rows}
    return [
        {
            "id": job.id,
            "kind": job.kind,
            "status": job.status,
            "attempts": job.attempts,
            "ticket": numbers.get(job.ticket_id) if job.ticket_id is not None else None,
            "recording_id": job.recording_id,
            "leased_by": job.leased_by,
            "lease_expires_at": _iso(job.lease_expires_at),
            "last_error": job.last_error,
            "created_at": _iso(job.created_at),
            "updated_at": _iso(job.updated_at),
            "finished_at": _iso(job.finished_at),
        }
        for job in listed
    ]


def _iso(moment: datetime | None) -> str | None:
    """ISO 8601 with offset; SQLite hands back naive datetimes, which are UTC."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def _requeue(job: Job, now: datetime) -> None:
    job.status = QUEUED
    job.leased_by = None
    job.lease_expires_at = None
    job.updated_at = now


def _park(job: Job, error: str, now: datetime) -> None:
    """Failed for good (until retried); ``leased_by`` keeps the worker that tried last."""
    job.status = FAILED
    job.last_error = error
    job.lease_expires_at = None
    job.finished_at = now
    job.updated_at = now
