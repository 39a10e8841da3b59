"""The caller's pcap builder: G.711 as the standard defines it, one gapless RTP stream, RFC 2833 keys."""
from __future__ import annotations

import struct
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from sip_harness import REPO, pcap_tool


def test_g711_round_trips_within_quantisation_error() -> None:
    samples = np.arange(-32768, 32768, 7, dtype=np.int16)
    for encode, decode in ((pcap_tool.ulaw_encode, pcap_tool.ulaw_decode),
                           (pcap_tool.alaw_encode, pcap_tool.alaw_decode)):
        error = np.abs(decode(encode(samples)).astype(int) - samples)
        assert (error <= np.abs(samples.astype(int)) // 16 + 16).all()  # ~4 bits of precision, log scale
    # Every code decodes to a value that encodes back to it (μ-law's "negative zero" 0x7F aside).
    codes = bytes(code for code in range(256) if code != 0x7F)
    assert pcap_tool.ulaw_encode(pcap_tool.ulaw_decode(codes)) == codes
    assert pcap_tool.alaw_encode(pcap_tool.alaw_decode(bytes(range(256)))) == bytes(range(256))


def test_known_g711_code_points() -> None:
    assert pcap_tool.ulaw_encode(np.array([0, 32767, -32768], dtype=np.int16)) == bytes([0xFF, 0x80, 0x00])
    assert pcap_tool.alaw_encode(np.array([0, 32767, -32768], dtype=np.int16)) == bytes([0xD5, 0xAA, 0x2A])


def read_pcap(path: Path) -> list[bytes]:
    data = path.read_bytes()
    assert struct.unpack("<I", data[:4])[0] == 0xA1B2C3D4
    packets, offset = [], 24
    while offset < len(data):
        length = struct.unpack("<I", data[offset + 8: offset + 12])[0]
        packets.append(data[offset + 16 + 14 + 20 + 8: offset + 16 + length])  # RTP
        offset += 16 + length
    return packets


def test_pcap_is_one_gapless_stream_with_keys_as_rfc2833_events(tmp_path: Path) -> None:
    speech = tmp_path / "tone.wav"
    with wave.open(str(speech), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes((np.sin(np.arange(8000) / 5) * 6000).astype("<i2").tobytes())
    out = tmp_path / "caller.pcap"
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_rtp_pcap.py"), str(out), "--codec", "pcma",
                    "silence=0.2", str(speech), "dtmf=1#"], check=True, capture_output=True)
    packets = read_pcap(out)
    sequences = [struct.unpack("!H", rtp[2:4])[0] for rtp in packets]
    assert sequences == list(range(len(packets)))
    audio = [rtp for rtp in packets if rtp[1] & 0x7F == 8]
    events = [rtp for rtp in packets if rtp[1] & 0x7F == 101]
    assert len(audio) == 10 + 50 + 2 * pcap_tool.GAP_FRAMES
    assert {struct.unpack("!B", rtp[12:13])[0] for rtp in events} == {1, 11}  # "1" and "#"
    ends = [rtp for rtp in events if rtp[13] & 0x80]
    assert len(ends) == 6  # each key's end packet three times
    assert pcap_tool.alaw_decode(audio[10][12:]).std() > 1000  # the speech is in there


def test_bad_keys_are_refused_with_a_message(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "make_rtp_pcap.py"), str(tmp_path / "x.pcap"),
                             "dtmf=12X"], capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "not a DTMF key: X" in result.stderr
    assert not (tmp_path / "x.pcap").exists()


@pytest.mark.parametrize("codec", ["pcmu", "pcma"])
def test_payload_type_follows_the_codec(tmp_path: Path, codec: str) -> None:
    out = tmp_path / f"{codec}.pcap"
    out.write_bytes(pcap_tool.build_pcap(["silence=0.1"], codec))
    assert {rtp[1] & 0x7F for rtp in read_pcap(out)} == {pcap_tool.PAYLOAD_TYPES[codec]}
