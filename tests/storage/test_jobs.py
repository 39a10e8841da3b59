"""The durable job queue, on SQLite and (with HOTLINE_TEST_DATABASE_URL) PostgreSQL."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from concurrently import run_concurrently
from sqlalchemy import func, select, update

from storage import jobs
from storage.db import Database
from storage.models import Job, Ticket, Transcript
from storage.transcripts import add_transcript, latest_for_ticket

LONG_LEASE = 600.0


def _ticket(session, number: str = "202401010001") -> Ticket:
    """A bare ticket row: the queue only needs something for jobs to point at."""
    ticket = Ticket(number=number, channel="phone", status="registered", content="", created_by="test")
    session.add(ticket)
    session.flush()
    return ticket


def _queue(db: Database, count: int = 1, kind: str = jobs.TRANSCRIBE) -> list[int]:
    with db.write() as session:
        ticket = _ticket(session)
        return [jobs.enqueue(session, kind=kind, ticket_id=ticket.id).id for _ in range(count)]


def _let_lease_expire(db: Database, job_id: int) -> None:
    """Stand-in for the passing of time after a worker died: its lease lies in the past."""
    with db.write() as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(lease_expires_at=datetime.now(UTC) - timedelta(hours=1))
        )


def _store_result(db: Database, job: Job, worker_id: str) -> None:
    """What a worker does on success: result and completion in one transaction."""
    with db.write() as session:
        jobs.complete(session, job.id, worker_id)
        add_transcript(
            session,
            ticket_id=job.ticket_id,
            recording_id=None,
            text=f"heard by {worker_id}",
            empty=False,
            segments=[],
            model="test",
            settings={},
            audio_seconds=1.0,
            processing_seconds=0.1,
        )


def _job(db: Database, job_id: int) -> Job:
    """The job as stored now, detached so it can be inspected after the session ends."""
    with db.read() as session:
        job = session.get(Job, job_id)
        session.expunge(job)
        return job


def test_enqueue_happens_in_the_callers_transaction(db: Database) -> None:
    with pytest.raises(RuntimeError), db.write() as session:
        ticket = _ticket(session)
        jobs.enqueue(session, kind=jobs.TRANSCRIBE, ticket_id=ticket.id)
        raise RuntimeError("registration failed")
    with db.read() as session:
        assert jobs.list_jobs(session) == []


def test_a_leased_job_is_not_handed_out_twice(db: Database) -> None:
    [job_id] = _queue(db)
    job = jobs.lease(db, "worker-a", LONG_LEASE)
    assert job is not None and job.id == job_id
    assert (job.status, job.leased_by, job.attempts) == ("running", "worker-a", 1)
    assert jobs.lease(db, "worker-b", LONG_LEASE) is None


def test_jobs_are_leased_oldest_first_and_filtered_by_kind(db: Database) -> None:
    first, second = _queue(db, 2)
    with db.write() as session:
        other = jobs.enqueue(session, kind="reindex", ticket_id=None).id
    assert jobs.lease(db, "w", LONG_LEASE, kinds=["reindex"]).id == other
    assert jobs.lease(db, "w", LONG_LEASE, kinds=[jobs.TRANSCRIBE]).id == first
    assert jobs.lease(db, "w", LONG_LEASE).id == second


def test_a_dead_workers_expired_lease_is_leased_again_and_the_job_finishes_once(db: Database) -> None:
    [job_id] = _queue(db)
    dead = jobs.lease(db, "dead-worker", LONG_LEASE)
    assert jobs.lease(db, "live-worker", LONG_LEASE) is None

    _let_lease_expire(db, job_id)
    taken_over = jobs.lease(db, "live-worker", LONG_LEASE)
    assert taken_over is not None and taken_over.id == job_id
    assert taken_over.attempts == 2

    # The first worker wakes up late: it can neither renew nor store its result.
    assert jobs.renew(db, job_id, "dead-worker", LONG_LEASE) is False
    with pytest.raises(jobs.LeaseLost):
        _store_result(db, dead, "dead-worker")
    _store_result(db, taken_over, "live-worker")

    with db.read() as session:
        transcripts = session.scalars(select(Transcript)).all()
        assert [t.text for t in transcripts] == ["heard by live-worker"]
        assert latest_for_ticket(session, taken_over.ticket_id).text == "heard by live-worker"
    job = _job(db, job_id)
    assert job.status == "done" and job.finished_at is not None
    assert jobs.lease(db, "live-worker", LONG_LEASE) is None


def test_renew_extends_only_our_own_lease(db: Database) -> None:
    [job_id] = _queue(db)
    jobs.lease(db, "worker-a", 1.0)
    before = _job(db, job_id).lease_expires_at
    assert jobs.renew(db, job_id, "worker-a", LONG_LEASE) is True
    assert _job(db, job_id).lease_expires_at > before
    assert jobs.renew(db, job_id, "worker-b", LONG_LEASE) is False


def test_renew_refuses_once_the_lease_was_lost(db: Database) -> None:
    [job_id] = _queue(db)
    jobs.lease(db, "worker-a", LONG_LEASE)
    _let_lease_expire(db, job_id)
    jobs.lease(db, "worker-b", LONG_LEASE)
    assert jobs.renew(db, job_id, "worker-a", LONG_LEASE) is False
    assert _job(db, job_id).leased_by == "worker-b"


def test_a_job_failing_repeatedly_is_parked_with_its_error(db: Database) -> None:
    [job_id] = _queue(db)
    for attempt in (1, 2):
        job = jobs.lease(db, "w", LONG_LEASE)
        after = jobs.fail(db, job.id, "w", f"audio missing ({attempt})", max_attempts=3)
        assert (after.status, after.attempts, after.last_error) == ("queued", attempt, f"audio missing ({attempt})")
    job = jobs.lease(db, "w", LONG_LEASE)
    parked = jobs.fail(db, job.id, "w", "audio missing (3)", max_attempts=3)

    assert (parked.status, parked.attempts, parked.last_error) == ("failed", 3, "audio missing (3)")
    assert jobs.lease(db, "w", LONG_LEASE) is None
    with db.read() as session:
        assert [j.id for j in jobs.list_jobs(session, status="failed")] == [job_id]


def test_fail_by_a_worker_that_lost_the_lease_changes_nothing(db: Database) -> None:
    [job_id] = _queue(db)
    jobs.lease(db, "worker-a", LONG_LEASE)
    _let_lease_expire(db, job_id)
    jobs.lease(db, "worker-b", LONG_LEASE)
    assert jobs.fail(db, job_id, "worker-a", "boom", max_attempts=1) is None
    job = _job(db, job_id)
    assert (job.status, job.leased_by, job.last_error) == ("running", "worker-b", None)


def test_a_job_whose_workers_keep_dying_is_parked_instead_of_leased_forever(db: Database) -> None:
    [job_id] = _queue(db)
    for _ in range(2):
        jobs.lease(db, "crashing-worker", LONG_LEASE, max_attempts=2)
        _let_lease_expire(db, job_id)
    assert jobs.lease(db, "next-worker", LONG_LEASE, max_attempts=2) is None
    job = _job(db, job_id)
    assert job.status == "failed"
    assert "lease expired 2 times" in job.last_error


def test_retry_requeues_a_parked_job_with_fresh_attempts(db: Database) -> None:
    [job_id] = _queue(db)
    job = jobs.lease(db, "w", LONG_LEASE)
    jobs.fail(db, job.id, "w", "audio missing", max_attempts=1)

    retried = jobs.retry(db, job_id)
    assert (retried.status, retried.attempts, retried.finished_at) == ("queued", 0, None)
    assert retried.last_error == "audio missing"  # kept, so staff still see why it had failed
    assert jobs.lease(db, "w", LONG_LEASE).id == job_id


def test_retry_refuses_jobs_that_are_not_parked(db: Database) -> None:
    [job_id] = _queue(db)
    with pytest.raises(jobs.JobNotRetryable, match="is queued"):
        jobs.retry(db, job_id)
    with pytest.raises(jobs.JobNotFound, match="job 999 does not exist"):
        jobs.retry(db, 999)


def test_release_gives_the_job_back_without_using_an_attempt(db: Database) -> None:
    [job_id] = _queue(db)
    jobs.lease(db, "stopping-worker", LONG_LEASE)
    assert jobs.release(db, job_id, "stopping-worker") is True
    job = _job(db, job_id)
    assert (job.status, job.attempts, job.leased_by) == ("queued", 0, None)
    assert jobs.release(db, job_id, "stopping-worker") is False


def test_list_jobs_filters_by_status_and_rejects_unknown_ones(db: Database) -> None:
    first, second = _queue(db, 2)
    jobs.lease(db, "w", LONG_LEASE)
    with db.read() as session:
        assert [j.id for j in jobs.list_jobs(session)] == [second, first]
        assert [j.id for j in jobs.list_jobs(session, status="running")] == [first]
        with pytest.raises(jobs.JobError, match="unknown job status 'lost'"):
            jobs.list_jobs(session, status="lost")


def test_racing_workers_never_take_the_same_job(db: Database) -> None:
    job_ids = _queue(db, 120)
    taken: list[tuple[int, str]] = []
    start = threading.Barrier(4)

    def work(worker_id: str) -> None:
        start.wait()
        while (job := jobs.lease(db, worker_id, LONG_LEASE)) is not None:
            taken.append((job.id, worker_id))
            _store_result(db, job, worker_id)

    run_concurrently(*(partial(work, f"worker-{n}") for n in range(4)))
    leases = Counter(job_id for job_id, _ in taken)
    assert sorted(leases) == job_ids
    assert set(leases.values()) == {1}
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Transcript)) == len(job_ids)
        assert {j.status for j in jobs.list_jobs(session)} == {"done"}
