"""``hotline classifier learn-corrections``: a dispatcher's correction changes how similar texts are routed.

End to end: a ticket is registered, a dispatcher corrects its route through the
ticket service (what PATCH /tickets/{number}/routing calls), the command learns
from the stored corrections, and ``hotline classify`` routes an unseen, similar
text the corrected way.
"""
import json
import shutil
from pathlib import Path

import pytest
from cli_runner import cli_runner
from sqlalchemy import select

from hotline import tickets
from hotline.cli import common
from hotline.config import Settings
from hotline.security import hash_password
from storage import tickets as ticket_store
from storage import users as user_store
from storage.db import Database
from storage.models import Ticket

# Flyers stuffed everywhere: sanitation, a problem the shipped taxonomy has no word for.
CORRECTED = [
    "楼道里天天有人塞传单 地上扔得到处都是",
    "单元门口被人贴满了传单 撕都撕不干净",
    "小区里的传单满天飞 风一吹全是纸",
]
UNSEEN = "电动车筐里天天被人塞满传单"


@pytest.fixture
def hotline(settings: Settings, classifier_cache: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    """``hotline ARGS`` in-process against the test instance; returns (exit code, stdout, stderr)."""
    shutil.copytree(classifier_cache, settings.cache_dir, dirs_exist_ok=True)  # the compiled default taxonomy

    yield cli_runner(monkeypatch, capsys)
    common.database().dispose()
    common.database.cache_clear()


def _register_and_correct(db: Database, settings: Settings, texts: list[str], category: str) -> None:
    with db.write() as session:
        dispatcher = user_store.add_user(
            session, username="dispatcher1", password_hash=hash_password("correct-horse"), role="dispatcher"
        )
        for text in texts:
            ticket = tickets.register_ticket(session, settings, channel="walk_in", actor="dispatcher1", content=text)
            tickets.correct_routing(
                session, settings, ticket, dispatcher, category=category, department="juweihui", urgency=3
            )


def _category(hotline, *args: str) -> str:
    code, out, err = hotline("classify", *args, UNSEEN)
    assert code == 0, err
    return json.loads(out)["category"]


def test_stored_corrections_change_the_routing_of_a_similar_unseen_text(
    hotline, db: Database, settings: Settings, shared_eval: Path
) -> None:
    assert _category(hotline) != "sanitation"  # wrong before anyone corrected anything

    _register_and_correct(db, settings, CORRECTED, "sanitation")
    with db.read() as session:
        assert ticket_store.list_routing_corrections(session) == [(text, "sanitation") for text in CORRECTED]

    code, out, err = hotline("classifier", "learn-corrections", "--also", str(shared_eval / "complaints-dev.tsv"))
    target = settings.home / "classifier" / "learned.yaml"
    assert code == 0, err
    assert "from 3 corrections and 84 labelled texts" in out and target.is_file()

    assert _category(hotline) == "sanitation"
    assert _category(hotline, "--no-learned") != "sanitation"


def test_only_the_latest_correction_of_a_ticket_counts(db: Database, settings: Settings) -> None:
    _register_and_correct(db, settings, CORRECTED[:1], "noise")
    with db.write() as session:
        ticket = session.scalars(select(Ticket)).one()
        dispatcher = user_store.get_by_username(session, "dispatcher1")
        tickets.correct_routing(
            session, settings, ticket, dispatcher, category="sanitation", department="juweihui", urgency=3
        )
    with db.read() as session:
        assert ticket_store.list_routing_corrections(session) == [(CORRECTED[0], "sanitation")]


def test_nothing_to_learn_is_a_clear_error(hotline) -> None:
    code, out, err = hotline("classifier", "learn-corrections")
    assert code == 1 and out == "" and err.strip() == "error: no dispatcher corrections to learn from yet"
