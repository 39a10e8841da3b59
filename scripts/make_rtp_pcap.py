"""Build a pcap of G.711 RTP (plus RFC 2833 DTMF) for SIPp's ``play_pcap_audio``.

The SIP tests play the caller's side of a call from such a pcap: speech from a
WAV file, stretches of silence, and key presses, in one continuous RTP stream
(one SSRC, sequence numbers and timestamps without gaps), so the agent sees what
a phone would send. Pcaps are made at test time into a temporary folder and are
never committed.

    python scripts/make_rtp_pcap.py OUT.pcap [--codec pcmu|pcma] PART...

A PART is ``silence=SECONDS``, ``dtmf=KEYS`` (e.g. ``dtmf=2`` or ``dtmf=202501010001#``)
or the path of a WAV file (any format sox reads; converted to 8 kHz mono).
"""
from __future__ import annotations

import argparse
import struct
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

SAMPLE_RATE = 8000
FRAME_SAMPLES = 160  # 20 ms
PAYLOAD_TYPES = {"pcmu": 0, "pcma": 8}
DTMF_PAYLOAD_TYPE = 101
DTMF_EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
KEY_FRAMES = 5  # a key is held 100 ms
GAP_FRAMES = 10  # then 200 ms of silence before the next key
KEY_SECONDS = (KEY_FRAMES + GAP_FRAMES) * FRAME_SAMPLES / SAMPLE_RATE
SSRC = 0x48544C4E

# Addresses are placeholders: SIPp rewrites them to the call's media addresses.
SRC_IP, DST_IP = bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])
SRC_PORT, DST_PORT = 6000, 4000


def ulaw_encode(pcm: np.ndarray) -> bytes:
    """ITU-T G.711 μ-law of 16-bit samples (the reference g711.c arithmetic)."""
    x = pcm.astype(np.int32) >> 2
    mask = np.where(x < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.abs(x), 8159) + 0x21
    segment = np.floor(np.log2(magnitude)).astype(np.int32) - 5
    code = np.where(segment > 7, 0x7F, (segment << 4) | ((magnitude >> (segment + 1)) & 0x0F))
    return ((code ^ mask) & 0xFF).astype(np.uint8).tobytes()


def alaw_encode(pcm: np.ndarray) -> bytes:
    """ITU-T G.711 A-law of 16-bit samples."""
    x = pcm.astype(np.int32) >> 3
    sign = np.where(x >= 0, 0x80, 0)
    magnitude = np.minimum(np.where(x >= 0, x, -x - 1), 0xFFF)
    exponent = np.where(magnitude < 32, 0, np.floor(np.log2(np.maximum(magnitude, 1))).astype(np.int32) - 4)
    mantissa = np.where(exponent == 0, magnitude >> 1, magnitude >> exponent) & 0x0F
    return (((sign | (exponent << 4) | mantissa) ^ 0x55) & 0xFF).astype(np.uint8).tobytes()


def ulaw_decode(data: bytes) -> np.ndarray:
    """16-bit samples of G.711 μ-law bytes."""
    u = ~np.frombuffer(data, dtype=np.uint8).astype(np.int32) & 0xFF
    magnitude = (((u & 0x0F) << 3) + 0x84) << ((u >> 4) & 0x07)
    return np.where(u & 0x80, 0x84 - magnitude, magnitude - 0x84).astype(np.int16)


def alaw_decode(data: bytes) -> np.ndarray:
    """16-bit samples of G.711 A-law bytes."""
    a = np.frombuffer(data, dtype=np.uint8).astype(np.int32) ^ 0x55
    exponent = (a >> 4) & 0x07
    mantissa = a & 0x0F
    magnitude = np.where(exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0))
    return np.where(a & 0x80, magnitude, -magnitude).astype(np.int16)


DECODERS = {0: ulaw_decode, 8: alaw_decode}  # by RTP payload type


def read_wav_pcm(path: Path) -> np.ndarray:
    """The file as 8 kHz mono 16-bit samples, whatever its format (via sox)."""
    raw = subprocess.run(
        ["sox", str(path), "-t", "raw", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16",
         "-e", "signed-integer", "-L", "-"],
        check=True, capture_output=True,
    ).stdout
    return np.frombuffer(raw, dtype="<i2")


def parse_parts(parts: Iterable[str]) -> Iterator[tuple[str, object]]:
    for part in parts:
        if part.startswith("silence="):
            yield "audio", np.zeros(round(float(part.split("=", 1)[1]) * SAMPLE_RATE), dtype=np.int16)
        elif part.startswith("dtmf="):
            keys = part.split("=", 1)[1]
            unknown = set(keys) - DTMF_EVENTS.keys()
            if unknown:
                raise ValueError(f"not a DTMF key: {''.join(sorted(unknown))}")
            yield "dtmf", keys
        else:
            yield "audio", read_wav_pcm(Path(part))


class RtpWriter:
    """Accumulates RTP packets of one stream, 20 ms apart, as pcap records."""

    def __init__(self, codec: str) -> None:
        self.codec = codec
        self.payload_type = PAYLOAD_TYPES[codec]
        self.encode = ulaw_encode if codec == "pcmu" else alaw_encode
        self.sequence = 0
        self.timestamp = 0
        self.records: list[bytes] = []

    def _packet(self, payload_type: int, marker: bool, timestamp: int, payload: bytes) -> None:
        rtp = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | payload_type,
                          self.sequence & 0xFFFF, timestamp & 0xFFFFFFFF, SSRC) + payload
        self.sequence += 1
        udp = struct.pack("!HHHH", SRC_PORT, DST_PORT, 8 + len(rtp), 0) + rtp
        ip_header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                                SRC_IP, DST_IP)
        ip = ip_header[:10] + struct.pack("!H", _checksum(ip_header)) + ip_header[12:] + udp
        frame = b"\x00" * 12 + b"\x08\x00" + ip
        at = len(self.records) * FRAME_SAMPLES / SAMPLE_RATE
        seconds, micros = int(at), round((at - int(at)) * 1_000_000)
        self.records.append(struct.pack("<IIII", seconds, micros, len(frame), len(frame)) + frame)

    def audio(self, pcm: np.ndarray) -> None:
        padded = np.concatenate([pcm, np.zeros(-len(pcm) % FRAME_SAMPLES, dtype=np.int16)])
        for start in range(0, len(padded), FRAME_SAMPLES):
            self._packet(self.payload_type, False, self.timestamp,
                         self.encode(padded[start:start + FRAME_SAMPLES]))
            self.timestamp += FRAME_SAMPLES

    def key(self, key: str) -> None:
        """One RFC 2833 event: growing durations, then the end packet three times."""
        event = DTMF_EVENTS[key]
        start = self.timestamp
        for frame in range(1, KEY_FRAMES + 1):
            end = frame == KEY_FRAMES
            repeats = 3 if end else 1
            for _ in range(repeats):
                payload = struct.pack("!BBH", event, (0x80 if end else 0) | 10, frame * FRAME_SAMPLES)
                self._packet(DTMF_PAYLOAD_TYPE, frame == 1, start, payload)
            self.timestamp += FRAME_SAMPLES
        self.audio(np.zeros(GAP_FRAMES * FRAME_SAMPLES, dtype=np.int16))

    def pcap(self) -> bytes:
        header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
        return header + b"".join(self.records)


def _checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def build_pcap(parts: Iterable[str], codec: str = "pcmu") -> bytes:
    writer = RtpWriter(codec)
    for kind, value in parse_parts(parts):
        if kind == "audio":
            writer.audio(value)  # type: ignore[arg-type]
        else:
            for key in value:  # type: ignore[union-attr]
                writer.key(key)
    return writer.pcap()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("parts", nargs="+", help="silence=SECONDS | dtmf=KEYS | file.wav")
    parser.add_argument("--codec", choices=sorted(PAYLOAD_TYPES), default="pcmu")
    args = parser.parse_args(argv)
    try:
        data = build_pcap(args.parts, args.codec)
    except (ValueError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args.output.write_bytes(data)
    print(f"wrote {args.output} ({(len(data)) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
