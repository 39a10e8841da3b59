"""Learning keyword weights from labelled examples fixes errors on similar, unseen texts."""
from pathlib import Path

import pytest

from classifier import Classifier, learn, load_classifier, load_learned, save_learned
from classifier.evaluate import read_labelled
from classifier.taxonomy import TaxonomyError

# Flyers stuffed everywhere: a sanitation problem the shipped taxonomy has no word for.
TRAINING = [
    ("楼道里天天有人塞传单 地上扔得到处都是", "sanitation"),
    ("单元门口被人贴满了传单 撕都撕不干净", "sanitation"),
    ("小区里的传单满天飞 风一吹全是纸", "sanitation"),
    ("有人往我家门缝里塞传单 楼道里到处是纸片", "sanitation"),
]
UNSEEN = ["门口的传单发得到处都是", "电动车筐里天天被人塞满传单"]


@pytest.fixture(scope="module")
def labelled(shared_eval: Path) -> list[tuple[str, str]]:
    """The dev set as contrast (so common words are not learned) plus the new examples."""
    return [(row.text, row.category) for row in read_labelled(shared_eval / "complaints-dev.tsv")] + TRAINING


def test_learning_fixes_similar_unseen_texts(
    clf: Classifier, labelled: list[tuple[str, str]], tmp_path: Path, classifier_cache: Path
) -> None:
    assert all(clf.classify(text).category != "sanitation" for text in UNSEEN)  # wrong before

    weights = learn(labelled)
    assert weights.examples == len(labelled)
    assert "传单" in weights.weights["sanitation"]
    path = tmp_path / "classifier" / "learned.yaml"
    save_learned(path, weights)
    assert load_learned(path).weights == weights.weights

    learned = load_classifier(learned_path=path, cache_dir=classifier_cache)
    for text in UNSEEN:
        routing = learned.classify(text)
        assert routing.category == "sanitation"
        assert any(k.term == "传单" and k.source == "learned" for k in routing.keywords)
    dev = read_labelled(Path(__file__).parents[3] / "shared" / "eval" / "complaints-dev.tsv")
    assert sum(learned.classify(r.text).category == r.category for r in dev) >= 0.95 * len(dev)


def test_missing_learned_file_means_nothing_learned(tmp_path: Path, classifier_cache: Path) -> None:
    clf = load_classifier(learned_path=tmp_path / "absent.yaml", cache_dir=classifier_cache)
    assert clf.classify(UNSEEN[0]).category != "sanitation"


def test_unknown_category_in_examples_is_an_error() -> None:
    with pytest.raises(TaxonomyError, match="unknown category 'rubbish'"):
        learn([("楼道里有传单", "rubbish")])
