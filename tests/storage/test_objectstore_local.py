"""The local-folder backend enforces what S3 Object Lock enforces on a bucket."""

from __future__ import annotations

import hashlib
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.objectstore import (
    ChecksumMismatch,
    LocalStore,
    ObjectExists,
    ObjectNotFound,
    PresignNotSupported,
    RetentionActive,
)

KEY = "recordings/2026/11/30/202611300001-abc.wav"


def _source(tmp_path: Path, data: bytes) -> tuple[Path, str]:
    path = tmp_path / f"src-{hashlib.sha256(data).hexdigest()[:8]}.wav"
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "recordings")


def test_put_stores_read_only_bytes_with_their_lock(store: LocalStore, tmp_path: Path) -> None:
    data = os.urandom(100_000)
    source, sha = _source(tmp_path, data)
    until = datetime.now(UTC) + timedelta(days=730)

    info = store.put(KEY, source, sha256=sha, size=len(data), retain_until=until)

    stored = store.root / KEY
    assert stored.read_bytes() == data
    assert not stored.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    head = store.head(KEY, info.version_id)
    assert (head.size, head.sha256, head.retain_until, head.lock_mode) == (len(data), sha, until, "COMPLIANCE")
    assert b"".join(store.stream(KEY, info.version_id)) == data
    assert b"".join(store.stream(KEY, info.version_id, start=10, end=19)) == data[10:20]
    assert b"".join(store.stream(KEY, info.version_id, start=99_990)) == data[99_990:]


def test_delete_is_refused_before_retain_until_and_under_hold(store: LocalStore, tmp_path: Path) -> None:
    data = os.urandom(1000)
    source, sha = _source(tmp_path, data)
    info = store.put(KEY, source, sha256=sha, size=len(data), retain_until=datetime.now(UTC) + timedelta(days=1))

    with pytest.raises(RetentionActive):
        store.delete_if_expired(KEY, info.version_id)
    assert (store.root / KEY).read_bytes() == data


def test_expired_object_is_deleted_unless_held(store: LocalStore, tmp_path: Path) -> None:
    data = os.urandom(1000)
    source, sha = _source(tmp_path, data)
    info = store.put(KEY, source, sha256=sha, size=len(data), retain_until=datetime.now(UTC) - timedelta(seconds=1))

    store.set_legal_hold(KEY, info.version_id, True)
    with pytest.raises(RetentionActive, match="legal hold"):
        store.delete_if_expired(KEY, info.version_id)
    store.set_legal_hold(KEY, info.version_id, False)
    store.delete_if_expired(KEY, info.version_id)

    assert not (store.root / KEY).exists()
    with pytest.raises(ObjectNotFound):
        store.head(KEY)
    assert not (store.root / "recordings").exists()  # emptied date folders are pruned


def test_put_is_idempotent_and_never_overwrites(store: LocalStore, tmp_path: Path) -> None:
    data = os.urandom(1000)
    source, sha = _source(tmp_path, data)
    until = datetime.now(UTC) + timedelta(days=1)
    first = store.put(KEY, source, sha256=sha, size=len(data), retain_until=until)

    again = store.put(KEY, source, sha256=sha, size=len(data), retain_until=until)
    other, other_sha = _source(tmp_path, os.urandom(1000))
    with pytest.raises(ObjectExists):
        store.put(KEY, other, sha256=other_sha, size=1000, retain_until=until - timedelta(hours=1))

    assert again.version_id == first.version_id
    assert (store.root / KEY).read_bytes() == data
    assert store.head(KEY).retain_until == until


def test_put_refuses_bytes_that_do_not_match_their_checksum(store: LocalStore, tmp_path: Path) -> None:
    source, _ = _source(tmp_path, b"the real call")
    with pytest.raises(ChecksumMismatch):
        store.put(KEY, source, sha256="0" * 64, size=13, retain_until=datetime.now(UTC) + timedelta(days=1))
    assert not (store.root / KEY).exists()
    assert not list((store.root / KEY).parent.glob(".incoming-*"))


def test_unknown_version_and_bad_keys(store: LocalStore, tmp_path: Path) -> None:
    source, sha = _source(tmp_path, b"x")
    store.put(KEY, source, sha256=sha, size=1, retain_until=datetime.now(UTC) + timedelta(days=1))
    with pytest.raises(ObjectNotFound):
        store.head(KEY, "not-a-version")
    for bad in ("../escape.wav", "/abs.wav", "a//b.wav", "x.wav.lock.json"):
        with pytest.raises(ValueError):
            store.head(bad)
    with pytest.raises(PresignNotSupported):
        store.presigned_url(KEY, None, expires_seconds=60)
