"""The spool survives an S3 outage: recordings wait, then are uploaded once the store is back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from recording_fixtures import reload
from s3_server import SeaweedS3, start_seaweed

from recording.uploader import run_uploader
from storage.db import Database

pytestmark = [pytest.mark.slow, pytest.mark.s3]


def _wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.1)


def test_recordings_wait_in_the_spool_while_s3_is_down(db: Database, spool_recording, tmp_path: Path) -> None:
    server: SeaweedS3 = start_seaweed(tmp_path / "s3")  # this test's own server: it gets stopped
    try:
        bucket = server.make_bucket()
        store = server.store(bucket)
        stop = threading.Event()
        uploader = threading.Thread(target=run_uploader, args=(db, store, stop, 0.1))
        uploader.start()
        try:
            before = [spool_recording(size=2_000_000) for _ in range(8)]
            _wait_for(lambda: any(reload(db, r.id).status == "stored" for r in before))
            server.stop()  # mid-way: some stored, some in flight, some not yet tried
            during = [spool_recording(size=500_000) for _ in range(3)]
            _wait_for(lambda: all(reload(db, r.id).last_upload_error for r in during))
            waiting = [reload(db, r.id) for r in before + during if reload(db, r.id).status == "spooled"]
            assert waiting, "the outage should have caught some recordings in the spool"
            assert all(Path(r.spool_path).exists() for r in waiting)

            server.start()  # same data folder, same ports
            everything = before + during
            _wait_for(lambda: all(reload(db, r.id).status == "stored" for r in everything))
        finally:
            stop.set()
            uploader.join(timeout=30)

        client = server.admin()
        for created in everything:
            recording = reload(db, created.id)
            assert not Path(created.spool_path).exists()
            assert recording.last_upload_error is None
            versions = client.list_object_versions(Bucket=bucket, Prefix=recording.key).get("Versions", [])
            assert [v["VersionId"] for v in versions] == [recording.version_id]  # uploaded exactly once
            assert store.head(recording.key, recording.version_id).sha256 == recording.sha256
    finally:
        server.stop()
