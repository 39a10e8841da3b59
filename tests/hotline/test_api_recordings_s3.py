"""The recording endpoints with the S3 backend (SeaweedFS): streaming and presigned URLs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from recording_fixtures import stored_bytes
from s3_server import APP_KEY, SeaweedS3

from hotline.api.app import create_app
from hotline.config import Settings
from recording.uploader import upload_pending
from storage.db import Database
from storage.models import AuditEntry, User

pytestmark = [pytest.mark.slow, pytest.mark.s3]
PURPOSE = quote("核对通话内容")


@pytest.fixture
def s3_settings(settings: Settings, s3_server: SeaweedS3, s3_bucket: str) -> Settings:
    return settings.model_copy(
        update={
            "storage_backend": "s3",
            "s3_endpoint_url": s3_server.endpoint,
            "s3_bucket": s3_bucket,
            "s3_access_key": APP_KEY[0],
            "s3_secret_key": APP_KEY[1],
            "s3_presign_seconds": 60,
        }
    )


@pytest.fixture
def s3_client(s3_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(s3_settings)) as client:
        yield client


def test_audio_and_presigned_urls_from_s3(
    db: Database,
    s3_server: SeaweedS3,
    s3_bucket: str,
    spool_recording,
    make_ticket,
    staff: dict[str, User],
    s3_client: TestClient,
    login: Callable[[User], dict[str, str]],
) -> None:
    store = s3_server.store(s3_bucket)
    recording = spool_recording(make_ticket(department="juweihui"), size=300_000)
    upload_pending(db, store)
    data = stored_bytes(store, recording)
    admin = login(staff["admin"])
    assert (
        s3_client.post(
            "/recording-grants", json={"username": "supervisor1", "scope": "juweihui"}, headers=admin
        ).status_code
        == 201
    )
    supervisor = login(staff["supervisor"])

    full = s3_client.get(f"/recordings/{recording.id}/audio?purpose={PURPOSE}", headers=supervisor)
    part = s3_client.get(
        f"/recordings/{recording.id}/audio?purpose={PURPOSE}", headers=supervisor | {"Range": "bytes=1000-1999"}
    )
    presigned = s3_client.get(f"/recordings/{recording.id}/presigned?purpose={PURPOSE}", headers=supervisor)
    refused = s3_client.get(
        f"/recordings/{recording.id}/presigned?purpose={PURPOSE}", headers=login(staff["dispatcher"])
    )

    assert full.status_code == 200 and full.content == data
    assert part.status_code == 206 and part.content == data[1000:2000]
    assert presigned.status_code == 200 and presigned.json()["expires_in"] == 60
    assert httpx.get(presigned.json()["url"]).content == data
    assert refused.status_code == 403 and "url" not in refused.json()
    with db.read() as session:
        logged = [(e.actor, e.action, e.result) for e in session.query(AuditEntry).order_by(AuditEntry.id)]
    assert logged[-4:] == [
        ("supervisor1", "listen", "granted"),
        ("supervisor1", "listen", "granted"),
        ("supervisor1", "presign", "granted"),
        ("dispatcher1", "presign", "refused"),
    ]
