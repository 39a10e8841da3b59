"""Bringing back what a crashed agent left in the spool: repaired audio, interrupted reports."""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime

from recording.spool import RECORDING, CallReport, Spool, SpoolEntry
from recording.wav import UnrepairableRecording, repair_wav

log = logging.getLogger(__name__)

CRASH_CAUSE = "agent-crash"


def recover_spool(spool: Spool) -> list[SpoolEntry]:
    """Every entry whose call still has to reach the database, each in state ``finished``.

    Entries still ``recording`` belong to calls of a crashed agent: their WAV is
    repaired and their report marked interrupted, ending when the audio ends.
    Finished entries without an end time were registered while the caller was
    still listening to the ticket number; the crash ended those calls too.
    Call this only while no agent records into ``spool``.
    """
    pending = []
    for entry in spool.entries():
        assert entry.report is not None
        if entry.state == RECORDING:
            entry.finish(_ended_by_crash(entry, interrupted=True))
            log.warning("recovered an interrupted call recording", extra={"spool_file": entry.wav_path.name})
        elif entry.report.ended_at is None:
            entry.finish(_ended_by_crash(entry, interrupted=False))
        pending.append(entry)
    return pending


def _ended_by_crash(entry: SpoolEntry, *, interrupted: bool) -> CallReport:
    assert entry.report is not None
    report = entry.report
    last_write = entry.sidecar_path.stat().st_mtime
    if entry.wav_path.exists():
        last_write = max(last_write, entry.wav_path.stat().st_mtime)  # the last audio, before repair
        try:
            repair_wav(entry.wav_path)
        except UnrepairableRecording as exc:
            log.error("dropping an unreadable call recording",
                      extra={"spool_file": entry.wav_path.name, "reason": str(exc)})
            entry.wav_path.unlink()
    ended_at = report.ended_at or datetime.fromtimestamp(last_write, UTC)
    began = report.answered_at or report.started_at
    return replace(
        report,
        ended_at=ended_at,
        duration_seconds=round(max((ended_at - began).total_seconds(), 0.0), 3),
        hangup_cause=report.hangup_cause or CRASH_CAUSE,
        interrupted=report.interrupted or interrupted,
    )
