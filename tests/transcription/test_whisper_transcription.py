"""The real model on our own synthetic phone clips (slow: loads Whisper base)."""
import json
import subprocess

import numpy as np
import pytest

from transcription import AudioError, Transcriber
from transcription.text import cer, corpus_cer, to_simplified

pytestmark = [pytest.mark.slow, pytest.mark.model]


@pytest.fixture(scope="module")
def transcriber(model_dir):
    return Transcriber(model_dir)


@pytest.fixture(scope="module")
def clip_transcripts(transcriber, clips):
    return {path: transcriber.transcribe(path) for path in clips}


def test_clips_are_transcribed_within_the_cer_bound(clip_transcripts, clips):
    pairs = [(clips[path], t.text) for path, t in clip_transcripts.items()]
    assert corpus_cer(pairs) <= 0.15, pairs


def test_output_is_simplified_chinese(clip_transcripts):
    for transcript in clip_transcripts.values():
        assert transcript.text and transcript.text == to_simplified(transcript.text)


def test_transcript_keeps_segments_timing_and_settings(clip_transcripts):
    transcript = next(iter(clip_transcripts.values()))
    assert not transcript.empty
    assert transcript.model == "whisper-base"
    assert transcript.settings["language"] == "zh" and transcript.settings["vad_filter"] is True
    assert 4.0 < transcript.audio_seconds < 6.0
    assert transcript.processing_seconds > 0
    for segment in transcript.segments:
        assert 0 <= segment.start < segment.end <= transcript.audio_seconds + 0.5
        assert segment.avg_logprob < 0 and 0 <= segment.no_speech_prob <= 1
    data = json.loads(json.dumps(transcript.to_dict(), ensure_ascii=False))
    assert [s["text"] for s in data["segments"]] == [s.text for s in transcript.segments]
    assert all(s["text"] in data["text"] for s in data["segments"])


@pytest.mark.parametrize(
    "sound",
    [
        np.zeros(8000 * 10),
        np.random.default_rng(7).normal(0, 0.02, 8000 * 10),
        # Chinese ringback: 450 Hz, 1 s on, 4 s off
        0.3 * np.sin(2 * np.pi * 450 * np.arange(8000 * 12) / 8000) * ((np.arange(8000 * 12) / 8000 % 5) < 1),
        np.zeros(0),
    ],
    ids=["silence", "noise", "ringback", "no-samples"],
)
def test_no_speech_gives_an_empty_transcript_not_invented_text(transcriber, write_wav, sound):
    transcript = transcriber.transcribe(write_wav(sound))
    assert transcript.empty
    assert transcript.text == "" and transcript.segments == ()


def test_mp3_is_read_like_wav(transcriber, clips, tmp_path):
    clip, reference = next(iter(clips.items()))
    mp3 = tmp_path / "call.mp3"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", str(clip), "-ar", "16000", "-b:a", "64k", str(mp3)], check=True
    )
    assert cer(reference, transcriber.transcribe(mp3).text) <= 0.2


def test_unreadable_file_is_an_audio_error(transcriber, tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF, but not really")
    with pytest.raises(AudioError, match="bad.wav"):
        transcriber.transcribe(bad)


def test_cli_prints_one_json_object_per_file_and_reports_bad_files(run_cli, model_dir, clips, tmp_path):
    clip = next(iter(clips))
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"not audio")
    result = run_cli("transcribe", "--json", str(clip), str(bad), whisper_model=str(model_dir))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["file"] == str(clip)
    assert record["text"] and record["segments"][0]["text"]
    assert "bad.mp3" in result.stderr and "1 of 2 files" in result.stderr
