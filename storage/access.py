"""Recording retrieval: who may listen, the audit of every attempt, and verified bytes.

Only an active supervisor holding an unrevoked grant may retrieve a recording:
a grant for all recordings, or for the department the ticket is routed to;
confidential tickets (reports against staff) only with a grant for all or for the
discipline department. A purpose from ``PURPOSES`` is required. Every attempt is
written to the audit log before a single byte leaves, and every retrieval checks
the SHA-256 recorded at registration: changed content is refused and the
mismatch audited. Ranged reads (a player seeking) reuse a recent full
verification of the same object version instead of re-reading the whole file.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from storage import audit, recordings
from storage.db import Database
from storage.models import Recording, RecordingGrant, Ticket, User
from storage.objectstore import (
    CHUNK_SIZE,
    ObjectNotFound,
    ObjectStore,
    ObjectStoreError,
    StoreUnavailable,
)
from storage.objectstore.local import read_file_range

SUPERVISOR = "supervisor"  # the role name of hotline.access (storage does not import hotline)
SCOPE_ALL = "all"
DISCIPLINE_SCOPE = "jijian"  # 纪检监察: may also hear confidential tickets
PURPOSES = ("核对通话内容", "投诉处理", "监管监察")
CONTENT_TYPE = "audio/wav"
IN_MEMORY_LIMIT = 64 * 1024 * 1024  # larger recordings are verified in a first pass, then streamed
VERIFY_CHUNK_SIZE = 1024 * 1024  # big reads while hashing: fewer Python round trips per byte

GRANTED = "granted"  # the audit result of an allowed attempt; refusals carry their own
T = TypeVar("T")


class Requester(Protocol):
    id: int
    username: str
    role: str
    active: bool


class AccessError(Exception):
    """A refused or failed retrieval: ``status`` is its HTTP status, ``result`` its audit result."""

    status = 400
    result = "refused"

    def __init__(self, message: str, *, size: int | None = None) -> None:
        super().__init__(message)
        self.size = size


class Refused(AccessError):
    status = 403


class InvalidPurpose(AccessError):
    status = 400


class RecordingMissing(AccessError):
    status, result = 404, "not_found"


class RecordingGone(AccessError):
    status, result = 410, "gone"


class RangeNotSatisfiable(AccessError):
    status, result = 416, "bad_range"


class ContentChanged(AccessError):
    status, result = 409, "mismatch"


class Unavailable(AccessError):
    status, result = 503, "unavailable"


class NotSupported(AccessError):
    status, result = 400, "unsupported"


# -- grants --------------------------------------------------------------------------------
def active_grants(session: Session, user_id: int) -> Sequence[RecordingGrant]:
    return session.scalars(
        select(RecordingGrant)
        .where(RecordingGrant.user_id == user_id, RecordingGrant.revoked_at.is_(None))
        .order_by(RecordingGrant.id)
    ).all()


def list_grants(session: Session, *, include_revoked: bool = False) -> list[tuple[RecordingGrant, str]]:
    """Grants with their holder's username."""
    query = select(RecordingGrant, User.username).join(User, User.id == RecordingGrant.user_id)
    if not include_revoked:
        query = query.where(RecordingGrant.revoked_at.is_(None))
    return [(grant, username) for grant, username in session.execute(query.order_by(RecordingGrant.id)).all()]


def grant(session: Session, *, user: User, scope: str, granted_by: str) -> RecordingGrant:
    """Authorise a supervisor for all recordings (``"all"``) or one department's; audited."""
    scope = scope.strip()
    if not scope:
        raise ValueError("a grant needs a scope: 'all' or a department code")
    if user.role != SUPERVISOR:
        raise ValueError(f"only supervisors can hold recording grants; {user.username} is {user.role}")
    for existing in active_grants(session, user.id):
        if existing.scope == scope:
            return existing
    created = RecordingGrant(user_id=user.id, scope=scope, granted_by=granted_by)
    session.add(created)
    session.flush()
    audit.append(session, actor=granted_by, action="grant", result="done", detail=f"{user.username}: {scope}")
    return created


def revoke(session: Session, grant_id: int, *, revoked_by: str) -> RecordingGrant:
    found = session.get(RecordingGrant, grant_id)
    if found is None:
        raise LookupError(f"no recording grant {grant_id}")
    if found.revoked_at is None:
        found.revoked_at = datetime.now(UTC)
        found.revoked_by = revoked_by
        holder = session.get_one(User, found.user_id)
        audit.append(
            session, actor=revoked_by, action="revoke", result="done", detail=f"{holder.username}: {found.scope}"
        )
    session.flush()
    return found


class TicketLike(Protocol):
    department: str | None
    confidential: bool


class ScopeLike(Protocol):
    scope: str


def refusal(user: Requester, ticket: TicketLike, grants: Iterable[ScopeLike]) -> str | None:
    """Why ``user`` may not retrieve this ticket's recordings, or ``None`` if they may.

    ``grants``: the user's active grants (rows or objects with a ``scope``).
    """
    if user.role != SUPERVISOR or not user.active:
        return "only supervisors with a recording grant may retrieve recordings"
    scopes = {g.scope for g in grants}
    if not scopes:
        return "no active recording grant"
    if SCOPE_ALL in scopes:
        return None
    if ticket.confidential:
        if DISCIPLINE_SCOPE in scopes:
            return None
        return "confidential ticket: needs a grant for all recordings or for the discipline department"
    if ticket.department and ticket.department in scopes:
        return None
    return f"no grant covers department {ticket.department or '(not routed)'}"


# -- verification cache -------------------------------------------------------------------------
class VerificationCache:
    """Object versions whose full SHA-256 matched recently, so seeks need not re-read everything."""

    def __init__(self, ttl_seconds: float = 60.0, max_entries: int = 4096) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._verified: OrderedDict[tuple[str, ...], float] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, key: tuple[str, ...]) -> bool:
        with self._lock:
            at = self._verified.get(key)
            if at is None or time.monotonic() - at > self._ttl:
                self._verified.pop(key, None)
                return False
            return True

    def add(self, key: tuple[str, ...]) -> None:
        with self._lock:
            self._verified[key] = time.monotonic()
            self._verified.move_to_end(key)
            while len(self._verified) > self._max:
                self._verified.popitem(last=False)

    def discard(self, key: tuple[str, ...]) -> None:
        with self._lock:
            self._verified.pop(key, None)


# -- ranges ----------------------------------------------------------------------------------
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one byte range asked for, inclusive; ``None`` means the whole object.

    Malformed or multi-range headers are ignored (the whole object is sent), as
    HTTP allows; a range starting beyond the end is not satisfiable.
    """
    match = _RANGE.match(header) if header else None
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":
        suffix = int(last)
        if suffix == 0:
            raise RangeNotSatisfiable("empty suffix range", size=size)
        return max(size - suffix, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise RangeNotSatisfiable(f"range {header.strip()} outside 0-{size - 1}", size=size)
    return start, end


# -- retrieval ----------------------------------------------------------------------------------
@dataclass
class OpenedRecording:
    """An authorised, audited, verified recording ready to be streamed."""

    recording_id: int
    ticket_number: str
    size: int
    sha256: str
    start: int
    end: int
    partial: bool
    chunks: Iterable[bytes]
    in_memory: bool  # already read and verified: iterating does no I/O
    content_type: str = CONTENT_TYPE

    @property
    def content_length(self) -> int:
        return self.end - self.start + 1

    @property
    def content_range(self) -> str:
        return f"bytes {self.start}-{self.end}/{self.size}"


@dataclass(frozen=True)
class _Target:
    id: int
    ticket_number: str
    status: str
    key: str
    version_id: str | None
    backend: str | None
    spool_path: str | None
    size: int
    sha256: str

    @property
    def cache_key(self) -> tuple[str, ...]:
        return (self.backend or "", self.key, self.version_id or "", self.sha256)


_TARGET_COLUMNS = (
    Recording.id,
    Ticket.number.label("ticket_number"),
    Recording.status,
    Recording.key,
    Recording.version_id,
    Recording.backend,
    Recording.spool_path,
    Recording.size,
    Recording.sha256,
)


_TARGET = (
    select(*_TARGET_COLUMNS, Ticket.department, Ticket.confidential)
    .join(Ticket, Ticket.id == Recording.ticket_id)
    .where(Recording.id == bindparam("recording_id"))
)
_ACTIVE_SCOPES = select(RecordingGrant.scope).where(
    RecordingGrant.user_id == bindparam("user_id"), RecordingGrant.revoked_at.is_(None)
)


class _Attempt:
    """One retrieval attempt: the decision and its audit entry, then verified reading."""

    def __init__(
        self, db: Database, user: Requester, action: str, recording_id: int, purpose: str | None, client: str | None
    ) -> None:
        self.db, self.user, self.action = db, user, action
        self.recording_id, self.purpose, self.client = recording_id, purpose, client
        self.ticket_number: str | None = None

    def _append(self, session: Session, result: str, detail: str | None = None) -> None:
        audit.append(
            session,
            actor=self.user.username,
            action=self.action,
            result=result,
            recording_id=self.recording_id,
            ticket_number=self.ticket_number,
            purpose=self.purpose,
            client=self.client,
            detail=detail,
        )

    def refuse(self, error: AccessError) -> AccessError:
        """Log a failure found after the grant (its own transaction); returns ``error`` to raise."""
        with self.db.write() as session:
            self._append(session, error.result, str(error))
        return error

    def authorise(self, then: Callable[[_Target], T] = lambda target: None) -> tuple[_Target, T]:
        """Decide, run ``then`` (further checks that may refuse too), and log the outcome.

        Decision and audit entry are one transaction, committed before this returns,
        so no byte can be served before the attempt is on record. Refusals raise.
        """
        with self.db.write() as session:
            try:
                target = self._decide(session)
                prepared = then(target)
            except AccessError as error:
                self._append(session, error.result, str(error))
                refused: AccessError | None = error
            else:
                self._append(session, GRANTED)
                refused = None
        if refused is not None:
            raise refused
        return target, prepared

    def _decide(self, session: Session) -> _Target:
        user = self.user
        if user.role != SUPERVISOR or not user.active:
            raise Refused("only supervisors with a recording grant may retrieve recordings")
        if self.purpose not in PURPOSES:
            raise InvalidPurpose(f"a purpose is required: one of {', '.join(PURPOSES)}")
        connection = session.connection()  # Core statements: this runs on every recording access
        found = connection.execute(_TARGET, {"recording_id": self.recording_id}).first()
        if found is None:
            raise RecordingMissing(f"no recording {self.recording_id}")
        self.ticket_number = found.ticket_number
        scopes = connection.execute(_ACTIVE_SCOPES, {"user_id": user.id}).all()
        reason = refusal(user, found, scopes)  # the row has the ticket's department and confidential flag
        if reason is not None:
            raise Refused(reason)
        if found.status == recordings.PURGED:
            raise RecordingGone(f"recording {found.id} was deleted after its retention period")
        return _Target(*found[: len(_TARGET_COLUMNS)])

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Store failures → audited ``AccessError``s."""
        try:
            yield
        except StoreUnavailable as exc:
            raise self.refuse(Unavailable("the recording store is not reachable; try again shortly")) from exc
        except (ObjectStoreError, OSError) as exc:
            raise self.refuse(RecordingMissing(f"recording {self.recording_id} cannot be read: {exc}")) from exc

    def check(self, digest: str, target: _Target, cache: VerificationCache | None) -> None:
        """Refuse (audited) content whose SHA-256 is not the one recorded; remember a match."""
        if digest != target.sha256:
            if cache is not None:
                cache.discard(target.cache_key)
            detail = f"recording {target.id} has changed since it was recorded (SHA-256 {digest}); it is not served"
            raise self.refuse(ContentChanged(detail))
        if cache is not None and target.status == recordings.STORED:
            cache.add(target.cache_key)


def _fetch_and_hash(store: ObjectStore, target: _Target, keep: bool) -> tuple[str, list[bytes]]:
    """The SHA-256 of the whole content, hashed as it arrives; the chunks too if ``keep``."""
    digest, kept = hashlib.sha256(), []
    for chunk in _read(store, target, chunk_size=VERIFY_CHUNK_SIZE):
        digest.update(chunk)
        if keep:
            kept.append(chunk)
    return digest.hexdigest(), kept


def _read(
    store: ObjectStore, target: _Target, start: int = 0, end: int | None = None, chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    if target.status == recordings.STORED:
        return store.stream(target.key, target.version_id, start=start, end=end, chunk_size=chunk_size)
    if not target.spool_path:
        raise ObjectNotFound(f"recording {target.id} has neither a stored object nor a spool file")
    return read_file_range(Path(target.spool_path), start, end, chunk_size)


def _slice(chunks: list[bytes], start: int, end: int) -> Iterator[bytes]:
    """Bytes ``start``..``end`` of a list of chunks, without joining them."""
    offset = 0
    for chunk in chunks:
        chunk_end = offset + len(chunk)
        if chunk_end > start and offset <= end:
            yield chunk[max(start - offset, 0) : min(end - offset + 1, len(chunk))]
        offset = chunk_end
        if offset > end:
            return


def open_recording(
    db: Database,
    store: ObjectStore,
    *,
    user: Requester,
    recording_id: int,
    purpose: str | None,
    client: str | None,
    byte_range: str | None = None,
    verified: VerificationCache | None = None,
) -> OpenedRecording:
    """Authorise, audit, verify; then the (partial) content as chunks. Raises ``AccessError``."""
    attempt = _Attempt(db, user, "listen", recording_id, purpose, client)
    target, wanted = attempt.authorise(lambda target: parse_range(byte_range, target.size))
    start, end = wanted if wanted is not None else (0, target.size - 1)
    seek = wanted is not None and verified is not None and target.cache_key in verified
    in_memory = not seek and target.size <= IN_MEMORY_LIMIT
    with attempt.reading():
        if seek:  # within a version verified moments ago: just the range
            chunks: Iterable[bytes] = _read(store, target, start, end)
        elif in_memory:  # read and hash once, serve from what was read
            digest, kept = _fetch_and_hash(store, target, keep=True)
            attempt.check(digest, target, verified)
            chunks = _slice(kept, start, end)
        else:  # too big to hold: a verifying pass, then the bytes asked for
            attempt.check(_fetch_and_hash(store, target, keep=False)[0], target, verified)
            chunks = _read(store, target, start, end)
    return OpenedRecording(
        recording_id=target.id,
        ticket_number=target.ticket_number,
        size=target.size,
        sha256=target.sha256,
        start=start,
        end=end,
        partial=wanted is not None,
        chunks=chunks,
        in_memory=in_memory,
    )


def presign_recording(
    db: Database,
    store: ObjectStore,
    *,
    user: Requester,
    recording_id: int,
    purpose: str | None,
    client: str | None,
    expires_seconds: int,
    verified: VerificationCache | None = None,
) -> str:
    """A short-lived S3 URL for the verified object version; authorised and audited like a download."""
    attempt = _Attempt(db, user, "presign", recording_id, purpose, client)

    def presignable(target: _Target) -> None:
        if not store.can_presign:
            raise NotSupported("presigned URLs need the S3 backend; stream the audio instead")
        if target.status != recordings.STORED:
            raise RecordingMissing(f"recording {recording_id} is not in the object store yet")

    target, _ = attempt.authorise(presignable)
    with attempt.reading():
        if verified is None or target.cache_key not in verified:
            attempt.check(_fetch_and_hash(store, target, keep=False)[0], target, verified)
        return store.presigned_url(target.key, target.version_id, expires_seconds=expires_seconds)
