"""Recording endpoints: list a ticket's recordings, stream audio or hand out a presigned URL
(supervisors with a grant, a purpose, every attempt audited), legal holds, and grants.

The decisions live in ``storage.access``; this module only speaks HTTP: ranges
(206/416) so a browser player can seek, and errors as ``{"detail": ...}``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from hotline import access, tickets
from hotline.api.deps import CurrentUser, DatabaseDep, SettingsDep, require_roles
from hotline.stores import recording_store
from storage import access as recording_access
from storage import recordings
from storage import users as user_store
from storage.audit import as_utc
from storage.db import Database
from storage.models import Recording, RecordingGrant, User
from storage.objectstore import ObjectStore, ObjectStoreError, StoreUnavailable

router = APIRouter(tags=["recordings"])
PURPOSE_HELP = "why the recording is needed: " + " / ".join(recording_access.PURPOSES)


def get_store(request: Request) -> ObjectStore:
    """The app's recording store, opened on first use."""
    state = request.app.state
    if getattr(state, "recording_store", None) is None:
        state.recording_store = recording_store(state.settings)
    return state.recording_store


def get_verified(request: Request) -> recording_access.VerificationCache:
    """Recent full verifications, so a seeking player does not re-read the whole recording each time."""
    state = request.app.state
    if getattr(state, "recording_verified", None) is None:
        state.recording_verified = recording_access.VerificationCache()
    return state.recording_verified


StoreDep = Annotated[ObjectStore, Depends(get_store)]
VerifiedDep = Annotated[recording_access.VerificationCache, Depends(get_verified)]
Supervisor = Annotated[User, Depends(require_roles(access.SUPERVISOR))]
Admin = Annotated[User, Depends(require_roles(access.ADMIN))]


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _refused(exc: recording_access.AccessError) -> JSONResponse:
    headers = {"Content-Range": f"bytes */{exc.size}"} if exc.status == 416 and exc.size is not None else None
    return JSONResponse({"detail": str(exc)}, status_code=exc.status, headers=headers)


def recording_view(recording: Recording) -> dict[str, Any]:
    return {
        "id": recording.id,
        "recorded_at": as_utc(recording.recorded_at).isoformat(),
        "duration_seconds": recording.duration_seconds,
        "size": recording.size,
        "sha256": recording.sha256,
        "codec": recording.codec,
        "status": recording.status,
        "backend": recording.backend,
        "retain_until": as_utc(recording.retain_until).isoformat(),
        "legal_hold": recording.legal_hold,
        "audio": f"/recordings/{recording.id}/audio",
    }


async def _without_threads(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    """Verified bytes already in memory: sent from the event loop, not a thread per chunk."""
    for chunk in chunks:
        yield chunk


@router.get("/tickets/{number}/recordings")
def ticket_recordings(number: str, user: CurrentUser, db: DatabaseDep) -> list[dict[str, Any]]:
    """The ticket's recordings (metadata only) for anyone who may see the ticket."""
    with db.read() as session:
        ticket = tickets.visible_ticket(session, user, number)
        return [recording_view(r) for r in recordings.for_ticket(session, ticket.id)]


@router.get("/recordings/{recording_id}/audio", response_model=None)
def audio(
    *,
    recording_id: int,
    request: Request,
    purpose: str | None = Query(None, description=PURPOSE_HELP),
    byte_range: str | None = Header(None, alias="Range"),
    user: CurrentUser,
    db: DatabaseDep,
    store: StoreDep,
    verified: VerifiedDep,
) -> StreamingResponse | JSONResponse:
    """Stream the audio (``Range`` supported) once authorised, audited and verified."""
    try:
        opened = recording_access.open_recording(
            db,
            store,
            user=user,
            recording_id=recording_id,
            purpose=purpose,
            client=_client(request),
            byte_range=byte_range,
            verified=verified,
        )
    except recording_access.AccessError as exc:
        return _refused(exc)
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Length": str(opened.content_length),
        "Cache-Control": "no-store",
        "ETag": f'"{opened.sha256}"',
        "Content-Disposition": f'inline; filename="{opened.ticket_number}-{opened.recording_id}.wav"',
    }
    if opened.partial:
        headers["Content-Range"] = opened.content_range
    return StreamingResponse(
        _without_threads(opened.chunks) if opened.in_memory else opened.chunks,
        status_code=status.HTTP_206_PARTIAL_CONTENT if opened.partial else status.HTTP_200_OK,
        media_type=opened.content_type,
        headers=headers,
    )


@router.get("/recordings/{recording_id}/presigned", response_model=None)
def presigned(
    *,
    recording_id: int,
    request: Request,
    purpose: str | None = Query(None, description=PURPOSE_HELP),
    user: CurrentUser,
    db: DatabaseDep,
    settings: SettingsDep,
    store: StoreDep,
    verified: VerifiedDep,
) -> dict[str, Any] | JSONResponse:
    """A short-lived S3 URL for the recording (S3 backend only); authorised and audited like a download."""
    try:
        url = recording_access.presign_recording(
            db,
            store,
            user=user,
            recording_id=recording_id,
            purpose=purpose,
            client=_client(request),
            expires_seconds=settings.s3_presign_seconds,
            verified=verified,
        )
    except recording_access.AccessError as exc:
        return _refused(exc)
    return {"url": url, "expires_in": settings.s3_presign_seconds}


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=4000, pattern=r"\S", description="why (e.g. the appeal or dispute)")


def _set_hold(
    db: Database, store: ObjectStore, recording_id: int, user: User, body: ReasonIn, on: bool
) -> dict[str, Any]:
    try:
        recording = recordings.set_legal_hold(db, store, recording_id, on=on, actor=user.username, reason=body.reason)
    except recordings.RecordingNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no recording {recording_id}") from None
    except StoreUnavailable:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "the recording store is not reachable; nothing changed"
        ) from None
    except ObjectStoreError as exc:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, f"the recording store refused: {exc}") from None
    return recording_view(recording)


@router.post("/recordings/{recording_id}/hold")
def hold(recording_id: int, body: ReasonIn, user: Supervisor, db: DatabaseDep, store: StoreDep) -> dict[str, Any]:
    """Legal hold: keep the recording beyond its retain-until date until released."""
    return _set_hold(db, store, recording_id, user, body, on=True)


@router.post("/recordings/{recording_id}/release")
def release(recording_id: int, body: ReasonIn, user: Supervisor, db: DatabaseDep, store: StoreDep) -> dict[str, Any]:
    """Release a legal hold; the normal retention applies again."""
    return _set_hold(db, store, recording_id, user, body, on=False)


# -- grants (administrators) ---------------------------------------------------------------
class GrantIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    scope: str = Field(min_length=1, max_length=32, pattern=r"^[a-z_]+$", description="'all' or a department code")


def grant_view(grant: RecordingGrant, username: str) -> dict[str, Any]:
    return {
        "id": grant.id,
        "username": username,
        "scope": grant.scope,
        "granted_by": grant.granted_by,
        "granted_at": as_utc(grant.granted_at).isoformat(),
        "revoked_by": grant.revoked_by,
        "revoked_at": as_utc(grant.revoked_at).isoformat() if grant.revoked_at else None,
    }


@router.get("/recording-grants")
def list_grants(*, include_revoked: bool = False, _: Admin, db: DatabaseDep) -> list[dict[str, Any]]:
    with db.read() as session:
        return [
            grant_view(g, name) for g, name in recording_access.list_grants(session, include_revoked=include_revoked)
        ]


@router.post("/recording-grants", status_code=status.HTTP_201_CREATED)
def add_grant(body: GrantIn, user: Admin, db: DatabaseDep) -> dict[str, Any]:
    """Authorise a supervisor to retrieve all recordings (``all``) or one department's."""
    with db.write() as session:
        holder = user_store.get_by_username(session, body.username)
        if holder is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user {body.username}")
        try:
            created = recording_access.grant(session, user=holder, scope=body.scope, granted_by=user.username)
        except ValueError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
        return grant_view(created, holder.username)


@router.post("/recording-grants/{grant_id}/revoke")
def revoke_grant(grant_id: int, user: Admin, db: DatabaseDep) -> dict[str, Any]:
    with db.write() as session:
        try:
            revoked = recording_access.revoke(session, grant_id, revoked_by=user.username)
        except LookupError:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no recording grant {grant_id}") from None
        return grant_view(revoked, session.get_one(User, revoked.user_id).username)
