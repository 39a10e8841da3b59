"""Recording endpoints over HTTP: who may listen, ranges for the player, holds, grants, audit."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from recording_fixtures import stored_bytes

from recording.uploader import upload_pending
from storage.db import Database
from storage.models import AuditEntry, Recording, Ticket, User
from storage.objectstore import LocalStore

PURPOSE = quote("投诉处理")
Login = Callable[[User | str], dict[str, str]]


@pytest.fixture
def recording(db: Database, settings, spool_recording, make_ticket: Callable[..., Ticket]) -> Recording:
    """A stored recording of a ticket routed to juweihui."""
    created = spool_recording(make_ticket(department="juweihui"), size=100_000)
    assert upload_pending(db, LocalStore(settings.recordings_dir)) == 1
    with db.read() as session:
        return session.get_one(Recording, created.id)


@pytest.fixture
def granted(client: TestClient, login: Login, staff: dict[str, User]) -> User:
    """The supervisor, authorised by the admin for juweihui's recordings."""
    response = client.post(
        "/recording-grants",
        json={"username": staff["supervisor"].username, "scope": "juweihui"},
        headers=login(staff["admin"]),
    )
    assert response.status_code == 201, response.text
    return staff["supervisor"]


def _audio(client: TestClient, recording: Recording, headers: dict[str, str], **extra: str):  # type: ignore[no-untyped-def]
    return client.get(f"/recordings/{recording.id}/audio?purpose={PURPOSE}", headers=headers | extra)


def test_only_a_granted_supervisor_gets_audio(
    client: TestClient, login: Login, staff: dict[str, User], recording: Recording, db: Database, settings
) -> None:
    ungranted = {name: _audio(client, recording, login(user)).status_code for name, user in staff.items()}
    assert set(ungranted.values()) == {403}, ungranted

    response = _audio(client, recording, login(staff["supervisor"]))
    assert response.status_code == 403 and "grant" in response.json()["detail"]
    client.post("/recording-grants", json={"username": "supervisor1", "scope": "all"}, headers=login(staff["admin"]))
    response = _audio(client, recording, login(staff["supervisor"]))
    assert response.status_code == 200
    assert response.content == stored_bytes(LocalStore(settings.recordings_dir), recording)
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["accept-ranges"] == "bytes" and response.headers["cache-control"] == "no-store"

    with db.read() as session:
        log = [(e.actor, e.result, e.client) for e in session.query(AuditEntry).where(AuditEntry.action == "listen")]
    assert len(log) == len(staff) + 2
    assert log[-1] == ("supervisor1", "granted", "testclient")
    assert {result for _, result, _ in log[:-1]} == {"refused"}


def test_ranges_for_a_seeking_player(
    client: TestClient, login: Login, granted: User, recording: Recording, settings
) -> None:
    data = stored_bytes(LocalStore(settings.recordings_dir), recording)
    headers = login(granted)

    first = _audio(client, recording, headers, Range="bytes=0-")
    seek = _audio(client, recording, headers, Range="bytes=50000-50999")
    beyond = _audio(client, recording, headers, Range="bytes=100000-")

    assert first.status_code == 206 and first.content == data
    assert first.headers["content-range"] == "bytes 0-99999/100000"
    assert seek.status_code == 206 and seek.content == data[50000:51000]
    assert seek.headers["content-length"] == "1000"
    assert beyond.status_code == 416 and beyond.headers["content-range"] == "bytes */100000"
    assert beyond.json()["detail"]


def test_purpose_is_required(client: TestClient, login: Login, granted: User, recording: Recording) -> None:
    response = client.get(f"/recordings/{recording.id}/audio", headers=login(granted))
    assert response.status_code == 400 and "核对通话内容" in response.json()["detail"]
    assert client.get(f"/recordings/{recording.id}/audio?purpose=x", headers=login(granted)).status_code == 400


def test_unknown_recording_and_no_presigned_urls_locally(
    client: TestClient, login: Login, granted: User, recording
) -> None:
    assert client.get(f"/recordings/9999/audio?purpose={PURPOSE}", headers=login(granted)).status_code == 404
    response = client.get(f"/recordings/{recording.id}/presigned?purpose={PURPOSE}", headers=login(granted))
    assert response.status_code == 400 and "S3" in response.json()["detail"]


def test_listing_is_metadata_for_whoever_sees_the_ticket(
    client: TestClient, login: Login, staff: dict[str, User], recording: Recording, db: Database
) -> None:
    with db.read() as session:
        url = f"/tickets/{session.get_one(Ticket, recording.ticket_id).number}/recordings"
    listed = client.get(url, headers=login(staff["dispatcher"]))
    assert listed.status_code == 200
    (item,) = listed.json()
    assert item["id"] == recording.id and item["audio"] == f"/recordings/{recording.id}/audio"
    assert item["status"] == "stored" and item["sha256"] == recording.sha256
    assert client.get(url, headers=login(staff["handler_other"])).status_code == 404
    assert client.get(url).status_code == 401


def test_legal_hold_by_supervisors_with_a_reason(
    client: TestClient, login: Login, staff: dict[str, User], recording: Recording, settings
) -> None:
    url = f"/recordings/{recording.id}"
    assert client.post(f"{url}/hold", json={"reason": "申诉"}, headers=login(staff["dispatcher"])).status_code == 403
    assert client.post(f"{url}/hold", json={"reason": "  "}, headers=login(staff["supervisor"])).status_code == 422
    assert client.post(f"{url}/hold", json={}, headers=login(staff["supervisor"])).status_code == 422

    held = client.post(f"{url}/hold", json={"reason": "申诉复核"}, headers=login(staff["supervisor"]))
    assert held.status_code == 200 and held.json()["legal_hold"] is True
    assert LocalStore(settings.recordings_dir).head(recording.key).legal_hold
    released = client.post(f"{url}/release", json={"reason": "结案"}, headers=login(staff["supervisor"]))
    assert released.json()["legal_hold"] is False
    assert (
        client.post("/recordings/999/hold", json={"reason": "x"}, headers=login(staff["supervisor"])).status_code == 404
    )


def test_grants_are_administered_by_admins(
    client: TestClient, login: Login, staff: dict[str, User], granted: User, recording: Recording
) -> None:
    admin = login(staff["admin"])
    for user in ("supervisor", "auditor", "dispatcher"):
        assert client.get("/recording-grants", headers=login(staff[user])).status_code == 403
        response = client.post(
            "/recording-grants", json={"username": "supervisor1", "scope": "all"}, headers=login(staff[user])
        )
        assert response.status_code == 403
    (listed,) = client.get("/recording-grants", headers=admin).json()
    assert (listed["username"], listed["scope"], listed["granted_by"]) == ("supervisor1", "juweihui", "admin1")
    bad = client.post("/recording-grants", json={"username": "dispatcher1", "scope": "all"}, headers=admin)
    assert bad.status_code == 422 and "supervisors" in bad.json()["detail"]
    assert (
        client.post("/recording-grants", json={"username": "ghost", "scope": "all"}, headers=admin).status_code == 404
    )

    assert _audio(client, recording, login(granted)).status_code == 200
    revoked = client.post(f"/recording-grants/{listed['id']}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_by"] == "admin1"
    assert _audio(client, recording, login(granted)).status_code == 403
    assert client.get("/recording-grants?include_revoked=true", headers=admin).json()[0]["revoked_at"]


def test_audit_log_is_for_auditors(
    client: TestClient, login: Login, staff: dict[str, User], granted: User, recording: Recording
) -> None:
    _audio(client, recording, login(granted))
    _audio(client, recording, login(staff["dispatcher"]))
    for user in ("supervisor", "dispatcher", "handler", "admin"):
        for path in ("/audit/entries", "/audit/export?format=csv", "/audit/verify"):
            assert client.get(path, headers=login(staff[user])).status_code == 403, (user, path)
    auditor = login(staff["auditor"])

    found = client.get("/audit/entries?action=listen", headers=auditor).json()
    assert found["total"] == 2
    assert [(e["actor"], e["result"]) for e in found["entries"]] == [
        ("dispatcher1", "refused"),
        ("supervisor1", "granted"),
    ]
    refused = client.get("/audit/entries?result=refused&actor=dispatcher1", headers=auditor).json()
    assert refused["total"] == 1 and refused["entries"][0]["purpose"] == "投诉处理"

    exported = client.get("/audit/export?format=json&action=listen", headers=auditor)
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    assert [e["actor"] for e in exported.json()] == ["supervisor1", "dispatcher1"]
    csv_export = client.get("/audit/export?format=csv", headers=auditor)
    assert csv_export.text.splitlines()[0].startswith("id,at,actor,action")
    assert client.get("/audit/export?format=xml", headers=auditor).status_code == 422

    check = client.get("/audit/verify", headers=auditor).json()
    assert check["ok"] is True and check["anchored"] is False and check["entries"] >= 4
    assert client.post("/audit/verify", headers=auditor).json()["anchored"] is True
    exports = client.get("/audit/entries?action=export", headers=auditor).json()
    assert exports["total"] == 2 and exports["entries"][0]["actor"] == "auditor1"
