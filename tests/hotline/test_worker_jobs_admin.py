"""Staff see parked jobs and put them back: ``hotline jobs`` and ``/jobs``."""
from __future__ import annotations

import json

import pytest

from hotline.config import Settings
from hotline.tickets import register_ticket
from storage import jobs
from storage.db import Database


@pytest.fixture
def parked(db: Database, settings: Settings) -> tuple[int, str]:
    """A transcription job that failed its only attempt: (job id, ticket number)."""
    with db.write() as session:
        ticket = register_ticket(session, settings, channel="phone", actor="sip-agent", caller_phone="13812345678")
        job_id = jobs.enqueue(session, kind=jobs.TRANSCRIBE, ticket_id=ticket.id).id
        number = ticket.number
    jobs.lease(db, "worker-1", 600)
    jobs.fail(db, job_id, "worker-1", "AudioMissing: recording 7 is spooled and its spool file is gone", 1)
    return job_id, number


def test_cli_lists_the_parked_job_with_its_error_and_retries_it(parked, hotline) -> None:
    job_id, number = parked

    code, out, err = hotline("jobs", "list", "--status", "failed", "--json")
    assert code == 0, err
    [row] = [json.loads(line) for line in out.splitlines()]
    assert (row["id"], row["ticket"], row["status"], row["attempts"]) == (job_id, number, "failed", 1)
    assert row["last_error"].startswith("AudioMissing")

    _, table, _ = hotline("jobs", "list")
    assert f"ticket={number}" in table and "error: AudioMissing" in table

    code, out, _ = hotline("jobs", "retry", str(job_id))
    assert code == 0 and f"job {job_id} queued again" in out
    [row] = [json.loads(line) for line in hotline("jobs", "list", "--json")[1].splitlines()]
    assert (row["status"], row["attempts"]) == ("queued", 0)


def test_cli_refuses_what_cannot_be_done_with_one_line(parked, hotline) -> None:
    job_id, _ = parked
    assert hotline("jobs", "retry", str(job_id))[0] == 0  # now queued, no longer failed
    refusals = {
        ("jobs", "retry", str(job_id)): f"error: job {job_id} is queued; only failed jobs can be retried",
        ("jobs", "retry", "999"): "error: job 999 does not exist",
        ("jobs", "list", "--status", "stuck"): (
            "error: unknown job status 'stuck'; expected one of queued, running, done, failed"
        ),
    }
    for args, message in refusals.items():
        code, _, err = hotline(*args)
        assert code == 1, args
        assert err.strip() == message


def test_api_lists_and_retries_jobs_for_staff(parked, client, login, staff) -> None:
    job_id, number = parked
    dispatcher = login(staff["dispatcher"])

    listed = client.get("/jobs", params={"status": "failed"}, headers=dispatcher)
    assert listed.status_code == 200
    [row] = listed.json()
    assert (row["id"], row["ticket"], row["status"]) == (job_id, number, "failed")
    assert "13812345678" not in listed.text

    retried = client.post(f"/jobs/{job_id}/retry", headers=login(staff["supervisor"]))
    assert retried.status_code == 200
    assert (retried.json()["status"], retried.json()["attempts"]) == ("queued", 0)
    assert client.get("/jobs", params={"status": "failed"}, headers=dispatcher).json() == []


def test_api_errors_are_clear_4xx(parked, client, login, staff) -> None:
    job_id, _ = parked
    admin = login(staff["admin"])
    assert client.post(f"/jobs/{job_id}/retry", headers=admin).status_code == 200

    again = client.post(f"/jobs/{job_id}/retry", headers=admin)
    assert again.status_code == 409 and "only failed jobs can be retried" in again.json()["detail"]
    missing = client.post("/jobs/999/retry", headers=admin)
    assert missing.status_code == 404 and missing.json()["detail"] == "job 999 does not exist"
    bad = client.get("/jobs", params={"status": "stuck"}, headers=admin)
    assert bad.status_code == 422 and "unknown job status" in bad.json()["detail"]


@pytest.mark.parametrize("role", ["handler", "auditor"])
def test_api_is_for_intake_staff_only(parked, client, login, staff, role) -> None:
    job_id, _ = parked
    assert client.get("/jobs", headers=login(staff[role])).status_code == 403
    assert client.post(f"/jobs/{job_id}/retry", headers=login(staff[role])).status_code == 403
    assert client.get("/jobs").status_code == 401
