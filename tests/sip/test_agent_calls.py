"""The SIP agent against real SIP peers: SIPp calls ``hotline agent`` over loopback.

Each test starts the agent as a subprocess on its own port with the test's
database, lets SIPp play a caller (speech from the shared evaluation set, keys
as RFC 2833 events or SIP INFO) and then checks what the agent stored and what
it said (its RTP, captured on loopback and matched against the prompt files).
"""
from __future__ import annotations

import hashlib
import shutil
import statistics
import wave
from datetime import date
from pathlib import Path

import pytest
from rtp_audio import (
    RtpSniffer,
    as_sent,
    count_sequence,
    find,
    prompt,
    read_wav,
    rms,
    window_correlations,
)
from sip_harness import SPEECH_DIR, Caller, finished_calls, pcap_tool, spooled, wait_for
from sqlalchemy import select

from hotline import tickets
from hotline.config import Settings
from hotline.sip.prompts import PromptCatalog, spoken_date, spoken_digits
from hotline.users import create_user
from storage import jobs, recordings
from storage.db import Database
from storage.models import Call, Job, Recording, Ticket

pytestmark = [pytest.mark.slow, pytest.mark.sip]

CALLER = "+8613900001111"  # in P-Asserted-Identity; From says 13800000000
SPEECH = SPEECH_DIR / "d058.wav"
KEY = pcap_tool.KEY_SECONDS
CATALOG = PromptCatalog()
NOTICES = CATALOG.seconds(["greeting", "recorded", "emergency"])  # heard in full, whatever is pressed
# A caller pressing 1 at 0.5 s speaks once the complaint prompt and beep are over (plus a margin).
SPEECH_AT = NOTICES + CATALOG.seconds(["complaint", "beep"]) + 1.0
LENGTH_TOLERANCE = 0.5


def complaint(speech: Path, *tail: str, key: str = "1") -> list[str]:
    """The caller's RTP: a menu key during the notices, silence, the complaint, then ``tail``."""
    return ["silence=0.5", f"dtmf={key}", f"silence={SPEECH_AT - 0.5 - KEY:.3f}", str(speech), *tail]


def ticket_of(db: Database, call: Call) -> tuple[Ticket, list[Recording], list[Job]]:
    with db.read() as session:
        ticket = session.get(Ticket, call.ticket_id)
        assert ticket is not None
        stored = list(recordings.for_ticket(session, ticket.id))
        queued = [job for job in jobs.list_jobs(session) if job.ticket_id == ticket.id]
    return ticket, stored, queued


def seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def assert_recorded_speech(recording: Recording, speech, expected_seconds: float) -> None:  # type: ignore[no-untyped-def]
    """The spooled WAV is intact, as long as what was sent, and is the sent speech."""
    path = Path(recording.spool_path)
    assert path.is_file()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == recording.sha256
    assert recording.size == path.stat().st_size
    assert abs(seconds(path) - expected_seconds) <= LENGTH_TOLERANCE, (seconds(path), expected_seconds)
    assert abs(recording.duration_seconds - seconds(path)) < 0.01
    audio = read_wav(path)
    assert rms(audio) > 100, "the recording is silent"
    scores = window_correlations(audio, speech)
    assert len(scores) >= 4
    assert statistics.median(scores) >= 0.9, scores
    assert sum(score >= 0.8 for score in scores) >= 0.7 * len(scores), scores


def test_complaint_is_recorded_ticketed_and_number_read_back_twice(
    start_agent, db: Database, tmp_path: Path
) -> None:
    agent = start_agent()
    caller = Caller(tmp_path / "sipp", (agent.host, agent.port), "agent_hangs_up.xml",
                    complaint(SPEECH, "dtmf=#", "silence=45"))
    with RtpSniffer(caller.media_port) as sniffer:
        result = caller.run()
    assert result.returncode == 0, result.errors
    assert 200 in result.responses()
    assert result.requests_received("BYE") == 1  # the agent hung up after reading the number

    (call,) = finished_calls(db)
    assert call.caller_number == CALLER
    assert call.menu_path == "menu:1>complaint:#>number-read"
    assert call.hangup_cause == "completed"
    assert not call.interrupted
    ticket, (recording,), (job,) = ticket_of(db, call)
    assert (ticket.channel, ticket.caller_phone, ticket.status) == ("phone", CALLER, "registered")
    assert not ticket.interrupted
    assert call.recording_sha256 == recording.sha256
    assert (job.kind, job.status, job.recording_id) == ("transcribe", "queued", recording.id)
    expected = SPEECH_AT + len(as_sent(SPEECH)) / 8000
    assert_recorded_speech(recording, as_sent(SPEECH), expected)

    heard = sniffer.audio()
    assert count_sequence(heard, ["ticket_intro", *spoken_digits(ticket.number)]) == 2
    assert find(heard, prompt("emergency")), "the 119/110/120 notice was not played"
    assert find(heard, prompt("recorded")), "the recording notice was not played"
    assert find(heard, prompt("thanks"))


@pytest.mark.parametrize(
    ("key", "codec", "transport", "menu_step"),
    [("0", "pcma", "tcp", "menu:0"), (None, "pcmu", "udp", "menu:timeout")],
)
def test_zero_or_no_choice_records_a_complaint_until_the_caller_hangs_up(
    start_agent, db: Database, settings: Settings, tmp_path: Path,
    key: str | None, codec: str, transport: str, menu_step: str,
) -> None:
    agent = start_agent(sip_menu_timeout_seconds=2)
    if key:
        parts = complaint(SPEECH, "silence=0.5", key=key)
        speech_at = SPEECH_AT
    else:  # the menu prompt, 2 s without a key, then the complaint prompt
        speech_at = SPEECH_AT + CATALOG.seconds(["menu"]) + 2
        parts = [f"silence={speech_at:.3f}", str(SPEECH), "silence=0.5"]
    sent_seconds = speech_at + len(as_sent(SPEECH, codec)) / 8000 + 0.5
    caller = Caller(tmp_path / "sipp", (agent.host, agent.port), "caller_hangs_up.xml", parts,
                    codec=codec, transport=transport, pause_ms=int(sent_seconds * 1000))
    result = caller.run()
    assert result.returncode == 0, result.errors

    (call,) = finished_calls(db)
    assert call.menu_path == f"{menu_step}>complaint:caller-hangup"
    assert call.hangup_cause == "caller-hangup"
    ticket, (recording,), _ = ticket_of(db, call)
    assert ticket.caller_phone == CALLER
    assert_recorded_speech(recording, as_sent(SPEECH, codec), sent_seconds)


def _ticket_in_progress(db: Database, settings: Settings) -> tickets.TicketProgress:
    """A ticket accepted and dispatched by staff, as a caller would ask about it."""
    with db.write() as session:
        dispatcher = create_user(session, username="dispatcher1", password="correct-horse-1",
                                 role="dispatcher")
        ticket = tickets.register_ticket(session, settings, channel="web", actor="dispatcher1",
                                         content="楼道堆放杂物", caller_phone="13812345678")
        tickets.transition(session, settings, ticket, "accept", dispatcher)
        tickets.transition(session, settings, ticket, "dispatch", dispatcher, department="juweihui")
        progress = tickets.progress(session, ticket.number)
    assert progress is not None and progress.status == "dispatched" and progress.deadline
    return progress


def _wrong_number(number: str) -> str:
    return number[:-4] + ("9999" if not number.endswith("9999") else "9998")


def _assert_status_read(heard, progress: tickets.TicketProgress) -> None:  # type: ignore[no-untyped-def]
    assert len(find(heard, prompt("not_found"))) == 1, "the wrong number was not told"
    assert not find(heard, prompt("not_found_final"))
    assert isinstance(progress.deadline, date)
    words = ["status_intro", f"status_{progress.status}", "deadline_intro", *spoken_date(progress.deadline)]
    assert count_sequence(heard, words) == 1


def test_progress_query_by_rfc2833_reads_status_after_a_wrong_number(
    start_agent, db: Database, settings: Settings, tmp_path: Path
) -> None:
    progress = _ticket_in_progress(db, settings)
    agent = start_agent()
    parts = ["silence=1", "dtmf=2", f"silence={NOTICES:.3f}", f"dtmf={_wrong_number(progress.number)}#",
             f"silence={CATALOG.seconds(['not_found']) + 2:.3f}", f"dtmf={progress.number}#", "silence=45"]
    caller = Caller(tmp_path / "sipp", (agent.host, agent.port), "agent_hangs_up.xml", parts)
    with RtpSniffer(caller.media_port) as sniffer:
        result = caller.run()
    assert result.returncode == 0, result.errors

    (call,) = finished_calls(db)
    assert call.menu_path == "menu:2>query:not-found>query:found"
    assert call.ticket_id is None  # a query opens no ticket
    _assert_status_read(sniffer.audio(), progress)
    with db.read() as session:
        assert session.scalars(select(Ticket)).all().__len__() == 1


def test_progress_query_by_sip_info(start_agent, db: Database, settings: Settings, tmp_path: Path) -> None:
    progress = _ticket_in_progress(db, settings)
    agent = start_agent()
    caller = Caller(tmp_path / "sipp", (agent.host, agent.port), "info_query.xml", ["silence=80"],
                    injection=[*_wrong_number(progress.number), *progress.number],
                    pause_ms=int((NOTICES + 1) * 1000))
    with RtpSniffer(caller.media_port) as sniffer:
        result = caller.run()
    assert result.returncode == 0, result.errors
    assert result.responses().count(200) >= 1 + 27  # the INVITE and every INFO

    (call,) = finished_calls(db)
    assert call.menu_path == "menu:2>query:not-found>query:found"
    _assert_status_read(sniffer.audio(), progress)


def test_hang_up_during_greeting_leaves_a_call_row_and_no_ticket(
    start_agent, db: Database, settings: Settings, tmp_path: Path
) -> None:
    agent = start_agent()
    caller = Caller(tmp_path / "sipp", (agent.host, agent.port), "caller_hangs_up.xml", ["silence=2"],
                    pause_ms=2000)
    assert caller.run().returncode == 0

    (call,) = finished_calls(db)
    assert (call.menu_path, call.hangup_cause, call.ticket_id) == ("", "caller-hangup", None)
    assert call.caller_number == CALLER
    # No ticket to keep it for: the audio of the greeting is not kept either.
    wait_for(lambda: not spooled(settings, "*.wav") + spooled(settings, "*.json"), 30, message="an empty spool")


def test_caller_vanishing_without_bye_is_hung_up_after_the_rtp_timeout(
    start_agent, db: Database, tmp_path: Path
) -> None:
    agent = start_agent(sip_rtp_timeout_seconds=3, sip_max_silence_seconds=60)
    parts = complaint(SPEECH)  # then RTP stops
    caller = Caller(tmp_path / "sipp", (agent.host, agent.port), "agent_hangs_up.xml", parts)
    result = caller.run()
    assert result.returncode == 0, result.errors
    assert result.requests_received("BYE") == 1

    (call,) = finished_calls(db)
    assert call.hangup_cause == "rtp-timeout"
    assert call.menu_path == "menu:1>complaint:rtp-timeout"
    ticket, (recording,), _ = ticket_of(db, call)
    assert not ticket.interrupted
    assert rms(read_wav(Path(recording.spool_path))) > 100


def test_kill_9_mid_call_then_restart_recovers_the_recording(
    start_agent, db: Database, settings: Settings, tmp_path: Path
) -> None:
    agent = start_agent()
    speech = SPEECH_DIR / "d001.wav"  # 7.9 s
    caller = Caller(tmp_path / "sipp", (agent.host, agent.port), "agent_hangs_up.xml",
                    complaint(speech, "silence=30")).start()
    # Kill once the caller has spoken for a while: 8 kHz 16-bit is 16000 bytes a second.
    spoken_by = SPEECH_AT + 6.0

    def recorded_enough() -> list[Path]:
        return [path for path in spooled(settings, "*.wav") if path.stat().st_size > spoken_by * 16000]

    (wav_path,) = wait_for(recorded_enough, 90, message="the recording to grow")
    agent.kill()
    caller.kill()
    header = wav_path.read_bytes()[:44]
    assert header[4:8] == b"\0\0\0\0", "expected the header PJSIP leaves behind when killed"
    with db.read() as session:
        assert session.scalars(select(Call)).all() == []  # nothing reached the database yet

    agent.start()
    assert any("recovered 1 call(s)" in line for line in agent.stdout)
    (call,) = finished_calls(db)
    assert call.interrupted and call.hangup_cause == "agent-crash"
    assert call.caller_number == CALLER
    ticket, (recording,), (job,) = ticket_of(db, call)
    assert ticket.interrupted and ticket.caller_phone == CALLER
    assert job.kind == "transcribe"
    recovered = Path(recording.spool_path)
    assert recovered == wav_path
    assert seconds(recovered) >= spoken_by - LENGTH_TOLERANCE
    sent = as_sent(speech)[: int((seconds(recovered) - (spoken_by - 6.0)) * 8000)]
    scores = window_correlations(read_wav(recovered), sent)
    assert statistics.median(scores) >= 0.9, scores
    agent.stop()


def test_four_calls_are_recorded_and_a_fifth_is_busy(
    start_agent, db: Database, settings: Settings, tmp_path: Path
) -> None:
    agent = start_agent()
    sent_seconds = SPEECH_AT + len(as_sent(SPEECH)) / 8000 + 0.5
    four = Caller(tmp_path / "four", (agent.host, agent.port), "caller_hangs_up.xml",
                  complaint(SPEECH, "silence=0.5"), calls=4,
                  pause_ms=int(sent_seconds * 1000)).start()
    wait_for(lambda: len(spooled(settings, "*.json")) == 4, 60, message="four answered calls")
    fifth = Caller(tmp_path / "fifth", (agent.host, agent.port), "refused.xml").run()
    assert fifth.responses()[-1] == 486
    assert four.wait().returncode == 0

    calls = finished_calls(db, count=4)
    assert len({call.call_id for call in calls}) == 4
    for call in calls:
        assert call.menu_path == "menu:1>complaint:caller-hangup"
        _, (recording,), _ = ticket_of(db, call)
        assert_recorded_speech(recording, as_sent(SPEECH), sent_seconds)


def test_call_from_outside_the_allowed_networks_is_refused(start_agent, db: Database, tmp_path: Path) -> None:
    agent = start_agent(host="127.0.0.2", sip_allowed_networks='["127.0.0.2/32"]')
    result = Caller(tmp_path / "sipp", (agent.host, agent.port), "refused.xml", local_ip="127.0.0.3").run()
    assert result.responses()[-1] == 403
    wait_for(lambda: "127.0.0.3" in agent.log(), 10, message="the refusal in the log")
    refusal = [line for line in agent.log().splitlines() if "127.0.0.3" in line]
    assert refusal and "sip_allowed_networks" in refusal[0]
    assert "13800000000" not in agent.log() and "8613900001111" not in agent.log()
    with db.read() as session:
        assert session.scalars(select(Call)).all() == []


def test_sigterm_hangs_up_and_reports_an_interrupted_complaint(
    start_agent, db: Database, settings: Settings, tmp_path: Path
) -> None:
    agent = start_agent()
    caller = Caller(tmp_path / "sipp", (agent.host, agent.port), "agent_hangs_up.xml",
                    complaint(SPEECH, "silence=30")).start()
    in_complaint = (SPEECH_AT + 2) * 16000
    wait_for(lambda: [p for p in spooled(settings, "*.wav") if p.stat().st_size > in_complaint], 90,
             message="the complaint to be recorded")
    assert agent.stop() == 0
    assert caller.wait().returncode == 0  # the agent's BYE ended the call properly

    (call,) = finished_calls(db)
    assert call.hangup_cause == "agent-shutdown" and call.interrupted
    assert call.menu_path == "menu:1>complaint:agent-shutdown"
    ticket, (recording,), _ = ticket_of(db, call)
    assert ticket.interrupted
    assert seconds(Path(recording.spool_path)) > in_complaint / 16000 - LENGTH_TOLERANCE
    assert ticket.number in agent.log() + "".join(agent.stdout)


def test_an_error_in_a_callback_does_not_take_the_agent_down(
    start_agent, db: Database, settings: Settings, tmp_path: Path
) -> None:
    prompts = tmp_path / "prompts"
    shutil.copytree(CATALOG.directory, prompts)
    agent = start_agent(sip_prompts_dir=prompts)
    (prompts / "greeting.wav").write_bytes(b"RIFF garbage")  # a broken replacement, after the start-up check
    for attempt in range(2):
        caller = Caller(tmp_path / f"sipp{attempt}", (agent.host, agent.port), "caller_hangs_up.xml",
                        ["silence=3"], pause_ms=3000)
        result = caller.run()
        assert result.returncode == 0, result.errors
        assert 200 in result.responses()
    assert "error in SIP callback" in agent.log()
    assert agent.process is not None and agent.process.poll() is None
    assert len(finished_calls(db, count=2)) == 2
