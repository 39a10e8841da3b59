"""The retention sweep: deletes recordings whose retain-until date has passed.

Only stored recordings past their date and without a legal hold are touched; the
store refuses anything still locked in any case. Each deletion leaves a purge
record (key, version, SHA-256, when, which run) and an audit entry; a purged
recording is never a candidate again, so a second run does nothing.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from storage import audit, recordings
from storage.audit import as_utc
from storage.db import Database
from storage.models import PurgeRecord, Recording, Ticket
from storage.objectstore import ObjectNotFound, ObjectStore, ObjectStoreError, StoreUnavailable

log = logging.getLogger(__name__)


@dataclass
class PurgedRecording:
    recording_id: int
    key: str
    version_id: str | None
    sha256: str
    retain_until: datetime


@dataclass
class SweepResult:
    run_id: str
    dry_run: bool
    purged: list[PurgedRecording] = field(default_factory=list)  # or, in a dry run, would be
    failed: list[tuple[int, str]] = field(default_factory=list)


def sweep(
    db: Database, store: ObjectStore, run_id: str | None = None, now: datetime | None = None, dry_run: bool = False
) -> SweepResult:
    now = as_utc(now or datetime.now(UTC))
    result = SweepResult(run_id=run_id or uuid.uuid4().hex, dry_run=dry_run)
    with db.read() as session:
        candidates = [
            PurgedRecording(r.id, r.key, r.version_id, r.sha256, as_utc(r.retain_until))
            for r in recordings.expired(session, now)
        ]
    for candidate in candidates:
        if dry_run:
            result.purged.append(candidate)
            continue
        try:
            store.delete_if_expired(candidate.key, candidate.version_id)
        except ObjectNotFound:
            pass  # deleted by an interrupted earlier run: still record the purge
        except StoreUnavailable as exc:
            result.failed.append((candidate.recording_id, str(exc)))
            break
        except ObjectStoreError as exc:  # e.g. a hold placed meanwhile: the store refused
            result.failed.append((candidate.recording_id, str(exc)))
            continue
        if _record_purge(db, candidate, result.run_id):
            result.purged.append(candidate)
    log.info(
        "retention sweep finished",
        extra={"run_id": result.run_id, "dry_run": dry_run, "purged": len(result.purged), "failed": len(result.failed)},
    )
    return result


def _record_purge(db: Database, candidate: PurgedRecording, run_id: str) -> bool:
    with db.write() as session:
        recording = session.get_one(Recording, candidate.recording_id)
        if recording.status != recordings.STORED:  # another sweep got there first
            return False
        recording.status = recordings.PURGED
        session.add(
            PurgeRecord(
                recording_id=recording.id,
                key=recording.key,
                version_id=recording.version_id,
                sha256=recording.sha256,
                run_id=run_id,
                purged_at=datetime.now(UTC),
            )
        )
        audit.append(
            session,
            actor=f"retention:{run_id}",
            action="purge",
            result="done",
            recording_id=recording.id,
            ticket_number=session.get_one(Ticket, recording.ticket_id).number,
            detail=f"retained until {as_utc(recording.retain_until).isoformat()}",
        )
    return True
