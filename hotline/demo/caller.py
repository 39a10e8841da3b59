"""A resident's phone call, placed for real: INVITE, menu, key 1, beep, complaint, hang-up.

The demo needs a caller that behaves like a person on the line rather than a
fixed script, so that it works whatever the prompts last: it listens to the
agent, presses 1 (RFC 2833) once the menu has been said, starts speaking after
the beep and hangs up when it has said its piece.

pjsua2 runs the way the agent runs it (see issue 6): no PJSIP worker threads,
``mainThreadOnly``, the calling thread polls ``libHandleEvents``, so every SIP
callback runs here; only the media clock thread calls ``_Ear.onFrameReceived``,
which classifies each 20 ms frame and appends one small tuple to a list. The
endpoint has its own UDP port chosen by the system, the null audio device and an
8 kHz clock, and offers G.711 only, as a telephone would.
"""
from __future__ import annotations

import gc
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pjsua2 as pj

from hotline.demo.probe import udp_socket_towards, uri_host
from hotline.demo.speech import audio_seconds

log = logging.getLogger(__name__)

CLOCK_RATE = 8000
FRAME_SECONDS = 0.02
FRAME_SAMPLES = 160
LOUD_RMS = 300.0  # 16-bit RMS above which a frame is sound, not line silence
TONE_PURITY = 0.998  # share of the energy within 50 Hz of the strongest frequency, in a beep
BEEP_MIN_FRAMES = 5  # 100 ms of one steady pure tone
MENU_PAUSE_SECONDS = 1.5  # quiet after the menu: the agent now waits for a key
PROMPT_PAUSE_SECONDS = 1.5  # quiet after the complaint prompt when no beep was recognised
G711 = ("PCMU/8000", "PCMA/8000")


class CallFailed(Exception):
    """The agent refused the call or ended it before the complaint was said."""


@dataclass(frozen=True)
class CallResult:
    call_id: str
    heard_menu: bool
    heard_beep: bool
    spoken_seconds: float
    hung_up_at: float  # wall-clock time (time.time()) of the caller's BYE
    agent_hung_up: bool  # the agent ended the call while the caller was still speaking


def place_complaint_call(
    host: str,
    port: int,
    audio: Path,
    *,
    caller_number: str,
    key: str = "1",
    answer_timeout: float = 10.0,
    listen_timeout: float = 30.0,
) -> CallResult:
    """Call the agent, choose ``key`` after the menu, say ``audio`` after the beep, hang up.

    ``audio`` is an 8 kHz mono 16-bit WAV (see :mod:`hotline.demo.speech`).
    """
    local_host, _, sock = udp_socket_towards(host, port)
    sock.close()
    with _endpoint(local_host) as endpoint:
        call = _ComplaintCall(endpoint, local_host, caller_number)
        try:
            return call.run(
                f"sip:hotline@{uri_host(host)}:{port}", audio, key, answer_timeout, listen_timeout
            )
        except pj.Error as exc:
            raise CallFailed(f"{exc.title}: {exc.reason}") from exc
        finally:
            call.close()
            del call


class Listener:
    """What the caller has heard, per 20 ms frame: was it sound, and was it a pure tone (at which pitch).

    A beep is told from speech by its purity and steadiness: over 40 ms windows
    99.8 % of the energy sits within 50 Hz of one frequency, and that frequency holds
    for 100 ms. Voiced speech, even synthetic, has several harmonics and its pitch
    moves (on the 84 dev utterances no 40 ms window of speech was that pure twice in a row).
    """

    def __init__(self) -> None:
        self.frames: list[tuple[bool, int]] = []  # (loud, tone bin or -1)
        self._previous = np.zeros(FRAME_SAMPLES)
        self._window = np.hanning(2 * FRAME_SAMPLES)

    def hear(self, samples: np.ndarray) -> None:
        """One frame of 16-bit samples, as they arrive."""
        self.frames.append(self._classify(samples.astype(np.float64)))

    def _classify(self, samples: np.ndarray) -> tuple[bool, int]:
        if len(samples) != FRAME_SAMPLES:
            return False, -1
        both = np.concatenate([self._previous, samples])
        self._previous = samples
        if np.sqrt(np.mean(samples**2)) < LOUD_RMS:
            return False, -1
        power = np.abs(np.fft.rfft(both * self._window)) ** 2
        peak = int(np.argmax(power))
        purity = power[max(0, peak - 2) : peak + 3].sum() / power.sum()
        return True, peak if purity >= TONE_PURITY else -1

    def mark(self) -> int:
        return len(self.frames)

    def heard_sound_since(self, mark: int) -> bool:
        return any(loud for loud, _ in self.frames[mark:])

    def quiet_seconds(self) -> float:
        """How long the line has been quiet up to now."""
        quiet = 0
        for loud, _ in reversed(self.frames):
            if loud:
                break
            quiet += 1
        return quiet * FRAME_SECONDS

    def beep_ended_since(self, mark: int) -> bool:
        """A steady pure tone was heard after ``mark`` and has stopped."""
        run, pitch = 0, -1
        for _, tone in self.frames[mark:]:
            if tone >= 0 and tone == pitch:
                run += 1
            elif run >= BEEP_MIN_FRAMES:
                return True
            else:
                run = 1 if tone >= 0 else 0
            pitch = tone
        return False


class _Ear(pj.AudioMediaPort):
    """The conference-bridge port the agent's audio is sent to; hands each frame to a :class:`Listener`."""

    def __init__(self, listener: Listener) -> None:
        super().__init__()
        self.listener = listener
        audio_format = pj.MediaFormatAudio()
        audio_format.type = pj.PJMEDIA_TYPE_AUDIO
        audio_format.clockRate = CLOCK_RATE
        audio_format.channelCount = 1
        audio_format.bitsPerSample = 16
        audio_format.frameTimeUsec = int(FRAME_SECONDS * 1_000_000)
        self.createPort("demo-ear", audio_format)

    def onFrameReceived(self, frame: pj.MediaFrame) -> None:
        try:
            self.listener.hear(np.frombuffer(bytes(frame.buf), dtype="<i2"))
        except Exception:  # SWIG would swallow it; count the frame as silence instead
            self.listener.frames.append((False, -1))


class _SipCall(pj.Call):
    """Keeps the call's state and connects its audio to the ear once media is up."""

    def __init__(self, account: pj.Account, ear: _Ear) -> None:
        super().__init__(account)
        self.ear = ear
        self.state = pj.PJSIP_INV_STATE_NULL
        self.status = ""
        self.audio: pj.AudioMedia | None = None

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        try:
            info = self.getInfo()
            self.state = info.state
            self.status = f"{info.lastStatusCode} {info.lastReason}".strip()
        except Exception:
            log.exception("call state callback failed")

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        try:
            info = self.getInfo()  # keep it: its media list dies with it (SWIG)
            for index, media in enumerate(info.media):
                if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                    self.audio = self.getAudioMedia(index)
                    self.audio.startTransmit(self.ear)
        except Exception:
            log.exception("media state callback failed")

    @property
    def confirmed(self) -> bool:
        return self.state == pj.PJSIP_INV_STATE_CONFIRMED

    @property
    def disconnected(self) -> bool:
        return self.state == pj.PJSIP_INV_STATE_DISCONNECTED


class _ComplaintCall:
    """One complaint call on the endpoint; owns every pjsua2 object until :meth:`close`."""

    def __init__(self, endpoint: pj.Endpoint, local_host: str, caller_number: str) -> None:
        self.endpoint = endpoint
        self.caller_number = caller_number
        config = pj.AccountConfig()
        config.idUri = f"sip:{caller_number}@{uri_host(local_host)}"
        # RTP from the address that routes to the agent, so it comes from where the SDP says;
        # any free port (the agent's own start at 4000).
        config.mediaConfig.transportConfig.boundAddress = local_host
        config.mediaConfig.transportConfig.port = 0
        self.account = pj.Account()
        self.account.create(config)
        self.heard = Listener()
        self.ear = _Ear(self.heard)
        self.call = _SipCall(self.account, self.ear)
        self.player: pj.AudioMediaPlayer | None = None
        self.local_host = local_host

    def run(self, uri: str, audio: Path, key: str, answer_timeout: float, listen_timeout: float) -> CallResult:
        self._dial(uri)
        call_id = self.call.getInfo().callIdString
        if not self._wait(lambda: self.call.confirmed and self.call.audio is not None, answer_timeout):
            raise CallFailed(
                f"the agent did not answer ({self.call.status})"
                if self.call.disconnected
                else f"the agent did not answer within {answer_timeout:.0f} s"
            )
        log.info("call answered", extra={"call_id": call_id})

        start = self.heard.mark()
        heard_menu = self._wait(
            lambda: self.heard.heard_sound_since(start) and self.heard.quiet_seconds() >= MENU_PAUSE_SECONDS,
            listen_timeout,
        )
        self._require_connected("during the menu")
        self.call.dialDtmf(key)  # RFC 2833 telephone-event

        after_key = self.heard.mark()
        self._wait(
            lambda: self.heard.beep_ended_since(after_key)
            or (self.heard.heard_sound_since(after_key) and self.heard.quiet_seconds() >= PROMPT_PAUSE_SECONDS),
            listen_timeout,
        )
        heard_beep = self.heard.beep_ended_since(after_key)
        self._require_connected("before the complaint")

        seconds = audio_seconds(audio)
        self.player = pj.AudioMediaPlayer()
        self.player.createPlayer(str(audio), pj.PJMEDIA_FILE_NO_LOOP)
        assert self.call.audio is not None
        self.player.startTransmit(self.call.audio)
        agent_hung_up = self._wait(lambda: self.call.disconnected, seconds + 0.3)
        hung_up_at = time.time()
        if not agent_hung_up:
            self.call.hangup(pj.CallOpParam(True))
            self._wait(lambda: self.call.disconnected, 5.0)
        return CallResult(call_id, heard_menu, heard_beep, seconds, hung_up_at, agent_hung_up)

    def _dial(self, uri: str) -> None:
        param = pj.CallOpParam(True)
        identity = pj.SipHeader()
        identity.hName = "P-Asserted-Identity"
        identity.hValue = f"<sip:{self.caller_number}@{uri_host(self.local_host)}>"
        param.txOption.headers.append(identity)
        self.call.makeCall(uri, param)

    def _wait(self, done: Callable[[], bool], timeout: float) -> bool:
        """Poll PJSIP until ``done()`` or the call ends or ``timeout``; whether ``done()`` held."""
        deadline = time.monotonic() + timeout
        while not done():
            if self.call.disconnected or time.monotonic() >= deadline:
                return done()
            self.endpoint.libHandleEvents(10)
        return True

    def _require_connected(self, when: str) -> None:
        if self.call.disconnected:
            raise CallFailed(f"the agent ended the call {when} ({self.call.status})")

    def close(self) -> None:
        """Hang up if still connected and drop every pjsua2 object before the library goes."""
        try:
            if not self.call.disconnected and self.call.state != pj.PJSIP_INV_STATE_NULL:
                self.call.hangup(pj.CallOpParam(True))
                self._wait(lambda: self.call.disconnected, 5.0)
        except pj.Error:
            log.warning("hang-up failed", exc_info=True)
        for _ in range(20):  # let the BYE transaction and media teardown finish
            self.endpoint.libHandleEvents(10)
        self.player = None
        self.call.audio = None
        self.call = None  # type: ignore[assignment]
        self.ear = None  # type: ignore[assignment]
        self.account.shutdown()
        self.account = None  # type: ignore[assignment]


@contextmanager
def _endpoint(local_host: str) -> Iterator[pj.Endpoint]:
    """A started pjsua2 endpoint for one process; destroyed after every object is released."""
    endpoint = pj.Endpoint()
    with _stdout_to_devnull():  # pjlib prints start-up chatter on stdout, the place for results
        endpoint.libCreate()
        config = pj.EpConfig()
        config.uaConfig.threadCnt = 0
        config.uaConfig.mainThreadOnly = True
        config.uaConfig.userAgent = "hotline-demo-caller"
        config.medConfig.clockRate = CLOCK_RATE
        config.medConfig.sndClockRate = CLOCK_RATE
        config.medConfig.noVad = True  # send RTP through silence, as phones do: the agent watches for it
        config.logConfig.level = 1
        config.logConfig.consoleLevel = 1
        endpoint.libInit(config)
    try:
        transport = pj.TransportConfig()
        transport.boundAddress = local_host
        transport.port = 0
        endpoint.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
        endpoint.libStart()
        endpoint.audDevManager().setNullDev()
        for codec in endpoint.codecEnum2():
            endpoint.codecSetPriority(codec.codecId, 255 if codec.codecId.startswith(G711) else 0)
        yield endpoint
    finally:
        gc.collect()
        with _stdout_to_devnull():
            endpoint.libDestroy()


@contextmanager
def _stdout_to_devnull() -> Iterator[None]:
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
