"""Model assembly, with small fake parts standing in for the two PyPI packages."""
import hashlib
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from transcription.model import (
    ModelError,
    PackagedModel,
    check_model_dir,
    ensure_packaged_model,
    whisper_base,
)

PART1 = b"first half of the weights " * 4000
PART2 = b"second half of the weights" * 4000


@pytest.fixture
def packages(tmp_path: Path) -> tuple[Path, Path]:
    """Two package data folders; the small files live in the first, as in the real packages."""
    first, second = tmp_path / "part1" / "data", tmp_path / "part2" / "data"
    first.mkdir(parents=True)
    second.mkdir(parents=True)
    (first / "model.bin.part1").write_bytes(PART1)
    (second / "model.bin.part2").write_bytes(PART2)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (first / name).write_text(f"{name} contents")
    return first, second


def fake_model(packages, *, size=None, sha256=None) -> PackagedModel:
    return PackagedModel(
        name="fake-whisper",
        search_dirs=packages,
        parts=("model.bin.part1", "model.bin.part2"),
        files=("config.json", "tokenizer.json", "vocabulary.txt"),
        size=size if size is not None else len(PART1) + len(PART2),
        sha256=sha256 or hashlib.sha256(PART1 + PART2).hexdigest(),
    )


def leftovers(cache: Path) -> list[str]:
    """Anything in the cache besides the model folder and the lock file."""
    return sorted(p.name for p in cache.iterdir() if p.name not in {"fake-whisper", ".fake-whisper.lock"})


def test_parts_are_joined_and_small_files_found_in_either_package(tmp_path, packages):
    reversed_search = fake_model(packages[::-1])  # files are looked up by name, not by package
    model_dir = ensure_packaged_model(tmp_path / "cache", reversed_search)
    assert (model_dir / "model.bin").read_bytes() == PART1 + PART2
    assert (model_dir / "tokenizer.json").read_text() == "tokenizer.json contents"
    assert check_model_dir(model_dir) == model_dir
    assert leftovers(tmp_path / "cache") == []


def test_second_use_keeps_the_built_folder(tmp_path, packages):
    model_dir = ensure_packaged_model(tmp_path / "cache", fake_model(packages))
    built = (model_dir / "model.bin").stat().st_ino
    assert ensure_packaged_model(tmp_path / "cache", fake_model(packages)) == model_dir
    assert (model_dir / "model.bin").stat().st_ino == built


def test_wrong_size_is_refused_and_nothing_is_left(tmp_path, packages):
    with pytest.raises(ModelError, match="expected 1"):
        ensure_packaged_model(tmp_path / "cache", fake_model(packages, size=123))
    assert not (tmp_path / "cache" / "fake-whisper").exists()
    assert leftovers(tmp_path / "cache") == []


def test_wrong_checksum_is_refused_and_nothing_is_left(tmp_path, packages):
    with pytest.raises(ModelError, match="SHA-256"):
        ensure_packaged_model(tmp_path / "cache", fake_model(packages, sha256="0" * 64))
    assert not (tmp_path / "cache" / "fake-whisper").exists()
    assert leftovers(tmp_path / "cache") == []


def test_missing_part_is_a_clear_error(tmp_path, packages):
    (packages[1] / "model.bin.part2").unlink()
    with pytest.raises(ModelError, match="model.bin.part2 .* missing"):
        ensure_packaged_model(tmp_path / "cache", fake_model(packages))


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: (d / "model.bin").write_bytes(PART1),  # truncated
        lambda d: (d / "model.bin").write_bytes(PART2 + PART1),  # same size, other bytes
        lambda d: (d / "tokenizer.json").unlink(),
    ],
    ids=["truncated", "corrupted", "file-missing"],
)
def test_damaged_folder_is_rebuilt(tmp_path, packages, damage):
    model_dir = ensure_packaged_model(tmp_path / "cache", fake_model(packages))
    damage(model_dir)
    assert ensure_packaged_model(tmp_path / "cache", fake_model(packages)) == model_dir
    assert (model_dir / "model.bin").read_bytes() == PART1 + PART2
    assert (model_dir / "tokenizer.json").is_file()
    assert leftovers(tmp_path / "cache") == []


def test_a_build_killed_half_way_leaves_no_model_and_the_next_use_builds_it(tmp_path, packages):
    """A FIFO as part 2 blocks the build mid-write; the process is then killed."""
    (packages[1] / "model.bin.part2").unlink()
    os.mkfifo(packages[1] / "model.bin.part2")
    cache = tmp_path / "cache"
    script = (
        "import sys; from pathlib import Path; sys.path[:0] = [sys.argv[1]];"
        "from test_model_assembly import fake_model; from transcription.model import ensure_packaged_model;"
        "ensure_packaged_model(Path(sys.argv[2]), fake_model((Path(sys.argv[3]), Path(sys.argv[4]))))"
    )
    builder = subprocess.Popen(
        [sys.executable, "-c", script, str(Path(__file__).parent), str(cache), *map(str, packages)]
    )
    try:
        deadline = time.monotonic() + 60
        while not any(cache.glob(".fake-whisper.*/model.bin")):
            assert builder.poll() is None, "builder ended before reaching the blocking part"
            assert time.monotonic() < deadline, "builder never started writing"
            time.sleep(0.05)
    finally:
        builder.send_signal(signal.SIGKILL)
        builder.wait()
    assert not (cache / "fake-whisper").exists()

    (packages[1] / "model.bin.part2").unlink()
    (packages[1] / "model.bin.part2").write_bytes(PART2)
    model_dir = ensure_packaged_model(cache, fake_model(packages))
    assert (model_dir / "model.bin").read_bytes() == PART1 + PART2


def _build(cache: str, first: str, second: str) -> str:
    return str(ensure_packaged_model(Path(cache), fake_model((Path(first), Path(second)))))


def test_concurrent_first_use_by_several_processes_is_harmless(tmp_path, packages):
    cache = tmp_path / "cache"
    context = multiprocessing.get_context("spawn")
    with context.Pool(3) as pool:
        results = pool.starmap(_build, [(str(cache), *map(str, packages))] * 6)
    assert set(results) == {str(cache / "fake-whisper")}
    assert (cache / "fake-whisper" / "model.bin").read_bytes() == PART1 + PART2
    assert leftovers(cache) == []


@pytest.mark.parametrize("name", ["base", "large-v3", "tiny.en"])
def test_size_names_are_refused_before_faster_whisper_goes_to_the_hub(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelError, match="size name"):
        check_model_dir(name)


def test_directory_without_tokenizer_is_refused(tmp_path, packages):
    model_dir = ensure_packaged_model(tmp_path / "cache", fake_model(packages))
    (model_dir / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match="tokenizer.json"):
        check_model_dir(model_dir)


def test_missing_directory_is_refused(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        check_model_dir(tmp_path / "nowhere")


def test_installed_packages_hold_every_file_of_whisper_base():
    source = whisper_base()
    parts = sum(source.locate(part).stat().st_size for part in source.parts)
    assert parts == source.size == 145_217_532
    for name in source.files:
        assert source.locate(name).is_file()


def test_unwritable_cache_is_a_model_error(tmp_path, packages):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    with pytest.raises(ModelError, match="cannot build"):
        ensure_packaged_model(blocker / "sub", fake_model(packages))
