import csv
import os
import subprocess
import sys
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def clips() -> dict[Path, str]:
    """Our synthetic phone clips (made by scripts/make_samples.py) and what they say."""
    with (DATA / "refs.tsv").open(encoding="utf-8", newline="") as handle:
        return {DATA / row["name"]: row["text"] for row in csv.DictReader(handle, delimiter="\t")}


@pytest.fixture
def write_wav(tmp_path: Path) -> Callable[[np.ndarray], Path]:
    """Write float samples in [-1, 1] as a 16-bit 8 kHz mono WAV in tmp_path."""

    def write(samples: np.ndarray, rate: int = 8000) -> Path:
        path = tmp_path / "call.wav"
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
        return path

    return write


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``hotline ARGS`` in a fresh process: an instance in tmp_path plus the given settings."""

    def run(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
        env["HOTLINE_HOME"] = str(tmp_path / "home")
        env.update({f"HOTLINE_{name.upper()}": value for name, value in settings.items()})
        return subprocess.run(
            [sys.executable, "-c", "from hotline.cli.main import main; main()", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    return run


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real Whisper base model, assembled from the installed packages once per run."""
    from transcription import ensure_packaged_model

    return ensure_packaged_model(tmp_path_factory.mktemp("model-cache"))
