"""The spool's sidecars: atomic, readable after a crash, and gone once the database has the call."""
from __future__ import annotations

import hashlib
import json
import wave
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from recording.spool import FINISHED, RECORDING, CallReport, Spool, SpoolBusy

STARTED = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def a_report(**changes: object) -> CallReport:
    values: dict[str, object] = {"call_id": "a84b4c76e66710@pc33.example.com", "caller_number": "+8613900001111",
                                 "started_at": STARTED, "answered_at": STARTED}
    values.update(changes)
    return CallReport(**values)  # type: ignore[arg-type]


def write_wav(path: Path, seconds: float) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\x10\x00" * int(seconds * 8000))


def test_report_survives_the_sidecar_round_trip() -> None:
    report = a_report(ended_at=STARTED + timedelta(seconds=61.5), duration_seconds=61.5,
                      menu_path="menu:1>complaint:#>number-read", hangup_cause="completed",
                      recording_sha256="0" * 64, recording_size=123, recording_seconds=60.0)
    assert CallReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report


@pytest.mark.parametrize(
    ("menu_path", "interrupted", "opens"),
    [("menu:1>complaint:#>number-read", False, True), ("menu:timeout>complaint:silence", False, True),
     ("menu:2>query:found", False, False), ("", False, False), ("", True, True)],
)
def test_a_ticket_is_opened_for_complaints_and_for_calls_cut_off_by_us(
    menu_path: str, interrupted: bool, opens: bool
) -> None:
    assert a_report(menu_path=menu_path, interrupted=interrupted).opens_ticket is opens


def test_entry_files_are_named_by_time_and_call_id_hash(tmp_path: Path) -> None:
    entry = Spool(tmp_path).create(a_report(call_id="../../etc/passwd"))
    assert entry.wav_path.parent == tmp_path and entry.sidecar_path.parent == tmp_path
    assert entry.wav_path.name.startswith("20250314T093000-") and entry.wav_path.suffix == ".wav"
    assert entry.sidecar_path.with_suffix(".wav") == entry.wav_path


def test_saving_replaces_the_sidecar_whole_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    entry = spool.create(a_report())
    entry.save(a_report(menu_path="menu:1"), RECORDING)
    assert [path.name for path in tmp_path.iterdir()] == [entry.sidecar_path.name]
    (loaded,) = spool.entries()
    assert loaded.state == RECORDING and loaded.report == a_report(menu_path="menu:1")
    with pytest.raises(ValueError):
        entry.save(a_report(), "uploaded")


def test_finish_records_the_facts_of_the_audio(tmp_path: Path) -> None:
    entry = Spool(tmp_path).create(a_report())
    write_wav(entry.wav_path, 2.5)
    finished = entry.finish(a_report(menu_path="menu:1>complaint:#"))
    assert entry.state == FINISHED
    assert finished.recording_path == str(entry.wav_path)
    assert finished.recording_sha256 == hashlib.sha256(entry.wav_path.read_bytes()).hexdigest()
    assert finished.recording_size == entry.wav_path.stat().st_size
    assert finished.recording_seconds == 2.5
    assert Spool(tmp_path).entries()[0].report == finished


def test_later_reports_keep_the_facts_even_once_the_uploader_took_the_audio(tmp_path: Path) -> None:
    entry = Spool(tmp_path).create(a_report())
    write_wav(entry.wav_path, 1.0)
    first = entry.finish(a_report())
    entry.wav_path.unlink()
    final = entry.finish(a_report(hangup_cause="completed"))
    assert (final.recording_sha256, final.recording_path) == (first.recording_sha256, first.recording_path)
    assert final.hangup_cause == "completed"


def test_finish_repairs_a_header_its_writer_never_closed(tmp_path: Path) -> None:
    entry = Spool(tmp_path).create(a_report())
    write_wav(entry.wav_path, 1.0)
    data = bytearray(entry.wav_path.read_bytes())
    data[4:8] = data[40:44] = b"\0\0\0\0"
    entry.wav_path.write_bytes(bytes(data))
    assert entry.finish(a_report(), settle_seconds=0.05).recording_seconds == 1.0


def test_release_removes_the_sidecar_and_the_audio_only_of_calls_without_a_ticket(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    complaint = spool.create(a_report(call_id="complaint"))
    query = spool.create(a_report(call_id="query", started_at=STARTED + timedelta(seconds=1)))
    for entry in (complaint, query):
        write_wav(entry.wav_path, 0.5)
        entry.finish(entry.report or a_report())
    complaint.release(keep_audio=True)
    query.release(keep_audio=False)
    assert sorted(path.name for path in tmp_path.iterdir()) == [complaint.wav_path.name]
    assert spool.entries() == []


def test_foreign_or_damaged_sidecars_are_skipped_not_deleted(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    (tmp_path / "notes.json").write_text("{not json")
    (tmp_path / "other.json").write_text(json.dumps({"state": "x"}))
    good = spool.create(a_report())
    assert [entry.sidecar_path for entry in spool.entries()] == [good.sidecar_path]
    assert (tmp_path / "notes.json").exists() and (tmp_path / "other.json").exists()
    assert replace(a_report(), menu_path="x") != a_report()


def test_only_one_agent_at_a_time_may_use_a_spool(tmp_path: Path) -> None:
    first = Spool(tmp_path)
    first.lock()
    with pytest.raises(SpoolBusy, match="in use by another running agent"):
        Spool(tmp_path).lock()
    first.unlock()
    second = Spool(tmp_path)
    second.lock()
    second.unlock()
