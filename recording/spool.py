"""The spool: each call's audio and metadata on local disk until the database knows them.

Every call gets two files named after its start time and a hash of its Call-ID:
``<stem>.wav`` (the caller's audio, written by the SIP stack from the first
second) and ``<stem>.json`` (the sidecar: the call's :class:`CallReport` and its
state). The sidecar is always replaced atomically (temporary file, fsync,
rename, fsync of the folder), so after a crash it holds either the old or the
new content, never half of each.

States of a sidecar:

* ``recording`` — the call is (or was, if the agent died) in progress; the WAV
  header may still say 0 bytes. :mod:`recording.recovery` repairs such files.
* ``finished`` — the WAV is complete; the report still has to reach the database.

Once the database has the call, the sidecar is deleted (it holds the caller's
number, which has no business lingering on disk); the WAV stays until the
uploader has copied it into the recording store.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import time
import wave
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import IO

from recording.wav import header_complete, repair_wav
from storage.files import atomic_write, fsync_directory

RECORDING = "recording"
FINISHED = "finished"
STATES = (RECORDING, FINISHED)

CODEC = "pcm_s16le"  # what the SIP agent's recorder writes: 8 kHz mono 16-bit PCM
COMPLAINT_STEP = "complaint"
SETTLE_POLL_SECONDS = 0.02


@dataclass(frozen=True)
class CallReport:
    """Everything the agent knows about one call; what the call sink stores."""

    call_id: str
    caller_number: str | None
    started_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    duration_seconds: float | None = None
    menu_path: str = ""
    hangup_cause: str | None = None
    recording_path: str | None = None
    recording_sha256: str | None = None
    recording_size: int | None = None
    recording_seconds: float | None = None
    interrupted: bool = False

    @property
    def opens_ticket(self) -> bool:
        """A complaint was made, or the call was cut off by our side before it could be."""
        return self.interrupted or any(
            step.startswith(COMPLAINT_STEP) for step in self.menu_path.split(">")
        )

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        for name in ("started_at", "answered_at", "ended_at"):
            if data[name] is not None:
                data[name] = data[name].isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> CallReport:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        for name in ("started_at", "answered_at", "ended_at"):
            if values.get(name) is not None:
                values[name] = datetime.fromisoformat(str(values[name]))
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class RecordingFacts:
    sha256: str
    size: int
    seconds: float


def recording_facts(path: Path) -> RecordingFacts:
    """SHA-256, size and length of a complete WAV file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    with wave.open(str(path), "rb") as wav:
        seconds = wav.getnframes() / wav.getframerate()
    return RecordingFacts(digest.hexdigest(), path.stat().st_size, round(seconds, 3))


@dataclass
class SpoolEntry:
    """One call's pair of files in the spool."""

    wav_path: Path
    sidecar_path: Path
    state: str = RECORDING
    report: CallReport | None = field(default=None, repr=False)

    def save(self, report: CallReport, state: str) -> None:
        """Atomically replace the sidecar with ``report`` in ``state``."""
        if state not in STATES:
            raise ValueError(f"unknown spool state {state!r}")
        payload = json.dumps({"state": state, "report": report.to_dict()}, ensure_ascii=False)
        atomic_write(self.sidecar_path, payload.encode())
        self.state, self.report = state, report

    def finish(self, report: CallReport, settle_seconds: float = 0.0) -> CallReport:
        """Record the facts of the complete WAV and mark the entry finished.

        A recorder that was just dropped closes its file a moment later on the
        media thread: wait up to ``settle_seconds`` for that, then repair the
        header if it is still open. Facts already recorded are kept: the uploader
        may have moved the audio away by the time a later report of the same call comes.
        """
        known = self.report if self.state == FINISHED else None
        if known is not None and known.recording_sha256:
            report = replace(
                report,
                recording_path=known.recording_path,
                recording_sha256=known.recording_sha256,
                recording_size=known.recording_size,
                recording_seconds=known.recording_seconds,
            )
        elif self.wav_path.exists():
            self._settle(settle_seconds)
            facts = recording_facts(self.wav_path)
            report = replace(
                report,
                recording_path=str(self.wav_path),
                recording_sha256=facts.sha256,
                recording_size=facts.size,
                recording_seconds=facts.seconds,
            )
        else:
            report = replace(report, recording_path=None)
        self.save(report, FINISHED)
        return report

    def _settle(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not header_complete(self.wav_path):
            if time.monotonic() >= deadline:
                repair_wav(self.wav_path)
                return
            time.sleep(SETTLE_POLL_SECONDS)

    def release(self, keep_audio: bool) -> None:
        """The database has the call: drop the sidecar, and the audio unless it is to be stored."""
        self.sidecar_path.unlink(missing_ok=True)
        if not keep_audio:
            self.wav_path.unlink(missing_ok=True)
        fsync_directory(self.sidecar_path.parent)


class SpoolBusy(RuntimeError):
    """Another running agent records into this spool."""


class Spool:
    """The spool folder of one agent."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._lock: IO[str] | None = None

    def lock(self) -> None:
        """Claim the spool for this process, or raise :class:`SpoolBusy`.

        Recovery treats every unfinished entry as left by a crash, which is only
        true if no other live agent writes here. The kernel drops the lock when
        the process ends, however it ends (``kill -9`` included).
        """
        handle = (self.directory / ".lock").open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise SpoolBusy(f"the spool {self.directory} is in use by another running agent") from None
        self._lock = handle

    def unlock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def create(self, report: CallReport) -> SpoolEntry:
        """A new entry in state ``recording`` for a call that is being answered."""
        digest = hashlib.sha256(report.call_id.encode()).hexdigest()[:16]
        stem = f"{report.started_at:%Y%m%dT%H%M%S}-{digest}"
        entry = SpoolEntry(self.directory / f"{stem}.wav", self.directory / f"{stem}.json")
        entry.save(report, RECORDING)
        return entry

    def entries(self) -> list[SpoolEntry]:
        """Every entry with a readable sidecar, oldest first."""
        found = []
        for sidecar in sorted(self.directory.glob("*.json")):
            try:
                data = json.loads(sidecar.read_text())
                report = CallReport.from_dict(data["report"])
                state = data["state"]
            except (OSError, ValueError, KeyError, TypeError):
                continue  # a foreign file: not ours to judge or delete
            found.append(SpoolEntry(sidecar.with_suffix(".wav"), sidecar, state, report))
        return found
