"""Recovering a crashed agent's spool: WAV headers repaired, calls reported as interrupted."""
from __future__ import annotations

import os
import struct
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from recording.recovery import CRASH_CAUSE, recover_spool
from recording.spool import FINISHED, RECORDING, CallReport, Spool
from recording.wav import UnrepairableRecording, header_complete, repair_wav

RATE = 8000
STARTED = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def speech(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (8000 * np.sin(2 * np.pi * 440 * t)).astype("<i2")


def write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(samples.tobytes())


def kill_writer(path: Path, trailing: bytes = b"") -> None:
    """Leave the file as PJSIP's writer does when killed: both sizes 0, maybe half a sample."""
    data = bytearray(path.read_bytes())
    data[4:8] = data[40:44] = b"\0\0\0\0"
    path.write_bytes(bytes(data) + trailing)


def test_repair_restores_every_sample_of_a_killed_recording(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    samples = speech(3.0)
    write_wav(path, samples)
    kill_writer(path, trailing=b"\x01")  # a sample cut in half by the kill
    assert not header_complete(path)

    assert repair_wav(path) is True
    assert header_complete(path)
    with wave.open(str(path), "rb") as wav:
        assert wav.getnframes() == len(samples)
        assert np.array_equal(np.frombuffer(wav.readframes(wav.getnframes()), "<i2"), samples)
    assert struct.unpack("<I", path.read_bytes()[4:8])[0] == path.stat().st_size - 8


def test_repair_leaves_a_complete_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    write_wav(path, speech(1.0))
    before = path.read_bytes()
    assert repair_wav(path) is False
    assert path.read_bytes() == before


def test_repair_finds_the_data_chunk_after_other_chunks(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    write_wav(path, speech(0.5))
    raw = path.read_bytes()
    extra = b"LIST" + struct.pack("<I", 5) + b"hello\0"  # odd size: padded to even
    path.write_bytes(raw[:36] + extra + raw[36:40] + b"\0\0\0\0" + raw[44:])
    assert repair_wav(path) is True
    with wave.open(str(path), "rb") as wav:
        assert wav.getnframes() == int(0.5 * RATE)


@pytest.mark.parametrize("content", [b"", b"RIFF", b"RIFF\0\0\0\0AVI LIST", b"RIFF\0\0\0\0WAVEfmt "])
def test_what_is_not_a_wav_cannot_be_repaired(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.wav"
    path.write_bytes(content)
    with pytest.raises(UnrepairableRecording):
        repair_wav(path)


def report(call_id: str, **changes: object) -> CallReport:
    values: dict[str, object] = {"call_id": call_id, "caller_number": "+8613900001111",
                                 "started_at": STARTED, "answered_at": STARTED}
    values.update(changes)
    return CallReport(**values)  # type: ignore[arg-type]


def test_recovery_repairs_and_marks_calls_of_a_crashed_agent_interrupted(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    crashed = spool.create(report("crashed@h", menu_path="menu:1"))
    write_wav(crashed.wav_path, speech(4.0))
    kill_writer(crashed.wav_path)
    last_audio = (STARTED + timedelta(seconds=4)).timestamp()
    os.utime(crashed.wav_path, (last_audio, last_audio))
    os.utime(crashed.sidecar_path, (STARTED.timestamp(), STARTED.timestamp()))

    (entry,) = recover_spool(spool)

    assert entry.state == FINISHED
    recovered = entry.report
    assert recovered is not None
    assert recovered.interrupted and recovered.hangup_cause == CRASH_CAUSE
    assert recovered.ended_at == datetime.fromtimestamp(last_audio, UTC)
    assert recovered.duration_seconds == pytest.approx(4.0)
    assert recovered.recording_seconds == pytest.approx(4.0)
    assert recovered.recording_path == str(crashed.wav_path)
    assert recovered.menu_path == "menu:1" and recovered.opens_ticket
    assert header_complete(crashed.wav_path)
    # What was recovered is durable: a second start finds the same, already finished, entry.
    (again,) = recover_spool(Spool(tmp_path))
    assert again.report == recovered


def test_recovery_reports_finished_calls_and_ends_those_cut_off_during_the_read_back(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    reported_later = spool.create(report("db-was-down@h"))
    write_wav(reported_later.wav_path, speech(2.0))
    complete = report("db-was-down@h", ended_at=STARTED + timedelta(seconds=9), duration_seconds=9.0,
                      hangup_cause="caller-hangup", menu_path="menu:1>complaint:#>number-read")
    reported_later.finish(complete)
    reading_number = spool.create(report("crash-during-readback@h"))
    write_wav(reading_number.wav_path, speech(1.0))
    reading_number.finish(report("crash-during-readback@h", menu_path="menu:1>complaint:#"))

    entries = {entry.report.call_id: entry.report for entry in recover_spool(spool) if entry.report}

    assert entries["db-was-down@h"].ended_at == complete.ended_at  # untouched
    assert not entries["db-was-down@h"].interrupted
    cut = entries["crash-during-readback@h"]
    assert cut.ended_at is not None and cut.hangup_cause == CRASH_CAUSE
    assert not cut.interrupted  # the complaint itself was complete
    assert cut.recording_seconds == pytest.approx(1.0)


def test_recovery_keeps_the_call_when_its_audio_is_unreadable(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    entry = spool.create(report("no-audio@h"))
    entry.wav_path.write_bytes(b"RIFF")  # killed before the header was complete
    (recovered,) = recover_spool(spool)
    assert recovered.report is not None
    assert recovered.report.interrupted and recovered.report.recording_path is None
    assert not entry.wav_path.exists()
    assert recovered.state == FINISHED and recovered.state != RECORDING
