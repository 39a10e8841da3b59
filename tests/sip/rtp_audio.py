"""Hearing what the agent says and checking what it recorded, by waveform matching.

:class:`RtpSniffer` captures the agent's RTP on loopback with a raw packet socket
(root, like SIPp's pcap play), so a test hears the prompts the caller heard.
Prompts come out of G.711 nearly sample-exact, so normalised cross-correlation
finds each prompt in the call's audio; a number read back is a sequence of
digit prompts found one after the other.
"""
from __future__ import annotations

import socket
import struct
import threading
import wave
from pathlib import Path
from typing import Self

import numpy as np
from sip_harness import REPO, pcap_tool

RATE = 8000
PROMPTS = REPO / "hotline" / "sip" / "prompts"
ETH_P_ALL = 0x0003


class RtpSniffer:
    """Collects RTP packets sent to ``port`` on the loopback interface."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.packets: dict[tuple[int, int], tuple[int, int, bytes]] = {}  # (ssrc, seq) → (pt, ts, payload)
        self._socket = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)  # loopback is busy
        self._socket.bind(("lo", 0))
        self._socket.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._capture, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._socket.close()

    def _capture(self) -> None:
        while not self._stop.is_set():
            try:
                frame = self._socket.recv(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            if len(frame) < 14 + 20 + 8 + 12 or frame[12:14] != b"\x08\x00":
                continue
            ip = frame[14:]
            header_length = (ip[0] & 0x0F) * 4
            if ip[9] != 17:
                continue
            udp = ip[header_length:]
            if struct.unpack("!H", udp[2:4])[0] != self.port:
                continue
            rtp = udp[8:]
            if rtp[0] >> 6 != 2:
                continue
            payload_type = rtp[1] & 0x7F
            sequence, timestamp, ssrc = struct.unpack("!HII", rtp[2:12])
            offset = 12 + 4 * (rtp[0] & 0x0F)
            self.packets[(ssrc, sequence)] = (payload_type, timestamp, rtp[offset:])

    def audio(self) -> np.ndarray:
        """The longest stream's audio, samples placed by RTP timestamp (gaps stay silent)."""
        streams: dict[int, list[tuple[int, int, bytes]]] = {}
        for (ssrc, _), packet in list(self.packets.items()):
            if packet[0] in pcap_tool.DECODERS:
                streams.setdefault(ssrc, []).append(packet)
        if not streams:
            return np.zeros(0)
        packets = max(streams.values(), key=len)
        first = min(timestamp for _, timestamp, _ in packets)
        length = max(timestamp - first + len(payload) for _, timestamp, payload in packets)
        samples = np.zeros(length)
        for payload_type, timestamp, payload in packets:
            start = timestamp - first
            samples[start:start + len(payload)] = pcap_tool.DECODERS[payload_type](payload)
        return samples


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as wav:
        assert wav.getframerate() == RATE and wav.getnchannels() == 1 and wav.getsampwidth() == 2
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(float)


def prompt(name: str) -> np.ndarray:
    return read_wav(PROMPTS / f"{name}.wav")


def as_sent(path: Path, codec: str = "pcmu") -> np.ndarray:
    """A speech file as the agent receives it: 8 kHz, through G.711."""
    pcm = pcap_tool.read_wav_pcm(path)
    if codec == "pcmu":
        return pcap_tool.ulaw_decode(pcap_tool.ulaw_encode(pcm)).astype(float)
    return pcap_tool.alaw_decode(pcap_tool.alaw_encode(pcm)).astype(float)


def normalised_correlation(audio: np.ndarray, snippet: np.ndarray) -> np.ndarray:
    """Correlation of ``snippet`` with every window of ``audio`` (1.0 = identical shape)."""
    n, m = len(audio), len(snippet)
    if n < m or m == 0:
        return np.zeros(0)
    size = 1 << int(np.ceil(np.log2(n + m)))
    products = np.fft.irfft(np.fft.rfft(audio, size) * np.conj(np.fft.rfft(snippet, size)), size)[: n - m + 1]
    energy = np.concatenate([[0.0], np.cumsum(audio**2)])
    window = np.sqrt(np.maximum(energy[m:] - energy[: n - m + 1], 1e-9))
    return products / (window * np.linalg.norm(snippet) + 1e-9)


def find(audio: np.ndarray, snippet: np.ndarray, threshold: float = 0.9) -> list[int]:
    """Start samples where ``snippet`` occurs, best first, never two within one snippet length."""
    scores = normalised_correlation(audio, snippet)
    found: list[int] = []
    for index in np.argsort(scores)[::-1]:
        if scores[index] < threshold:
            break
        if all(abs(index - other) >= len(snippet) for other in found):
            found.append(int(index))
    return found


def count_sequence(audio: np.ndarray, names: list[str], max_gap: float = 0.3, threshold: float = 0.9) -> int:
    """How often the prompts ``names`` are heard one right after the other."""
    snippets = [prompt(name) for name in names]
    count = 0
    for start in find(audio, snippets[0], threshold):
        position = start + len(snippets[0])
        for snippet in snippets[1:]:
            window = audio[max(position - int(0.05 * RATE), 0): position + int(max_gap * RATE) + len(snippet)]
            hits = find(window, snippet, threshold)
            if not hits:
                break
            position = max(position - int(0.05 * RATE), 0) + min(hits) + len(snippet)
        else:
            count += 1
    return count


def window_correlations(recording: np.ndarray, sent: np.ndarray, *, window: float = 0.5) -> list[float]:
    """For each 0.5 s window of the sent speech: its best correlation in the recording.

    The speech is first placed as a whole (it may start anywhere); each window may then
    shift by ±0.25 s, which absorbs the jitter buffer's small time-stretching.
    """
    whole = normalised_correlation(recording, sent[: int(min(len(sent), 2 * RATE))])
    assert len(whole), "recording shorter than the sent speech"
    origin = int(np.argmax(whole))
    size, slack = int(window * RATE), int(0.25 * RATE)
    results = []
    for start in range(0, len(sent) - size + 1, size):
        piece = sent[start:start + size]
        if np.sqrt(np.mean(piece**2)) < 100:  # a pause: nothing to recognise
            continue
        lo = max(origin + start - slack, 0)
        region = recording[lo: origin + start + size + slack]
        scores = normalised_correlation(region, piece)
        results.append(float(scores.max()) if len(scores) else 0.0)
    return results


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0
