"""``hotline classify`` and ``hotline classifier learn``, run in-process as the command would run."""
import json
import os
import shutil
from pathlib import Path

import pytest
from cli_runner import CliRun, cli_runner

from classifier import Classifier

KEYS = {"category", "department", "urgency", "confidential", "confidence", "keywords", "needs_review"}


@pytest.fixture
def hotline(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    clf: Classifier,
    classifier_cache: Path,
) -> CliRun:
    """``hotline ARGS`` with an instance home in tmp_path; returns (exit code, stdout, stderr).

    The home starts with the session's compiled default taxonomy, so each test does not compile it again.
    """
    for name in [n for n in os.environ if n.startswith("HOTLINE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOTLINE_HOME", str(tmp_path / "home"))
    shutil.copytree(classifier_cache, tmp_path / "home" / "cache")

    return cli_runner(monkeypatch, capsys)


def test_one_text(hotline: CliRun) -> None:
    code, out, _ = hotline("classify", "快来人 楼道里着火了")
    routing = json.loads(out)
    assert code == 0 and KEYS <= routing.keys()
    assert (routing["category"], routing["urgency"], routing["department"]) == ("emergency", 1, "emergency")
    assert routing["keywords"][0]["term"] in {"快来人", "着火"}


def test_lines_on_stdin_give_one_json_object_each_in_order(hotline: CliRun) -> None:
    code, out, _ = hotline("classify", stdin="我们小区又停电了\n\n社區醫院的醫生看病很敷衍\n")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == 3
    assert lines[0]["category"] == "power" and isinstance(lines[0]["urgency"], int)
    assert lines[1] == {"error": "text is empty: nothing to classify"}  # keeps lines aligned
    assert lines[2]["category"] == "health"


def test_empty_text_is_an_error(hotline: CliRun) -> None:
    code, out, err = hotline("classify", "   ")
    assert code == 1 and out == "" and err.strip() == "error: text is empty: nothing to classify"


def test_eval_prints_the_figures(hotline: CliRun, shared_eval: Path) -> None:
    code, out, _ = hotline("classify", "--eval", str(shared_eval / "complaints-dev.tsv"))
    assert code == 0
    assert "category accuracy" in out and "emergency recall     100.0 %" in out
    assert "staff_attitude" in out


def test_eval_of_a_bad_file_is_a_clear_error(hotline: CliRun, tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("just some text\n", encoding="utf-8")
    code, _, err = hotline("classify", "--eval", str(bad))
    assert code == 1 and "first line must be the header" in err and "Traceback" not in err


def test_a_broken_taxonomy_setting_is_a_clear_error(hotline: CliRun, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOTLINE_TAXONOMY", str(tmp_path / "missing.yaml"))
    code, _, err = hotline("classify", "停电了")
    assert code == 1 and "cannot read taxonomy" in err


def test_learn_writes_the_instance_file_that_classify_then_uses(hotline: CliRun, tmp_path: Path, shared_eval: Path) -> None:
    labelled = tmp_path / "labelled.tsv"
    extra = [
        "x1\tsanitation\tjuweihui\t3\t楼道里天天有人塞传单 地上扔得到处都是",
        "x2\tsanitation\tjuweihui\t3\t单元门口被人贴满了传单 撕都撕不干净",
        "x3\tsanitation\tjuweihui\t3\t小区里的传单满天飞 风一吹全是纸",
    ]
    labelled.write_text((shared_eval / "complaints-dev.tsv").read_text(encoding="utf-8") + "\n".join(extra) + "\n",
                        encoding="utf-8")
    code, out, _ = hotline("classifier", "learn", str(labelled))
    target = tmp_path / "home" / "classifier" / "learned.yaml"
    assert code == 0 and str(target) in out and target.is_file()

    code, out, _ = hotline("classify", "门口的传单发得到处都是")
    assert json.loads(out)["category"] == "sanitation"
    code, out, _ = hotline("classify", "--no-learned", "门口的传单发得到处都是")
    assert json.loads(out)["category"] != "sanitation"
