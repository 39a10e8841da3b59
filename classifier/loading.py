"""Building a classifier, with a compiled cache so warm starts stay fast.

Compiling needs pypinyin (about 0.4 s to import) and YAML parsing; the result is
pickled under ``cache_dir`` keyed by the exact bytes of the taxonomy, the learned
file and this package's code, so any edit rebuilds it and nothing stale is used.
"""
from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from importlib.util import find_spec
from pathlib import Path

from classifier.engine import Classifier
from classifier.index import KeywordIndex
from classifier.learn import load_learned
from classifier.taxonomy import DEFAULT_TAXONOMY, TaxonomyError, load_taxonomy

log = logging.getLogger(__name__)

_PACKAGE_DIR = Path(__file__).parent
_CODE_FILES = (
    "engine.py", "index.py", "patterns.py", "phonetic.py", "taxonomy.py", "text.py", "learn.py", "loading.py"
)


def load_classifier(
    taxonomy_path: Path | str | None = None,
    learned_path: Path | str | None = None,
    cache_dir: Path | str | None = None,
) -> Classifier:
    """The classifier for a taxonomy (default: the shipped one) plus learned weights.

    A ``learned_path`` that does not exist yet means "nothing learned so far".
    """
    taxonomy_file = Path(taxonomy_path) if taxonomy_path else DEFAULT_TAXONOMY
    try:
        taxonomy_bytes = taxonomy_file.read_bytes()
    except OSError as exc:
        raise TaxonomyError(f"{taxonomy_file}: cannot read taxonomy: {exc.strerror}") from exc
    learned_file = Path(learned_path) if learned_path else None
    learned_bytes = learned_file.read_bytes() if learned_file and learned_file.is_file() else b""

    cache_file = None
    if cache_dir is not None:
        key = _cache_key(taxonomy_bytes, learned_bytes)
        cache_file = Path(cache_dir) / "classifier" / f"compiled-{key}.pickle"
        cached = _read_cache(cache_file)
        if cached is not None:
            return cached

    taxonomy = load_taxonomy(taxonomy_file)
    learned = load_learned(learned_file).weights if learned_bytes and learned_file else {}
    unknown = sorted(set(learned) - set(taxonomy.categories))
    if unknown:
        log.warning("learned weights for unknown categories ignored: %s", ", ".join(unknown))
        learned = {k: v for k, v in learned.items() if k in taxonomy.categories}
    classifier = Classifier(taxonomy, KeywordIndex(taxonomy, learned))
    if cache_file is not None:
        _write_cache(cache_file, classifier)
    return classifier


def _cache_key(taxonomy_bytes: bytes, learned_bytes: bytes) -> str:
    digest = hashlib.sha256()
    for name in _CODE_FILES:
        digest.update((_PACKAGE_DIR / name).read_bytes())
    digest.update(_dependency_fingerprint().encode())
    digest.update(len(taxonomy_bytes).to_bytes(8, "big") + taxonomy_bytes)
    digest.update(learned_bytes)
    return digest.hexdigest()[:24]


def _dependency_fingerprint() -> str:
    """Which pypinyin and OpenCC built the cache, without importing pypinyin (slow)."""
    import opencc

    spec = find_spec("pypinyin")
    origin = Path(spec.origin) if spec and spec.origin else None
    stamp = ""
    if origin is not None:
        for name in ("pinyin_dict.py", "phrases_dict.py"):
            stat = (origin.parent / name).stat()
            stamp += f"{name}:{stat.st_size}:{stat.st_mtime_ns};"
    return f"opencc {opencc.__version__}; pypinyin {stamp}"


def _read_cache(path: Path) -> Classifier | None:
    try:
        with path.open("rb") as handle:
            classifier = pickle.load(handle)
    except FileNotFoundError:
        return None
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, TypeError,
            ValueError, OSError):  # a damaged or foreign cache is rebuilt, never fatal
        log.warning("ignoring unreadable classifier cache %s", path)
        return None
    return classifier if isinstance(classifier, Classifier) else None


def _write_cache(path: Path, classifier: Classifier) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
            pickle.dump(classifier, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, path)
    except OSError as exc:
        log.warning("cannot write classifier cache %s: %s", path, exc.strerror)
