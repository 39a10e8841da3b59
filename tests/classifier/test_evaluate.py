"""The evaluation report: accuracies, level-1 recall/precision, per-category figures, confusions."""
from pathlib import Path

import pytest

from classifier import Classifier
from classifier.evaluate import (
    LabelledFileError,
    evaluate,
    format_report,
    read_labelled,
)

HEADER = "id\tcategory\tdepartment\turgency\ttext\n"
ROWS = (
    "t1\temergency\temergency\t1\t楼道里着火了 好多烟\n"
    "t2\tpower\tgongdian\t3\t我们小区又停电了\n"
    "t3\tnoise\tjuweihui\t3\t楼下有人晕倒了\n"  # labelled wrong on purpose: a false level 1
    "t4\temergency\temergency\t1\t楼道里有点乱\n"  # a level-1 case the classifier cannot see
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "labelled.tsv"
    path.write_text(text, encoding="utf-8")
    return path


def test_figures(clf: Classifier, tmp_path: Path) -> None:
    result = evaluate(clf, read_labelled(write(tmp_path, HEADER + ROWS)))
    assert result.total == 4 and result.category_correct == 2
    assert (result.emergency_found, result.emergency_missed, result.emergency_false) == (1, 1, 1)
    assert result.emergency_recall == 0.5 and result.emergency_precision == 0.5
    assert result.recall("emergency") == 0.5 and result.precision("emergency") == 0.5
    assert result.confusions[("noise", "emergency")] == 1
    report = format_report(result)
    assert "category accuracy     50.0 %  (2/4)" in report
    assert "emergency recall      50.0 %" in report
    assert "noise → emergency: 1" in report
    assert "t4 emergency/1 →" in report


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id\tcategory\ttext\nx\ty\tz\n", "first line must be the header"),
        (HEADER + "t1\tpower\tgongdian\t9\t停电\n", r"labelled.tsv:2: urgency must be 1-4"),
        (HEADER + "t1\tpower\tgongdian\t3\n", r"labelled.tsv:2: expected 5 tab-separated columns"),
        (HEADER, "no labelled rows"),
    ],
)
def test_bad_files_are_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(LabelledFileError, match=message):
        read_labelled(write(tmp_path, content))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LabelledFileError, match="file not found"):
        read_labelled(tmp_path / "none.tsv")
