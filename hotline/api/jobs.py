"""The background job queue for staff: what is running, what failed and why, retry."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, status

from hotline.access import ADMIN, DISPATCHER, SUPERVISOR
from hotline.api.deps import DatabaseDep, require_roles
from storage import jobs
from storage.models import Job, User

router = APIRouter(prefix="/jobs", tags=["jobs"])
# Operators of the intake: job rows carry ticket numbers and errors, never complaint text.
staff = require_roles(DISPATCHER, SUPERVISOR, ADMIN)


@router.get("")
def list_jobs(
    *,
    job_status: str | None = Query(None, alias="status", description=" | ".join(jobs.STATUSES)),
    limit: int = Query(200, ge=1, le=1000),
    _: User = Depends(staff),
    db: DatabaseDep,
) -> list[dict[str, Any]]:
    """Jobs, newest first; failed (parked) jobs carry the error that parked them."""
    with db.read() as session:
        try:
            return jobs.job_views(session, jobs.list_jobs(session, status=job_status, limit=limit))
        except jobs.JobError as exc:
            raise HTTPException(422, str(exc)) from exc


@router.post("/{job_id}/retry")
def retry_job(*, job_id: int, _: User = Depends(staff), db: DatabaseDep) -> dict[str, Any]:
    """Queue a failed job again with a fresh set of attempts (409 if it is not failed)."""
    try:
        job = jobs.retry(db, job_id)
    except jobs.JobNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except jobs.JobNotRetryable as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    with db.read() as session:
        [view] = jobs.job_views(session, [session.get(Job, job.id)])
    return view
