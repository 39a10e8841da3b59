from pathlib import Path

import pytest

from classifier import Classifier, load_classifier


@pytest.fixture(scope="session")
def classifier_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One compile cache per test run: the default taxonomy is compiled once."""
    return tmp_path_factory.mktemp("classifier-cache")


@pytest.fixture(scope="session")
def clf(classifier_cache: Path) -> Classifier:  # also leaves the compiled cache for other tests
    """The default classifier (shipped taxonomy, nothing learned)."""
    return load_classifier(cache_dir=classifier_cache)
