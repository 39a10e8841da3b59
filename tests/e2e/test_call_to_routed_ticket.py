"""From a phone call to a routed ticket with its recording kept, through ``hotline serve``.

SIPp calls the running hotline four times at once and plays bundled sample
complaints (phone-band Mandarin, G.711 μ-law RTP built from the WAVs): it waits
3 s, presses 1 (RFC 2833), waits through the complaint prompt and beep, speaks,
and hangs up. Each call must become a phone ticket with the caller's number, a
transcript close to what was said, the right routing, and a recording stored in
the local store with a two-year retain-until date and the SHA-256 taken at
recording time; the emergency must raise its alert and reach the webhook; a
supervisor with a grant can download the recording, a dispatcher cannot.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from e2e_harness import Hotline, Webhook, sip_harness
from sqlalchemy import select

from hotline import access
from hotline.demo import Sample, sample_for
from hotline.demo.speech import audio_seconds
from hotline.stores import recording_store
from storage.audit import as_utc
from storage.db import Database
from storage.models import Call, Recording, Ticket, Transcript
from storage.recordings import retain_until
from transcription.text import cer

pytestmark = [pytest.mark.slow, pytest.mark.sip, pytest.mark.model]

ROUTING_TIMEOUT = 300.0  # four calls transcribed one after another by one worker on a slow machine
MAX_CER = 0.25
CALLERS = {"property": "13900000001", "noise": "13900000002", "emergency": "13900000003", "labor": "13900000004"}
# The caller presses 1 during the greeting (the menu accepts it at once), then stays quiet
# through the complaint prompt and beep before speaking.
BEFORE_KEY, AFTER_KEY, AFTER_SPEECH = 3.0, 10.0, 1.0
KEY_SECONDS = 0.3  # one RFC 2833 key in make_rtp_pcap: 100 ms tone, 200 ms gap


def test_phone_calls_become_routed_tickets_with_kept_recordings(
    start_hotline, webhook: Webhook, db: Database, tmp_path: Path
) -> None:
    hotline = start_hotline(alert_webhook_url=webhook.url)
    assert f"sip:hotline@127.0.0.1:{hotline.sip[1]}" in hotline.banner
    samples = {category: sample_for(category) for category in CALLERS}
    assert all(samples.values()), "bundled samples missing from hotline/demo/samples"

    callers = [_sipp_call(hotline, tmp_path / category, sample, CALLERS[category])  # type: ignore[arg-type]
               for category, sample in samples.items()]
    for caller in callers:
        result = caller.wait()
        assert result.returncode == 0, result.errors
        assert 200 in result.responses()

    routed = sip_harness.wait_for(lambda: _routed(db, CALLERS.values()), ROUTING_TIMEOUT,
                                  interval=1.0, message="four routed phone tickets")
    for category, sample in samples.items():
        call = routed[CALLERS[category]]
        assert call.channel == "phone"
        assert cer(sample.text, call.transcript) <= MAX_CER, (sample.text, call.transcript)
        assert call.routing == (sample.category, sample.department, sample.urgency), call.transcript  # type: ignore[union-attr]

    ticket_ids = [call.ticket_id for call in routed.values()]
    recordings = sip_harness.wait_for(lambda: _stored_recordings(db, ticket_ids), 120.0, interval=1.0,
                                      message="the recordings to reach the store")
    store = recording_store(hotline.settings)
    for recording in recordings:
        assert recording.retain_until == retain_until(recording.recorded_at, 2)
        assert timedelta(days=730) <= recording.retain_until - recording.recorded_at <= timedelta(days=732)
        stored = hashlib.sha256(b"".join(store.stream(recording.key, recording.version_id))).hexdigest()
        assert stored == recording.sha256 == recording.call_sha256
    spooled = [p for p in hotline.settings.spool_dir.rglob("*") if p.suffix in (".wav", ".json")]
    assert not spooled  # audio and sidecars leave the spool once stored (an agent's .lock stays)

    emergency = routed[CALLERS["emergency"]]
    assert "alert" in emergency.event_actions
    alert = sip_harness.wait_for(
        lambda: next((p for p in webhook.received if p.get("ticket") == emergency.number), None), 30.0,
        message="the alert at the webhook")
    assert alert["event"] == "hotline.alert" and alert["urgency"] == 1
    assert not [p for p in webhook.received if p.get("ticket") != emergency.number]

    property_call = routed[CALLERS["property"]]
    _check_recording_access(hotline, next(r for r in recordings if r.ticket_id == property_call.ticket_id))

    assert hotline.stop() == 0


def _sipp_call(hotline: Hotline, workdir: Path, sample: Sample, number: str):  # type: ignore[no-untyped-def]
    seconds = BEFORE_KEY + KEY_SECONDS + AFTER_KEY + audio_seconds(sample.path) + AFTER_SPEECH
    return sip_harness.Caller(
        workdir=workdir, target=hotline.sip, scenario="caller_hangs_up.xml",
        pcap_parts=(f"silence={BEFORE_KEY}", "dtmf=1", f"silence={AFTER_KEY}", str(sample.path),
                    f"silence={AFTER_SPEECH}"),
        caller=number, from_user=number, pause_ms=int(seconds * 1000) + 500,
    ).start()


@dataclass(frozen=True)
class RoutedCall:
    ticket_id: int
    number: str
    channel: str
    routing: tuple[str | None, str | None, int]
    transcript: str
    event_actions: tuple[str, ...]


@dataclass(frozen=True)
class KeptRecording:
    id: int
    ticket_id: int
    key: str
    version_id: str | None
    sha256: str
    call_sha256: str | None
    recorded_at: datetime
    retain_until: datetime


def _routed(db: Database, numbers) -> dict[str, RoutedCall] | None:  # type: ignore[no-untyped-def]
    """Each caller's ticket with its transcript, once every one has been routed."""
    found = {}
    with db.read() as session:
        for number in numbers:
            ticket = session.scalars(select(Ticket).where(Ticket.caller_phone == number)).one_or_none()
            transcript = ticket and session.scalars(
                select(Transcript).where(Transcript.ticket_id == ticket.id)).first()
            if transcript is None:
                return None
            found[number] = RoutedCall(
                ticket.id, ticket.number, ticket.channel, (ticket.category, ticket.department, ticket.urgency),
                transcript.text, tuple(event.action for event in ticket.events))
    return found


def _stored_recordings(db: Database, ticket_ids: list[int]) -> list[KeptRecording] | None:
    with db.read() as session:
        recordings = session.scalars(select(Recording).where(Recording.ticket_id.in_(ticket_ids))).all()
        if len(recordings) != len(ticket_ids) or any(r.status != "stored" for r in recordings):
            return None
        calls = {c.ticket_id: c for c in session.scalars(select(Call).where(Call.ticket_id.in_(ticket_ids)))}
        return [
            KeptRecording(r.id, r.ticket_id, r.key, r.version_id, r.sha256, calls[r.ticket_id].recording_sha256,
                          as_utc(r.recorded_at), as_utc(r.retain_until))
            for r in recordings
        ]


def _check_recording_access(hotline: Hotline, recording: KeptRecording) -> None:
    """Through the API: a supervisor with a grant downloads the exact bytes; a dispatcher is refused."""
    admin = {"Authorization": f"Bearer {hotline.token(*hotline.admin_login())}"}
    password = "e2e-password-1"
    for username, role in (("e2e-supervisor", access.SUPERVISOR), ("e2e-dispatcher", access.DISPATCHER)):
        response = httpx.post(f"{hotline.api_url}/users", headers=admin,
                              json={"username": username, "password": password, "role": role})
        assert response.status_code == 201, response.text
    response = httpx.post(f"{hotline.api_url}/recording-grants", headers=admin,
                          json={"username": "e2e-supervisor", "scope": "all"})
    assert response.status_code == 201, response.text

    url = f"{hotline.api_url}/recordings/{recording.id}/audio"
    purpose = {"purpose": "投诉处理"}
    supervisor = {"Authorization": f"Bearer {hotline.token('e2e-supervisor', password)}"}
    response = httpx.get(url, params=purpose, headers=supervisor, timeout=60)
    assert response.status_code == 200, response.text
    assert hashlib.sha256(response.content).hexdigest() == recording.sha256

    dispatcher = {"Authorization": f"Bearer {hotline.token('e2e-dispatcher', password)}"}
    response = httpx.get(url, params=purpose, headers=dispatcher, timeout=60)
    assert response.status_code == 403
    assert json.loads(response.text)["detail"]
