"""Audio in → Simplified Chinese transcript out, offline (faster-whisper, Whisper base)."""
from transcription.model import ModelError, check_model_dir, ensure_packaged_model
from transcription.transcriber import (
    DOMAIN_PROMPT,
    AudioError,
    Segment,
    Transcriber,
    Transcript,
)

__all__ = [
    "DOMAIN_PROMPT",
    "AudioError",
    "ModelError",
    "Segment",
    "Transcriber",
    "Transcript",
    "check_model_dir",
    "ensure_packaged_model",
]
