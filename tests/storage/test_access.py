"""Recording retrieval: the authorisation matrix, an audit entry for every attempt, verified bytes.

Runs on the local backend (fast) and on S3 (SeaweedFS, slow) through ``recording_store``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from recording_fixtures import reload, stored_bytes, tamper

from recording.uploader import upload_pending
from storage import access
from storage.access import VerificationCache, open_recording
from storage.db import Database
from storage.models import AuditEntry
from storage.objectstore import LocalStore

PURPOSE = "核对通话内容"


def _audit_log(db: Database) -> list[tuple[str, str, int | None, str | None, str]]:
    with db.read() as session:
        return [
            (e.actor, e.action, e.recording_id, e.purpose, e.result)
            for e in session.query(AuditEntry)
            .where(AuditEntry.action.in_(["listen", "presign"]))
            .order_by(AuditEntry.id)
        ]


def _listen(  # type: ignore[no-untyped-def]
    db: Database, store, user, recording, *, purpose: str | None = PURPOSE, client: str | None = None, **options
):
    """``open_recording`` of ``recording``, by default for the usual purpose from no particular client."""
    return open_recording(db, store, user=user, recording_id=recording.id, purpose=purpose, client=client, **options)


def _stored(db: Database, spool_recording, store, **kwargs):  # type: ignore[no-untyped-def]
    recording = spool_recording(**kwargs)
    assert upload_pending(db, store) == 1
    return reload(db, recording.id)


@pytest.mark.parametrize(
    ("role", "grants", "confidential", "allowed"),
    [
        ("dispatcher", (), False, False),
        ("handler", (), False, False),
        ("auditor", (), False, False),
        ("admin", (), False, False),
        ("dispatcher", ("all",), False, False),  # a grant alone is not enough: the role must be supervisor
        ("supervisor", (), False, False),
        ("supervisor", ("huanbao",), False, False),
        ("supervisor", ("chengguan",), False, True),
        ("supervisor", ("all",), False, True),
        ("supervisor", ("chengguan",), True, False),
        ("supervisor", ("jijian",), True, True),
        ("supervisor", ("all",), True, True),
    ],
)
def test_authorisation_matrix(
    db: Database, user_factory, ticket_factory, spool_recording, recording_store, role, grants, confidential, allowed
) -> None:
    user = user_factory("someone", role, department="chengguan")
    if grants:  # written directly: the grant API itself only serves supervisors
        with db.write() as session:
            for scope in grants:
                session.add(access.RecordingGrant(user_id=user.id, scope=scope, granted_by="admin"))
    recording = _stored(
        db, spool_recording, recording_store, ticket=ticket_factory(department="chengguan", confidential=confidential)
    )

    if allowed:
        opened = _listen(db, recording_store, user, recording, client="10.0.0.5")
        assert b"".join(opened.chunks) == stored_bytes(recording_store, recording)
    else:
        with pytest.raises(access.Refused):
            _listen(db, recording_store, user, recording, client="10.0.0.5")

    assert _audit_log(db) == [("someone", "listen", recording.id, PURPOSE, "granted" if allowed else "refused")]


def test_revoked_grants_and_inactive_supervisors_are_refused(
    db: Database, user_factory, spool_recording, recording_store
) -> None:
    recording = _stored(db, spool_recording, recording_store)
    revoked = user_factory("former", "supervisor", grants=("all",))
    with db.write() as session:
        (held,) = access.active_grants(session, revoked.id)
        access.revoke(session, held.id, revoked_by="admin")
    inactive = user_factory("retired", "supervisor", grants=("all",))
    with db.write() as session:
        session.get_one(access.User, inactive.id).active = False
    inactive.active = False

    for user in (revoked, inactive):
        with pytest.raises(access.Refused):
            _listen(db, recording_store, user, recording)
    assert [entry[-1] for entry in _audit_log(db)] == ["refused", "refused"]


def test_grants_are_for_supervisors_and_audited(db: Database, user_factory) -> None:
    dispatcher = user_factory("disp", "dispatcher")
    supervisor = user_factory("sup", "supervisor")
    with db.write() as session:
        with pytest.raises(ValueError, match="only supervisors"):
            access.grant(session, user=dispatcher, scope="all", granted_by="admin")
        first = access.grant(session, user=supervisor, scope="chengguan", granted_by="admin")
        again = access.grant(session, user=supervisor, scope="chengguan", granted_by="admin")
    assert again.id == first.id
    with db.read() as session:
        logged = [(e.actor, e.action, e.detail) for e in session.query(AuditEntry).order_by(AuditEntry.id)]
        assert [(g.scope, name) for g, name in access.list_grants(session)] == [("chengguan", "sup")]
    assert logged == [("admin", "grant", "sup: chengguan")]


@pytest.mark.parametrize("purpose", [None, "", "好奇", "核对"])
def test_a_listed_purpose_is_required(db: Database, user_factory, spool_recording, recording_store, purpose) -> None:
    user = user_factory("sup", "supervisor", grants=("all",))
    recording = _stored(db, spool_recording, recording_store)
    with pytest.raises(access.InvalidPurpose, match="核对通话内容"):
        _listen(db, recording_store, user, recording, purpose=purpose)
    assert _audit_log(db) == [("sup", "listen", recording.id, purpose, "refused")]


def test_the_attempt_is_audited_before_any_byte_is_served(
    db: Database, user_factory, spool_recording, recording_store
) -> None:
    user = user_factory("sup", "supervisor", grants=("all",))
    recording = _stored(db, spool_recording, recording_store)

    opened = _listen(db, recording_store, user, recording, client="10.1.2.3")

    # nothing has been read from ``opened.chunks`` yet, and the entry is already committed
    with db.read() as session:
        entry = session.query(AuditEntry).order_by(AuditEntry.id.desc()).first()
    assert (entry.actor, entry.result, entry.client, entry.ticket_number) == (
        "sup",
        "granted",
        "10.1.2.3",
        opened.ticket_number,
    )
    assert len(b"".join(opened.chunks)) == recording.size


def test_missing_and_purged_recordings(db: Database, user_factory, spool_recording, recording_store) -> None:
    user = user_factory("sup", "supervisor", grants=("all",))
    with pytest.raises(access.RecordingMissing):
        open_recording(db, recording_store, user=user, recording_id=999, purpose=PURPOSE, client=None)
    recording = _stored(db, spool_recording, recording_store)
    with db.write() as session:
        session.get_one(access.Recording, recording.id).status = "purged"
    with pytest.raises(access.RecordingGone):
        _listen(db, recording_store, user, recording)
    assert [entry[-1] for entry in _audit_log(db)] == ["not_found", "gone"]


@pytest.mark.parametrize(
    ("header", "span"),
    [
        ("bytes=0-99", (0, 99)),
        ("bytes=100-", (100, 199_999)),
        ("bytes=-500", (199_500, 199_999)),
        ("bytes=199990-250000", (199_990, 199_999)),
        ("bytes=0-0", (0, 0)),
    ],
)
def test_byte_ranges(db: Database, user_factory, spool_recording, recording_store, header, span) -> None:
    user = user_factory("sup", "supervisor", grants=("all",))
    recording = _stored(db, spool_recording, recording_store, size=200_000)
    data = stored_bytes(recording_store, recording)

    opened = _listen(db, recording_store, user, recording, byte_range=header)

    assert opened.partial and (opened.start, opened.end) == span
    assert b"".join(opened.chunks) == data[span[0] : span[1] + 1]
    assert opened.content_range == f"bytes {span[0]}-{span[1]}/200000"


@pytest.mark.parametrize("header", ["bytes=200000-", "bytes=500-100", "bytes=-0"])
def test_unsatisfiable_ranges_are_refused_and_audited(
    db: Database, user_factory, spool_recording, recording_store, header
) -> None:
    user = user_factory("sup", "supervisor", grants=("all",))
    recording = _stored(db, spool_recording, recording_store, size=200_000)
    with pytest.raises(access.RangeNotSatisfiable) as refused:
        _listen(db, recording_store, user, recording, byte_range=header)
    assert refused.value.size == 200_000
    assert [entry[-1] for entry in _audit_log(db)] == ["bad_range"]


@pytest.mark.parametrize("header", ["items=0-5", "bytes=0-5,10-20", "bytes=x-y"])
def test_ranges_we_do_not_serve_get_the_whole_recording(
    db: Database, user_factory, spool_recording, recording_store, header
) -> None:
    user = user_factory("sup", "supervisor", grants=("all",))
    recording = _stored(db, spool_recording, recording_store)
    opened = _listen(db, recording_store, user, recording, byte_range=header)
    assert not opened.partial and opened.content_length == recording.size


def test_changed_content_is_refused_and_audited(db: Database, user_factory, spool_recording, recording_store) -> None:
    user = user_factory("sup", "supervisor", grants=("all",))
    recording = _stored(db, spool_recording, recording_store)
    tamper(db, recording_store, recording)

    with pytest.raises(access.ContentChanged):
        _listen(db, recording_store, user, recording)
    with pytest.raises(access.ContentChanged):  # a range needs the whole file verified first
        _listen(db, recording_store, user, recording, byte_range="bytes=0-10")
    assert [entry[-1] for entry in _audit_log(db)] == ["granted", "mismatch", "granted", "mismatch"]


class CountingStore(LocalStore):
    """The real local store, counting the bytes it reads."""

    bytes_read = 0

    def stream(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        for chunk in super().stream(*args, **kwargs):
            self.bytes_read += len(chunk)
            yield chunk


def test_seeks_reuse_a_recent_verification(db: Database, user_factory, spool_recording, settings) -> None:
    store = CountingStore(settings.recordings_dir)
    user = user_factory("sup", "supervisor", grants=("all",))
    recording = _stored(db, spool_recording, store, size=300_000)
    cache = VerificationCache(ttl_seconds=300)

    def fetch(header: str | None) -> bytes:
        opened = _listen(db, store, user, recording, byte_range=header, verified=cache)
        return b"".join(opened.chunks)

    fetch("bytes=0-")  # a player's first request: the whole file is read and verified
    assert store.bytes_read == 300_000
    assert len(fetch("bytes=200000-200999")) == 1000  # a seek: just the range
    assert store.bytes_read == 301_000
    fetch(None)  # a full download always verifies again
    assert store.bytes_read == 601_000


def test_an_expired_verification_is_redone(db: Database, user_factory, spool_recording, recording_store) -> None:
    user = user_factory("sup", "supervisor", grants=("all",))
    recording = _stored(db, spool_recording, recording_store)
    cache = VerificationCache(ttl_seconds=0)
    _listen(db, recording_store, user, recording, verified=cache)
    tamper(db, recording_store, recording)
    with pytest.raises(access.ContentChanged):
        _listen(db, recording_store, user, recording, byte_range="bytes=0-9", verified=cache)


def test_a_spooled_recording_is_served_from_the_spool_verified(
    db: Database, user_factory, spool_recording, recording_store
) -> None:
    user = user_factory("sup", "supervisor", grants=("all",))
    recording = spool_recording()
    opened = _listen(db, recording_store, user, recording)
    assert b"".join(opened.chunks) == Path(recording.spool_path).read_bytes()

    with open(recording.spool_path, "r+b") as handle:
        handle.write(os.urandom(8))
    with pytest.raises(access.ContentChanged):
        _listen(db, recording_store, user, recording)
