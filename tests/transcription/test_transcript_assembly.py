"""Transcript assembly that needs no model."""
import json

import pytest

from transcription import Segment, Transcript
from transcription.transcriber import DecodingOptions, join_segments


def test_segments_join_with_a_comma_only_where_a_clause_was_left_open():
    assert join_segments(["我们小区停电了", "电梯也停了。", "请尽快来人"]) == "我们小区停电了，电梯也停了。请尽快来人"
    assert join_segments([]) == ""


def test_vad_cannot_be_switched_off():
    """With the domain prompt and no VAD, Whisper makes up text on silence and ringback."""
    with pytest.raises(TypeError):
        DecodingOptions(vad_filter=False)
    options = DecodingOptions().as_kwargs()
    assert options["vad_filter"] is True
    assert options["language"] == "zh" and options["condition_on_previous_text"] is False


def test_transcript_dict_is_json_ready():
    transcript = Transcript(
        text="电梯坏了",
        empty=False,
        segments=(Segment(0.1, 1.9, "电梯坏了", -0.3, 0.01),),
        model="whisper-base",
        settings={"beam_size": 5},
        audio_seconds=2.5,
        processing_seconds=0.8,
    )
    data = json.loads(json.dumps(transcript.to_dict(), ensure_ascii=False))
    assert data["segments"] == [
        {"start": 0.1, "end": 1.9, "text": "电梯坏了", "avg_logprob": -0.3, "no_speech_prob": 0.01}
    ]
    assert data["text"] == "电梯坏了" and data["empty"] is False and data["audio_seconds"] == 2.5
