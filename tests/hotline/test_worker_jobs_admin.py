"""Staff see parked jobs and put them back: ``hotline jobs`` and ``/jobs``."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.config import Settings
from hotline.tickets import register_ticket
from storage import jobs
from storage.db import Database

HOTLINE = Path(sys.executable).with_name("hotline")


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


def _hotline(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HOTLINE), *args], capture_output=True, text=True, timeout=120, check=False)


def test_cli_lists_the_parked_job_with_its_error_and_retries_it(parked) -> None:
    job_id, number = parked

    listed = _hotline("jobs", "list", "--status", "failed", "--json")
    assert listed.returncode == 0, listed.stderr
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (row["id"], row["ticket"], row["status"], row["attempts"]) == (job_id, number, "failed", 1)
    assert row["last_error"].startswith("AudioMissing")

    table = _hotline("jobs", "list")
    assert f"ticket={number}" in table.stdout and "error: AudioMissing" in table.stdout

    retried = _hotline("jobs", "retry", str(job_id))
    assert retried.returncode == 0 and f"job {job_id} queued again" in retried.stdout
    [row] = [json.loads(line) for line in _hotline("jobs", "list", "--json").stdout.splitlines()]
    assert (row["status"], row["attempts"]) == ("queued", 0)


def test_cli_refuses_what_cannot_be_done_with_one_line(parked) -> None:
    job_id, _ = parked
    assert _hotline("jobs", "retry", str(job_id)).returncode == 0  # now queued, no longer failed
    refusals = {
        ("jobs", "retry", str(job_id)): f"job {job_id} is queued; only failed jobs can be retried",
        ("jobs", "retry", "999"): "job 999 does not exist",
        ("jobs", "list", "--status", "stuck"): "unknown job status 'stuck'",
    }
    for args, message in refusals.items():
        result = _hotline(*args)
        assert result.returncode == 1, args
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr


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
