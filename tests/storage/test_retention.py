"""The retention sweep deletes exactly what has expired, records it, and is idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from recording_fixtures import reload

from recording.uploader import upload_pending
from storage import recordings
from storage.db import Database
from storage.models import AuditEntry, PurgeRecord
from storage.objectstore import LocalStore
from storage.retention import sweep

LONG_AGO = datetime.now(UTC) - timedelta(days=2 * 366 + 1)  # more than two years: retention over


def test_sweep_deletes_only_expired_recordings_without_hold(
    db: Database, spool_recording, local_store: LocalStore
) -> None:
    expired = spool_recording(recorded_at=LONG_AGO)
    held = spool_recording(recorded_at=LONG_AGO)
    current = spool_recording(recorded_at=datetime.now(UTC) - timedelta(days=700))
    assert upload_pending(db, local_store) == 3
    recordings.set_legal_hold(db, local_store, held.id, on=True, actor="sup1", reason="申诉未结")
    expired = reload(db, expired.id)

    result = sweep(db, local_store, run_id="run-1")

    assert [p.recording_id for p in result.purged] == [expired.id] and result.failed == []
    assert not (local_store.root / expired.key).exists()
    assert (local_store.root / held.key).exists() and (local_store.root / current.key).exists()
    assert [reload(db, r.id).status for r in (expired, held, current)] == ["purged", "stored", "stored"]
    with db.read() as session:
        (record,) = session.query(PurgeRecord).all()
        purge_log = session.query(AuditEntry).where(AuditEntry.action == "purge").one()
    assert (record.recording_id, record.key, record.version_id, record.sha256, record.run_id) == (
        expired.id,
        expired.key,
        expired.version_id,
        expired.sha256,
        "run-1",
    )
    assert (purge_log.actor, purge_log.recording_id) == ("retention:run-1", expired.id)

    second = sweep(db, local_store, run_id="run-2")
    assert second.purged == [] and second.failed == []
    with db.read() as session:
        assert session.query(PurgeRecord).count() == 1


def test_dry_run_deletes_nothing(db: Database, spool_recording, local_store: LocalStore) -> None:
    recording = spool_recording(recorded_at=LONG_AGO)
    upload_pending(db, local_store)

    result = sweep(db, local_store, dry_run=True)

    assert [p.recording_id for p in result.purged] == [recording.id]
    assert (local_store.root / recording.key).exists() and reload(db, recording.id).status == "stored"


def test_a_sweep_told_the_wrong_time_still_cannot_delete_early(db: Database, spool_recording, local_store) -> None:
    recording = spool_recording()
    upload_pending(db, local_store)

    result = sweep(db, local_store, now=datetime.now(UTC) + timedelta(days=3 * 365))

    assert result.purged == [] and [failed[0] for failed in result.failed] == [recording.id]
    assert (local_store.root / recording.key).exists() and reload(db, recording.id).status == "stored"
