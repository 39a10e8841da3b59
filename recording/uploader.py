"""Moves spooled recordings into the object store, with retries.

A recording's audio is first written to the local spool and registered as
``spooled``. This uploader sends it with its SHA-256 and retain-until date,
checks with a HEAD that the store holds exactly those bytes under that lock, and
only then marks it stored and removes the spool copy. If the store is down,
recordings stay in the spool and are retried with growing back-off; nothing is
lost and nothing is uploaded twice (writes are conditional and idempotent).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage import recordings
from storage.audit import as_utc
from storage.db import Database
from storage.objectstore import (
    ChecksumMismatch,
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    ObjectStoreError,
    StoreUnavailable,
)

log = logging.getLogger(__name__)

BATCH_SIZE = 50
CLAIM_SECONDS = 600.0  # an upload not finished by then (crashed uploader) is retried
MAX_BACKOFF_SECONDS = 900.0


@dataclass(frozen=True)
class _Pending:
    id: int
    key: str
    spool_path: str | None
    sha256: str
    size: int
    retain_until: datetime
    legal_hold: bool
    attempts: int  # including this one


class UploadFailed(ObjectStoreError):
    pass


def backoff(attempts: int, retry_seconds: float) -> float:
    return min(retry_seconds * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


def upload_pending(db: Database, store: ObjectStore, *, retry_seconds: float = 5.0, now: datetime | None = None) -> int:
    """Upload every spooled recording that is due; returns how many were stored."""
    stored = 0
    while True:
        moment = now or datetime.now(UTC)
        with db.write() as session:
            claimed = recordings.claim_pending(session, now=moment, limit=BATCH_SIZE, claim_seconds=CLAIM_SECONDS)
        batch = [
            _Pending(
                r.id, r.key, r.spool_path, r.sha256, r.size, as_utc(r.retain_until), r.legal_hold, r.upload_attempts
            )
            for r in claimed
        ]
        for index, pending in enumerate(batch):
            try:
                info = _upload(store, pending)
            except StoreUnavailable as exc:
                # The store is down: the rest of the batch would fail the same way.
                for waiting in batch[index:]:
                    _failed(db, waiting, exc, retry_seconds)
                return stored
            except (ObjectStoreError, OSError) as exc:
                _failed(db, pending, exc, retry_seconds)
                continue
            _stored(db, store, pending, info)
            stored += 1
        if len(batch) < BATCH_SIZE:
            return stored


def _upload(store: ObjectStore, pending: _Pending) -> ObjectInfo:
    spool = Path(pending.spool_path) if pending.spool_path else None
    if spool is not None and spool.exists():
        sent = store.put(
            pending.key,
            spool,
            sha256=pending.sha256,
            size=pending.size,
            retain_until=pending.retain_until,
            legal_hold=pending.legal_hold,
        )
    else:  # spool copy gone: adopt the object if an earlier, interrupted run stored it
        try:
            sent = store.head(pending.key)
        except ObjectNotFound:
            raise UploadFailed(f"recording {pending.id}: spool file missing and not in the store") from None
    held = store.head(pending.key, sent.version_id)
    if held.size != pending.size or held.sha256 != pending.sha256:
        raise ChecksumMismatch(f"recording {pending.id}: the store holds other bytes than the spool had")
    if held.retain_until is None or held.retain_until < pending.retain_until:
        raise UploadFailed(f"recording {pending.id}: the store did not lock it until {pending.retain_until}")
    return held


def _stored(db: Database, store: ObjectStore, pending: _Pending, info: ObjectInfo) -> None:
    with db.write() as session:
        hold = recordings.mark_stored(session, pending.id, info, backend=store.backend, now=datetime.now(UTC))
    if hold != info.legal_hold:  # a hold placed or released during the upload
        store.set_legal_hold(info.key, info.version_id, hold)
    if pending.spool_path:
        try:
            Path(pending.spool_path).unlink(missing_ok=True)
        except OSError as exc:
            log.warning("spool copy not removed", extra={"recording_id": pending.id, "error": str(exc)})
    log.info("recording stored", extra={"recording_id": pending.id, "key": info.key, "version_id": info.version_id})


def _failed(db: Database, pending: _Pending, exc: Exception, retry_seconds: float) -> None:
    delay = backoff(pending.attempts, retry_seconds)
    with db.write() as session:
        recordings.mark_upload_failed(
            session,
            pending.id,
            error=f"{type(exc).__name__}: {exc}",
            retry_at=datetime.now(UTC) + timedelta(seconds=delay),
        )
    log.warning(
        "recording upload failed",
        extra={"recording_id": pending.id, "attempt": pending.attempts, "retry_in": delay, "error": str(exc)},
    )


def run_uploader(db: Database, store: ObjectStore, stop_event: threading.Event, retry_seconds: float) -> None:
    """Upload rounds every ``retry_seconds`` until ``stop_event`` is set (the worker runs this on a thread)."""
    while not stop_event.is_set():
        try:
            upload_pending(db, store, retry_seconds=retry_seconds)
        except Exception:  # e.g. the database briefly unavailable: keep the thread alive
            log.exception("upload round failed")
        stop_event.wait(retry_seconds)
