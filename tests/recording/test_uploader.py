"""Spool → object store: verified, recorded, the spool copy removed only afterwards; failures retried."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from concurrently import run_concurrently
from recording_fixtures import reload

from recording.uploader import backoff, run_uploader, upload_pending
from storage.db import Database
from storage.objectstore import LocalStore


def test_spooled_recordings_are_stored_verified_and_unspooled(
    db: Database, spool_recording, local_store: LocalStore
) -> None:
    first, second = spool_recording(), spool_recording()
    spool = Path(first.spool_path)
    data = spool.read_bytes()

    assert upload_pending(db, local_store) == 2

    stored = reload(db, first.id)
    assert (stored.status, stored.backend, stored.spool_path, stored.last_upload_error) == (
        "stored",
        "local",
        None,
        None,
    )
    assert stored.version_id == local_store.head(stored.key).version_id
    assert stored.uploaded_at is not None and stored.upload_attempts == 1
    assert (local_store.root / stored.key).read_bytes() == data
    assert not spool.exists() and not Path(second.spool_path).exists()
    head = local_store.head(stored.key)
    assert head.sha256 == stored.sha256 and head.retain_until.replace(tzinfo=UTC) >= stored.retain_until.replace(
        tzinfo=UTC
    )
    assert upload_pending(db, local_store) == 0


def test_a_broken_spool_file_is_counted_and_retried_later(
    db: Database, spool_recording, local_store: LocalStore
) -> None:
    broken, fine = spool_recording(), spool_recording()
    Path(broken.spool_path).write_bytes(b"truncated")

    assert upload_pending(db, local_store, retry_seconds=30) == 1

    failed = reload(db, broken.id)
    assert failed.status == "spooled" and failed.upload_attempts == 1
    assert "ChecksumMismatch" in failed.last_upload_error
    assert failed.next_upload_at.replace(tzinfo=UTC) > datetime.now(UTC) + timedelta(seconds=20)
    assert Path(broken.spool_path).exists()  # kept: nothing is lost
    assert reload(db, fine.id).status == "stored"
    assert upload_pending(db, local_store, retry_seconds=30) == 0  # not due yet


def test_an_interrupted_upload_is_adopted_not_duplicated(
    db: Database, spool_recording, local_store: LocalStore
) -> None:
    recording = spool_recording()
    # the previous run stored the object, then died before recording it and after losing the spool copy
    info = local_store.put(
        recording.key, Path(recording.spool_path), sha256=recording.sha256, size=recording.size,
        retain_until=recording.retain_until.replace(tzinfo=UTC),
    )  # fmt: skip
    Path(recording.spool_path).unlink()

    assert upload_pending(db, local_store) == 1
    assert reload(db, recording.id).version_id == info.version_id


def test_backoff_grows_and_is_capped() -> None:
    assert [backoff(n, 5.0) for n in (1, 2, 3, 4)] == [5.0, 10.0, 20.0, 40.0]
    assert backoff(30, 5.0) == 900.0


def test_concurrent_uploaders_store_each_recording_once(db: Database, spool_recording, local_store) -> None:
    created = [spool_recording(size=20_000) for _ in range(12)]
    counts: list[int] = []

    def upload() -> None:
        counts.append(upload_pending(db, local_store))

    run_concurrently(upload, upload, upload)
    assert sum(counts) == 12
    assert all(reload(db, r.id).upload_attempts == 1 for r in created)


def test_run_uploader_picks_up_new_recordings_until_stopped(db: Database, spool_recording, local_store) -> None:
    stop = threading.Event()
    worker = threading.Thread(target=run_uploader, args=(db, local_store, stop, 0.05))
    worker.start()
    try:
        recording = spool_recording()
        for _ in range(200):
            if reload(db, recording.id).status == "stored":
                break
            stop.wait(0.05)
    finally:
        stop.set()
        worker.join(timeout=5)
    assert not worker.is_alive()
    assert reload(db, recording.id).status == "stored"
