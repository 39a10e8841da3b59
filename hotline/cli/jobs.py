"""``hotline jobs list|retry``: see the background queue and put parked jobs back."""
from __future__ import annotations

import json

import typer

from hotline.cli.common import CliError, database
from storage import jobs

jobs_app = typer.Typer(help="The background job queue (transcription of recorded calls).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(jobs_app, name="jobs")


@jobs_app.command("list")
def list_command(
    status: str | None = typer.Option(None, help=f"only jobs that are {' | '.join(jobs.STATUSES)}"),
    limit: int = typer.Option(200, min=1, help="newest first, at most this many"),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per job"),
) -> None:
    """Jobs, newest first; failed ones show the error that parked them."""
    with database().read() as session:
        try:
            views = jobs.job_views(session, jobs.list_jobs(session, status=status, limit=limit))
        except jobs.JobError as exc:
            raise CliError(str(exc)) from exc
    for view in views:
        if as_json:
            typer.echo(json.dumps(view, ensure_ascii=False))
            continue
        line = f"{view['id']:>6} {view['kind']:<10} {view['status']:<8} tries={view['attempts']} ticket={view['ticket']}"
        if view["status"] == jobs.RUNNING:
            line += f" by {view['leased_by']} until {view['lease_expires_at']}"
        if view["last_error"] and view["status"] != jobs.DONE:
            line += f"  error: {view['last_error'].splitlines()[0]}"
        typer.echo(line)
    if not as_json:
        typer.echo(f"{len(views)} job(s)", err=True)


@jobs_app.command("retry")
def retry_command(job_id: int = typer.Argument(..., help="the id shown by 'hotline jobs list'")) -> None:
    """Queue a failed (parked) job again, with a fresh set of attempts."""
    try:
        job = jobs.retry(database(), job_id)
    except jobs.JobError as exc:
        raise CliError(str(exc)) from exc
    typer.echo(f"job {job.id} queued again")
