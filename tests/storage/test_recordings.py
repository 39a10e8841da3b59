"""Recording rows: keys by China date, retain-until dates, legal holds with who and why."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from recording_fixtures import reload

from recording.uploader import upload_pending
from storage import audit, recordings
from storage.db import Database
from storage.models import AuditEntry, RecordingEvent
from storage.objectstore import LocalStore, RetentionActive

CHINA = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("recorded", "years", "expected"),
    [
        (datetime(2026, 3, 1, 9, 30, tzinfo=CHINA), 2, datetime(2028, 3, 1, 9, 30, tzinfo=CHINA)),
        (datetime(2024, 2, 29, 10, 0, tzinfo=CHINA), 2, datetime(2026, 2, 28, 10, 0, tzinfo=CHINA)),
        (datetime(2024, 2, 29, 10, 0, tzinfo=CHINA), 4, datetime(2028, 2, 29, 10, 0, tzinfo=CHINA)),
        # 23:30 UTC on 28 Feb is already 29 Feb in China: the China date counts
        (datetime(2024, 2, 28, 23, 30, tzinfo=UTC), 3, datetime(2027, 2, 28, 7, 30, tzinfo=CHINA)),
        (datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC), 2, datetime(2028, 1, 1, 0, 0, 1, tzinfo=UTC)),
    ],
)
def test_retain_until_is_calendar_years_later(recorded: datetime, years: int, expected: datetime) -> None:
    assert recordings.retain_until(recorded, years) == expected


def test_retention_below_two_years_is_refused() -> None:
    with pytest.raises(ValueError, match="minimum"):
        recordings.retain_until(datetime.now(UTC), 1)


def test_add_recording_is_spooled_under_a_key_of_its_china_date(db: Database, ticket_factory, settings) -> None:
    ticket = ticket_factory()
    recorded = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 01:00 on 1 December in China
    with db.write() as session:
        recording = recordings.add_recording(
            session,
            ticket_id=ticket.id,
            spool_path=str(settings.spool_dir / "call.wav"),
            sha256="AB" * 32,
            size=1234,
            duration_seconds=3.5,
            codec="pcm_s16le",
            recorded_at=recorded,
            retention_years=3,
        )
    stored = reload(db, recording.id)
    assert stored.status == recordings.SPOOLED
    assert re.fullmatch(rf"recordings/2026/12/01/{ticket.number}-[0-9a-f]{{32}}\.wav", stored.key)
    assert stored.sha256 == "ab" * 32
    assert audit.as_utc(stored.retain_until) == datetime(2029, 12, 1, 1, 0, tzinfo=CHINA)


def test_legal_hold_and_release_are_events_with_who_and_why(
    db: Database, spool_recording, local_store: LocalStore
) -> None:
    recording = spool_recording(recorded_at=datetime.now(UTC) - timedelta(days=800))  # retention already over
    assert upload_pending(db, local_store) == 1

    recordings.set_legal_hold(db, local_store, recording.id, on=True, actor="sup1", reason="申诉复核 2026-001")
    assert reload(db, recording.id).legal_hold
    with pytest.raises(RetentionActive):  # the store's own hold blocks deletion, not just the database flag
        local_store.delete_if_expired(recording.key, reload(db, recording.id).version_id)

    recordings.set_legal_hold(db, local_store, recording.id, on=False, actor="sup2", reason="复核完毕")
    assert not reload(db, recording.id).legal_hold
    assert not local_store.head(recording.key).legal_hold
    with db.read() as session:
        history = [(e.action, e.actor, e.reason) for e in session.query(RecordingEvent).order_by(RecordingEvent.id)]
        logged = [
            (e.action, e.actor, e.detail)
            for e in session.query(AuditEntry).where(AuditEntry.recording_id == recording.id)
        ]
    assert history == [("hold", "sup1", "申诉复核 2026-001"), ("release", "sup2", "复核完毕")]
    assert logged == history


def test_hold_needs_a_reason(db: Database, spool_recording, local_store: LocalStore) -> None:
    recording = spool_recording()
    with pytest.raises(ValueError, match="reason"):
        recordings.set_legal_hold(db, local_store, recording.id, on=True, actor="sup1", reason="  ")
    assert not reload(db, recording.id).legal_hold


def test_hold_on_a_spooled_recording_reaches_the_store_at_upload(db: Database, spool_recording, local_store) -> None:
    recording = spool_recording()
    recordings.set_legal_hold(db, local_store, recording.id, on=True, actor="sup1", reason="争议")
    upload_pending(db, local_store)
    assert local_store.head(recording.key).legal_hold
