"""One call inside PJSIP: its recorder, its prompts, its timers and the flow that drives them.

Every method here runs on the endpoint thread: PJSIP callbacks arrive there
(``mainThreadOnly``) and :meth:`AgentCall.tick` is called from the agent's loop.
Callbacks are wrapped by :func:`guarded`: an exception inside a SWIG callback
would otherwise be printed and swallowed, leaving the SIP transaction hanging.
"""
from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import pjsua2 as pj

from hotline.sip.flow import (
    Action,
    CallFlow,
    EndRecording,
    FlowTiming,
    HangUp,
    LookUp,
    Play,
)
from hotline.sip.prompts import PromptCatalog
from hotline.sip.signalling import caller_number
from hotline.sip.sink import CallReport, SinkWorker
from recording.spool import Spool, SpoolEntry

log = logging.getLogger(__name__)

# Conference-bridge signal level (0-255, logarithmic) above which the caller counts as speaking.
SPEECH_LEVEL = 8
RTP_CHECK_SECONDS = 1.0
PROMPT_TAIL_SECONDS = 0.1  # let the last frame of a prompt leave before the player goes
RECORDING_TAIL_SECONDS = 0.3  # audio still in the jitter buffer when "#" arrives

CALLER_HANGUP = "caller-hangup"
RTP_TIMEOUT = "rtp-timeout"
SHUTDOWN = "agent-shutdown"

F = TypeVar("F", bound=Callable[..., Any])


def guarded(callback: F) -> F:
    """Log an exception in a PJSIP callback instead of letting SWIG swallow it."""

    @functools.wraps(callback)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except Exception:
            log.exception("error in SIP callback %s", callback.__qualname__)
            return None

    return wrapper  # type: ignore[return-value]


@dataclass(frozen=True)
class CallServices:
    """What every call of one agent shares."""

    catalog: PromptCatalog
    spool: Spool
    worker: SinkWorker
    timing: FlowTiming
    rtp_timeout: float
    on_final_report: Callable[[CallReport, Future[str | None]], None]


def utcnow() -> datetime:
    return datetime.now(UTC)


class AgentCall(pj.Call):
    """An incoming call, from the INVITE until its final report is handed to the sink."""

    def __init__(self, account: pj.Account, call_id: int, services: CallServices) -> None:
        super().__init__(account, call_id)
        self.services = services
        self.flow = CallFlow(services.timing)
        self.report: CallReport | None = None
        self.entry: SpoolEntry | None = None
        self.ended = False
        now = time.monotonic()
        self._audio: pj.AudioMedia | None = None
        self._media_index: int | None = None
        self._recorder: pj.AudioMediaRecorder | None = None
        self._recording_closed = False
        self._register_at: float | None = None
        self._player: pj.AudioMediaPlayer | None = None
        self._prompt_ends_at: float | None = None
        self._started = False
        self._waiting: tuple[str, Future[Any]] | None = None
        self._hangup_cause: str | None = None
        self._cut_off = False
        self._rx_packets = -1
        self._rx_changed_at = now
        self._next_rtp_check = now + RTP_CHECK_SECONDS

    # -- answering ---------------------------------------------------------
    def refuse(self, status: int, reason: str) -> None:
        """Reject the INVITE; the call never gets a report (there was no call)."""
        self._recording_closed = True
        self._answer(status, reason)

    def accept(self, invite: str) -> None:
        """Open the spool entry, then answer: the recorder starts with the media."""
        now = utcnow()
        self.report = CallReport(
            call_id=self.getInfo().callIdString,
            caller_number=caller_number(invite),
            started_at=now,
            answered_at=now,
        )
        self.entry = self.services.spool.create(self.report)
        self._rx_changed_at = time.monotonic()
        self._answer(200)

    def _answer(self, status: int, reason: str = "") -> None:
        prm = pj.CallOpParam()
        prm.statusCode = status
        if reason:
            prm.reason = reason
        self.answer(prm)

    # -- PJSIP callbacks ---------------------------------------------------
    @guarded
    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED and not self._started and self.report:
            self._started = True
            self._perform(self.flow.start(time.monotonic()))
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self._disconnected()

    @guarded
    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        info = self.getInfo()  # keep it: its media vector dies with it (SWIG)
        for index, media in enumerate(info.media):
            if media.type != pj.PJMEDIA_TYPE_AUDIO or media.status != pj.PJSUA_CALL_MEDIA_ACTIVE:
                continue
            self._audio = self.getAudioMedia(index)
            self._media_index = index
            if self._recorder is None and not self._recording_closed and self.entry:
                recorder = pj.AudioMediaRecorder()
                recorder.createRecorder(str(self.entry.wav_path))
                self._recorder = recorder
            # (Re)connect after every media change: a re-INVITE gives the call a new port.
            if self._recorder is not None:
                self._audio.startTransmit(self._recorder)
            if self._player is not None:
                self._player.startTransmit(self._audio)
            return

    @guarded
    def onDtmfDigit(self, prm: pj.OnDtmfDigitParam) -> None:
        if self._started and not self.ended:
            self._perform(self.flow.key(prm.digit, time.monotonic()))

    # -- driven by the agent's loop -----------------------------------------
    def tick(self, now: float) -> None:
        if self.ended or not self._started or self._hangup_cause:
            return
        if self._prompt_ends_at is not None and now >= self._prompt_ends_at:
            self._prompt_ends_at = None
            self._stop_prompt()
            self._perform(self.flow.prompt_finished(now))
        self._perform(self.flow.tick(now, self._caller_audible()))
        if self._register_at is not None and now >= self._register_at:
            self._register()
        self._collect_answer()
        self._watch_rtp(now)

    def hang_up(self, cause: str) -> None:
        """End the call from our side (BYE); the report follows on DISCONNECTED."""
        if self._hangup_cause or self.ended:
            return
        self._hangup_cause = cause
        self._stop_prompt()
        self.hangup(pj.CallOpParam())

    def shut_down(self) -> None:
        """The agent is stopping: hang up, and mark a complaint cut short as interrupted."""
        self._cut_off = self.flow.cut_off
        self.hang_up(SHUTDOWN)

    # -- actions -------------------------------------------------------------
    def _perform(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Play):
                self._play(action.prompts)
            elif isinstance(action, EndRecording):
                self._register_at = time.monotonic() + RECORDING_TAIL_SECONDS
            elif isinstance(action, LookUp):
                self._waiting = ("lookup", self.services.worker.ticket_progress(action.number))
            elif isinstance(action, HangUp):
                self.hang_up(action.cause)

    def _register(self) -> None:
        """Close the complaint's recording and register it while the caller waits for the number."""
        self._register_at = None
        self._close_recording()
        assert self.entry and self.report
        report = replace(self.report, menu_path=self.flow.menu_path)
        self._waiting = ("register", self.services.worker.report(self.entry, report, final=False))

    def _collect_answer(self) -> None:
        if self._waiting is None or not self._waiting[1].done():
            return
        kind, future = self._waiting
        self._waiting = None
        failed = future.exception() is not None
        result = None if failed else future.result()
        if kind == "register":
            self._perform(self.flow.registered(result))
        else:
            if failed:
                log.error("progress query failed", exc_info=future.exception())
            self._perform(self.flow.looked_up(result, failed=failed))

    def _play(self, prompts: tuple[str, ...]) -> None:
        self._stop_prompt()
        if not prompts:
            return
        catalog = self.services.catalog
        self._prompt_ends_at = time.monotonic() + catalog.seconds(prompts) + PROMPT_TAIL_SECONDS
        if self._audio is None:
            return  # no media (yet): the flow still moves on in time
        files = [str(catalog.path(name)) for name in prompts]
        player = pj.AudioMediaPlayer()
        if len(files) == 1:
            player.createPlayer(files[0], pj.PJMEDIA_FILE_NO_LOOP)
        else:
            player.createPlaylist(pj.StringVector(files), "prompt", pj.PJMEDIA_FILE_NO_LOOP)
        player.startTransmit(self._audio)
        self._player = player

    def _stop_prompt(self) -> None:
        self._prompt_ends_at = None
        player, self._player = self._player, None
        if player is not None and self._audio is not None:
            try:
                player.stopTransmit(self._audio)
            except pj.Error:
                pass  # the call's media is already gone

    def _close_recording(self) -> None:
        """Dropping the recorder makes PJSIP write the WAV header's final sizes."""
        self._recording_closed = True
        self._recorder = None

    def _caller_audible(self) -> bool:
        if self._recorder is None or not self.flow.recording_complaint:
            return False
        return self._recorder.getRxLevel() > SPEECH_LEVEL

    def _watch_rtp(self, now: float) -> None:
        """PJSIP has no RTP inactivity timeout: watch the received-packet counter."""
        if now < self._next_rtp_check:
            return
        self._next_rtp_check = now + RTP_CHECK_SECONDS
        if self._media_index is not None:
            packets = self.getStreamStat(self._media_index).rtcp.rxStat.pkt
            if packets != self._rx_packets:
                self._rx_packets, self._rx_changed_at = packets, now
                return
        if now - self._rx_changed_at >= self.services.rtp_timeout:
            log.warning("no RTP from the caller; hanging up", extra={"call_id": self.call_id})
            self.hang_up(RTP_TIMEOUT)

    # -- the end -----------------------------------------------------------
    def _disconnected(self) -> None:
        if self.ended:
            return
        self.ended = True
        cause = self._hangup_cause or CALLER_HANGUP
        self.flow.caller_gone(cause)
        self._stop_prompt()
        self._close_recording()
        self._audio = None
        if self.entry is None or self.report is None:
            return
        ended_at = utcnow()
        report = replace(
            self.report,
            ended_at=ended_at,
            duration_seconds=round((ended_at - (self.report.answered_at or self.report.started_at)).total_seconds(), 3),
            menu_path=self.flow.menu_path,
            hangup_cause=cause,
            interrupted=self._cut_off,
        )
        self.report = report
        self.services.on_final_report(report, self.services.worker.report(self.entry, report, final=True))

    @property
    def call_id(self) -> str:
        """The SIP Call-ID, for logs (not personal data)."""
        return self.report.call_id if self.report else "?"
