"""Pytest plugin: tickets, users with recording grants, spooled recordings, the local store.

Shared by the storage, uploader, API and CLI tests of recordings (registered in
``tests/conftest.py``).
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hotline.config import Settings
from storage import recordings
from storage.access import grant
from storage.db import Database
from storage.models import Recording, Ticket, User
from storage.objectstore import LocalStore, ObjectStore

_numbers = itertools.count(1)

TicketFactory = Callable[..., Ticket]
UserFactory = Callable[..., User]
SpoolRecording = Callable[..., Recording]


def write_spool_file(directory: Path, size: int = 200_000) -> tuple[Path, str]:
    """A stand-in for a call's WAV: random bytes, so any change shows in the hash."""
    directory.mkdir(parents=True, exist_ok=True)
    data = os.urandom(size)
    digest = hashlib.sha256(data).hexdigest()
    path = directory / f"{digest[:16]}.wav"
    path.write_bytes(data)
    return path, digest


@pytest.fixture
def ticket_factory(db: Database) -> TicketFactory:
    def create(*, department: str | None = "chengguan", confidential: bool = False) -> Ticket:
        with db.write() as session:
            ticket = Ticket(
                number=f"20261130{next(_numbers) % 10000:04d}",
                channel="phone",
                status="registered",
                content="",
                created_by="test",
                department=department,
                confidential=confidential,
            )
            session.add(ticket)
        return ticket

    return create


@pytest.fixture
def user_factory(db: Database) -> UserFactory:
    """A user; ``grants`` are recording grant scopes given by an admin."""

    def create(username: str, role: str, *, department: str | None = None, grants: tuple[str, ...] = ()) -> User:
        with db.write() as session:
            user = User(username=username, password_hash="-", role=role, department=department, active=True)
            session.add(user)
            session.flush()
            for scope in grants:
                grant(session, user=user, scope=scope, granted_by="admin")
        return user

    return create


@pytest.fixture
def spool_recording(db: Database, settings: Settings, ticket_factory: TicketFactory) -> SpoolRecording:
    """Register a spooled recording (for a new ticket unless given), as the call sink does."""

    def create(
        ticket: Ticket | None = None,
        *,
        recorded_at: datetime | None = None,
        size: int = 200_000,
        retention_years: int = 2,
    ) -> Recording:
        ticket = ticket or ticket_factory()
        path, sha256 = write_spool_file(settings.spool_dir, size)
        with db.write() as session:
            return recordings.add_recording(
                session,
                ticket_id=ticket.id,
                spool_path=str(path),
                sha256=sha256,
                size=size,
                duration_seconds=size / 16000,
                codec="pcm_s16le",
                recorded_at=recorded_at or datetime.now(UTC),
                retention_years=retention_years,
            )

    return create


@pytest.fixture
def local_store(settings: Settings) -> LocalStore:
    return LocalStore(settings.recordings_dir)


def reload(db: Database, recording_id: int) -> Recording:
    with db.read() as session:
        return session.get_one(Recording, recording_id)


@pytest.fixture(params=["local", pytest.param("s3", marks=[pytest.mark.slow, pytest.mark.s3])])
def recording_store(request: pytest.FixtureRequest, settings: Settings) -> ObjectStore:
    """Each backend in turn: the local folder, and (slow) S3 on the session's SeaweedFS."""
    if request.param == "local":
        return LocalStore(settings.recordings_dir)
    server = request.getfixturevalue("s3_server")
    return server.store(request.getfixturevalue("s3_shared_bucket"))


def tamper(db: Database, store: ObjectStore, recording: Recording) -> None:
    """Someone changes the audio the application will serve, behind its back.

    Local: the locked file is overwritten on disk. S3 cannot change a locked
    version, so there a doctored copy is written as a new version and the
    recording row is pointed at it (write access to bucket and database).
    """
    if isinstance(store, LocalStore):
        path = store.root / recording.key
        path.chmod(0o644)
        with open(path, "r+b") as handle:
            handle.seek(1000)
            handle.write(b"\x00" * 16)
        return
    doctored = store.client.put_object(Bucket=store.bucket, Key=recording.key, Body=os.urandom(recording.size))
    with db.write() as session:
        session.get_one(Recording, recording.id).version_id = doctored["VersionId"]


def stored_bytes(store: ObjectStore, recording: Recording) -> bytes:
    return b"".join(store.stream(recording.key, recording.version_id))
