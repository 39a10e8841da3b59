"""``hotline recordings list|show|grants|grant|revoke|hold|release|upload-pending``."""

from __future__ import annotations

import json
from typing import Any

import typer

from hotline import access
from hotline.api.recordings import grant_view, recording_view
from hotline.cli.common import CliError, database, settings
from hotline.cli.tickets import AS_USER, acting_user
from hotline.stores import recording_store
from recording.uploader import upload_pending
from storage import access as recording_access
from storage import recordings
from storage import users as user_store
from storage.audit import as_utc
from storage.models import User
from storage.objectstore import ObjectStoreError

recordings_app = typer.Typer(help="Call recordings: storage, legal holds, retrieval grants.", no_args_is_help=True)
JSON = typer.Option(False, "--json", help="JSON output, one object per line")


def register(app: typer.Typer) -> None:
    app.add_typer(recordings_app, name="recordings")


def _echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False))


def _acting(username: str, role: str) -> User:
    user = acting_user(username)
    if user.role != role:
        raise CliError(f"{username} is {user.role}; only the {role} role may do this")
    return user


@recordings_app.command("list")
def list_command(
    ticket: str | None = typer.Option(None, help="only this ticket's recordings"),
    status: str | None = typer.Option(None, help="spooled | stored | purged"),
    limit: int = typer.Option(50, min=1),
    as_json: bool = JSON,
) -> None:
    """Recordings, newest first (metadata only; audio goes through the API with a grant)."""
    with database().read() as session:
        rows = [
            (recording_view(r), number)
            for r, number in recordings.list_recordings(session, ticket_number=ticket, status=status, limit=limit)
        ]
    for view, number in rows:
        if as_json:
            _echo_json(view | {"ticket": number})
            continue
        hold = " HOLD" if view["legal_hold"] else ""
        typer.echo(
            f"{view['id']:>6} {number} {view['status']:<8} {view['size']:>10} B "
            f"recorded {view['recorded_at'][:19]} kept until {view['retain_until'][:10]}{hold}"
        )


@recordings_app.command("show")
def show(recording_id: int, as_json: bool = JSON) -> None:
    """One recording: where it is, its checksum, retention, and its hold history."""
    with database().read() as session:
        found = recordings.with_ticket(session, recording_id)
        if found is None:
            raise CliError(f"no recording {recording_id}")
        recording, ticket = found
        view = recording_view(recording) | {
            "ticket": ticket.number,
            "key": recording.key,
            "version_id": recording.version_id,
            "upload_attempts": recording.upload_attempts,
            "last_upload_error": recording.last_upload_error,
            "events": [
                {"action": e.action, "actor": e.actor, "reason": e.reason, "at": as_utc(e.at).isoformat()}
                for e in recordings.events(session, recording_id)
            ],
        }
    if as_json:
        _echo_json(view)
        return
    for key, value in view.items():
        if key != "events":
            typer.echo(f"{key:<18} {value}")
    for event in view["events"]:
        typer.echo(f"{event['at'][:19]} {event['action']:<8} {event['actor']}: {event['reason']}")


@recordings_app.command("grants")
def grants(
    include_revoked: bool = typer.Option(False, "--all", help="also revoked grants"), as_json: bool = JSON
) -> None:
    """Who may retrieve recordings."""
    with database().read() as session:
        views = [
            grant_view(g, name) for g, name in recording_access.list_grants(session, include_revoked=include_revoked)
        ]
    for view in views:
        if as_json:
            _echo_json(view)
        else:
            state = f"revoked by {view['revoked_by']}" if view["revoked_at"] else "active"
            typer.echo(f"{view['id']:>4} {view['username']:<20} {view['scope']:<12} by {view['granted_by']}  {state}")


@recordings_app.command("grant")
def grant(
    username: str,
    scope: str = typer.Option(..., help="'all' or a department code"),
    as_user: str = AS_USER,
) -> None:
    """Authorise a supervisor to retrieve recordings (an administrator's act; audited)."""
    admin = _acting(as_user, access.ADMIN)
    with database().write() as session:
        holder = user_store.get_by_username(session, username)
        if holder is None:
            raise CliError(f"no user {username!r}")
        try:
            created = recording_access.grant(session, user=holder, scope=scope, granted_by=admin.username)
        except ValueError as exc:
            raise CliError(str(exc)) from exc
        typer.echo(f"grant {created.id}: {username} may retrieve recordings of {scope}")


@recordings_app.command("revoke")
def revoke(grant_id: int, as_user: str = AS_USER) -> None:
    """Withdraw a grant (kept, marked revoked; audited)."""
    admin = _acting(as_user, access.ADMIN)
    with database().write() as session:
        try:
            recording_access.revoke(session, grant_id, revoked_by=admin.username)
        except LookupError as exc:
            raise CliError(str(exc)) from exc
    typer.echo(f"grant {grant_id} revoked")


def _hold(recording_id: int, reason: str, as_user: str, on: bool) -> None:
    supervisor = _acting(as_user, access.SUPERVISOR)
    try:
        recordings.set_legal_hold(
            database(), recording_store(settings()), recording_id, on=on, actor=supervisor.username, reason=reason
        )
    except recordings.RecordingNotFound:
        raise CliError(f"no recording {recording_id}") from None
    except (ValueError, ObjectStoreError) as exc:
        raise CliError(str(exc)) from exc
    typer.echo(f"recording {recording_id}: legal hold {'placed' if on else 'released'}")


@recordings_app.command("hold")
def hold(
    recording_id: int, reason: str = typer.Option(..., help="the appeal or dispute"), as_user: str = AS_USER
) -> None:
    """Keep a recording beyond its retention date until released (supervisors)."""
    _hold(recording_id, reason, as_user, on=True)


@recordings_app.command("release")
def release(recording_id: int, reason: str = typer.Option(...), as_user: str = AS_USER) -> None:
    """Release a legal hold (supervisors)."""
    _hold(recording_id, reason, as_user, on=False)


@recordings_app.command("upload-pending")
def upload_pending_command() -> None:
    """Upload the spooled recordings that are due now (the worker does this continuously)."""
    configured = settings()
    stored = upload_pending(database(), recording_store(configured), retry_seconds=configured.upload_retry_seconds)
    with database().read() as session:
        waiting = recordings.count(session, status=recordings.SPOOLED)
    typer.echo(f"{stored} recording(s) uploaded, {waiting} still in the spool")
