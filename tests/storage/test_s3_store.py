"""S3 with Object Lock (a real SeaweedFS): nobody can delete or shorten a recording early."""

from __future__ import annotations

import base64
import hashlib
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError
from recording_fixtures import reload
from s3_server import ADMIN_KEY, SeaweedS3

from recording.uploader import upload_pending
from storage import access, audit, recordings
from storage.db import Database
from storage.models import AuditEntry, PurgeRecord
from storage.objectstore import (
    ObjectExists,
    ObjectNotFound,
    ObjectStoreError,
    RetentionActive,
    S3Store,
    StoreMisconfigured,
)
from storage.retention import sweep

pytestmark = [pytest.mark.slow, pytest.mark.s3]
PURPOSE = "监管监察"


def _denied(call, **params) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as refused:
        call(**params)
    assert refused.value.response["Error"]["Code"] in ("AccessDenied", "403")


def test_uploads_carry_sha256_and_a_compliance_lock(db: Database, spool_recording, s3_store: S3Store) -> None:
    recording = spool_recording()
    data = Path(recording.spool_path).read_bytes()
    assert upload_pending(db, s3_store) == 1
    stored = reload(db, recording.id)

    head = s3_store.client.head_object(
        Bucket=s3_store.bucket, Key=stored.key, VersionId=stored.version_id, ChecksumMode="ENABLED"
    )
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] == audit.as_utc(stored.retain_until)
    assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert stored.backend == "s3" and stored.version_id == head["VersionId"]


def test_a_locked_recording_cannot_be_deleted_or_shortened(
    db: Database, spool_recording, s3_server: SeaweedS3, s3_store: S3Store
) -> None:
    recording = spool_recording()
    data = Path(recording.spool_path).read_bytes()
    upload_pending(db, s3_store)
    stored = reload(db, recording.id)
    version = {"Bucket": s3_store.bucket, "Key": stored.key, "VersionId": stored.version_id}
    earlier = {"Mode": "COMPLIANCE", "RetainUntilDate": datetime.now(UTC) + timedelta(days=1)}

    # through the application
    with pytest.raises(RetentionActive):
        s3_store.delete_if_expired(stored.key, stored.version_id)
    assert sweep(db, s3_store, now=datetime.now(UTC) + timedelta(days=3 * 365)).purged == []
    with pytest.raises(ObjectExists):  # no second object under its key
        other = Path(recording.spool_path).with_name("other.wav")
        other.write_bytes(os.urandom(100))
        s3_store.put(
            stored.key,
            other,
            sha256=hashlib.sha256(other.read_bytes()).hexdigest(),
            size=100,
            retain_until=datetime.now(UTC) + timedelta(days=1),
        )

    # directly through S3: the application's key, then the admin key
    for client in (s3_store.client, s3_server.admin()):
        _denied(client.delete_object, **version)
        _denied(client.delete_object, **version, BypassGovernanceRetention=True)
        _denied(client.put_object_retention, **version, Retention=earlier)
        _denied(client.put_object_retention, **version, Retention=earlier | {"Mode": "GOVERNANCE"})
        _denied(client.put_object_retention, **version, Retention=earlier, BypassGovernanceRetention=True)
    # a plain DELETE only hides the object behind a delete marker; the locked version stays
    s3_store.client.delete_object(Bucket=s3_store.bucket, Key=stored.key)

    assert b"".join(s3_store.stream(stored.key, stored.version_id)) == data
    assert s3_store.head(stored.key, stored.version_id).retain_until == audit.as_utc(stored.retain_until)


def test_legal_hold_reaches_the_bucket(db: Database, spool_recording, s3_store: S3Store) -> None:
    recording = spool_recording()
    upload_pending(db, s3_store)
    stored = reload(db, recording.id)
    version = {"Bucket": s3_store.bucket, "Key": stored.key, "VersionId": stored.version_id}

    recordings.set_legal_hold(db, s3_store, recording.id, on=True, actor="sup1", reason="复议")
    assert s3_store.client.get_object_legal_hold(**version)["LegalHold"]["Status"] == "ON"
    recordings.set_legal_hold(db, s3_store, recording.id, on=False, actor="sup1", reason="复议结束")
    assert s3_store.client.get_object_legal_hold(**version)["LegalHold"]["Status"] == "OFF"


def test_wrong_credentials_are_refused(db: Database, spool_recording, s3_server: SeaweedS3, s3_bucket: str) -> None:
    recording = spool_recording()
    for key in (("hotline-app", "wrong-secret"), ("nobody", "nothing")):
        store = s3_server.store(s3_bucket, key=key)
        with pytest.raises(ObjectStoreError):
            store.head("recordings/anything.wav")
        assert upload_pending(db, store, retry_seconds=60) == 0
        assert reload(db, recording.id).status == "spooled"
        with db.write() as session:  # due again for the next credentials
            session.get_one(recordings.Recording, recording.id).next_upload_at = None
    assert Path(recording.spool_path).exists()


def test_buckets_without_object_lock_are_refused(db: Database, spool_recording, s3_server: SeaweedS3) -> None:
    plain = s3_server.make_bucket(object_lock=False)
    recording = spool_recording()
    with pytest.raises(StoreMisconfigured, match="Object Lock"):
        s3_server.store(plain).check_bucket()
    assert upload_pending(db, s3_server.store(plain), retry_seconds=60) == 0
    assert "Object Lock" in reload(db, recording.id).last_upload_error
    with pytest.raises(ObjectNotFound):
        s3_server.store(plain).head(recording.key)


def test_a_missing_bucket_is_created_with_object_lock_when_allowed(s3_server: SeaweedS3) -> None:
    with pytest.raises(StoreMisconfigured, match="may not create"):
        s3_server.store("hotline-created-by-app", create_bucket=True).check_bucket()
    s3_server.store("hotline-created-by-admin", key=ADMIN_KEY, create_bucket=True).check_bucket()
    config = s3_server.admin().get_object_lock_configuration(Bucket="hotline-created-by-admin")
    assert config["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"


def test_a_changed_spool_file_is_refused_by_the_store(db: Database, spool_recording, s3_store: S3Store) -> None:
    recording = spool_recording()
    with open(recording.spool_path, "r+b") as handle:  # bit rot or meddling after the call was registered
        handle.write(b"\xff" * 8)
    assert upload_pending(db, s3_store, retry_seconds=60) == 0
    failed = reload(db, recording.id)
    assert failed.status == "spooled" and "ChecksumMismatch" in failed.last_upload_error
    with pytest.raises(ObjectNotFound):
        s3_store.head(recording.key)


def test_a_presigned_url_works_briefly_and_is_audited(
    db: Database, user_factory, spool_recording, s3_store: S3Store
) -> None:
    user = user_factory("sup", "supervisor", grants=("all",))
    recording = spool_recording()
    data = Path(recording.spool_path).read_bytes()
    upload_pending(db, s3_store)

    url = access.presign_recording(
        db, s3_store, user=user, recording_id=recording.id, purpose=PURPOSE, client="10.0.0.9", expires_seconds=2
    )

    fresh = httpx.get(url)
    assert fresh.status_code == 200 and fresh.content == data
    time.sleep(3)
    expired = httpx.get(url)
    assert expired.status_code == 403 and b"expired" in expired.content
    with db.read() as session:
        entry = session.query(AuditEntry).where(AuditEntry.action == "presign").one()
    assert (entry.actor, entry.result, entry.purpose, entry.client) == ("sup", "granted", PURPOSE, "10.0.0.9")


def test_sweep_deletes_only_what_has_expired(db: Database, spool_recording, s3_store: S3Store) -> None:
    """Recorded almost two years ago, so their locks run out seconds from now (in this test's own bucket)."""
    lock_ends = datetime.now(UTC) + timedelta(seconds=3)
    soon = lock_ends - timedelta(days=730)
    soon += lock_ends - recordings.retain_until(soon, 2)  # recorded two calendar years before lock_ends
    expiring, held = spool_recording(recorded_at=soon), spool_recording(recorded_at=soon)
    current = spool_recording()
    assert upload_pending(db, s3_store) == 3
    recordings.set_legal_hold(db, s3_store, held.id, on=True, actor="sup1", reason="投诉复查")
    expiring, held = reload(db, expiring.id), reload(db, held.id)

    assert sweep(db, s3_store).purged == []  # not yet
    while datetime.now(UTC) <= audit.as_utc(expiring.retain_until) + timedelta(seconds=1):
        time.sleep(0.25)
    result = sweep(db, s3_store, run_id="s3-run")

    assert [p.recording_id for p in result.purged] == [expiring.id]
    assert result.failed == []
    with pytest.raises(ObjectNotFound):
        s3_store.head(expiring.key, expiring.version_id)
    assert s3_store.head(held.key, held.version_id).legal_hold
    assert s3_store.head(current.key).retain_until > datetime.now(UTC) + timedelta(days=700)
    assert sweep(db, s3_store, run_id="again").purged == []
    with db.read() as session:
        assert [(r.recording_id, r.run_id) for r in session.query(PurgeRecord)] == [(expiring.id, "s3-run")]
