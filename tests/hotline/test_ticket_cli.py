"""The staff CLI, run in-process as ``hotline ...`` would run it."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.models import Ticket, User


def _tickets(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Ticket)) or 0


def test_register_list_show_transition(hotline, staff: dict[str, User]) -> None:
    code, out, err = hotline("tickets", "register", "--channel", "letter", "--content", "楼道堆放杂物",
                             "--phone", "13812345678", "--json", user="dispatcher1")
    assert code == 0, err
    number = json.loads(out)["number"]

    code, out, _ = hotline("tickets", "list", "--json", user="dispatcher1")
    [listed] = [json.loads(line) for line in out.splitlines()]
    assert {"number", "status", "channel", "category", "department", "urgency", "created_at", "deadline"} <= set(listed)
    assert listed["number"] == number and listed["caller_phone"] == "138****5678"

    assert hotline("tickets", "transition", number, "accept", user="dispatcher1")[:2] == (0, f"{number}: accepted (已受理)\n")
    code, out, _ = hotline("tickets", "transition", number, "dispatch", "-p", "department=juweihui", "--json",
                           user="dispatcher1")
    assert code == 0 and json.loads(out)["assignee_department"] == "juweihui"

    code, out, _ = hotline("tickets", "show", number, "--json", "--history", user="handler_juweihui")
    shown = json.loads(out)
    assert shown["caller_phone"] == "13812345678"  # the handling department may call back
    assert [e["action"] for e in shown["history"]] == ["register", "accept", "dispatch"]
    assert json.loads(hotline("tickets", "show", number, "--json", user="dispatcher1")[1])["caller_phone"] == "138****5678"


@pytest.mark.parametrize(
    ("args", "user", "message"),
    [
        (("tickets", "register", "--channel", "fax", "--content", "x"), "dispatcher1", "channel: must be one of"),
        (("tickets", "register", "--channel", "web", "--content", " "), "dispatcher1", "content: must not be empty"),
        (("tickets", "register", "--channel", "web", "--content", "x"), "auditor1", "may not register"),
        (("tickets", "register", "--channel", "web", "--content", "x"), "ghost", "no active user 'ghost'"),
        (("tickets", "show", "202601010001"), "supervisor1", "no ticket 202601010001"),
        (("tickets", "list", "--status", "lost"), "supervisor1", "status: unknown lost"),
        (("report", "--quarter", "2026Q5"), None, "quarter: expected YYYYQn"),
        (("users", "add", "bob", "--role", "wizard", "--password", "long-enough"), None, "role: must be one of"),
        (("users", "disable", "nobody"), None, "no user nobody"),
    ],
)
def test_errors_are_one_line_and_store_nothing(
    args: tuple[str, ...], user: str | None, message: str, hotline, staff: dict[str, User], db: Database
) -> None:
    code, out, err = hotline(*args, user=user)
    assert code != 0 and out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
    assert _tickets(db) == 0


def test_acting_user_is_required(hotline, staff: dict[str, User]) -> None:
    code, _, err = hotline("tickets", "list")
    assert code != 0 and "--as" in err and "Traceback" not in err


def test_illegal_transition_exits_non_zero(hotline, staff: dict[str, User], make_ticket) -> None:
    number = make_ticket().number
    code, _, err = hotline("tickets", "transition", number, "close", user="supervisor1")
    assert code == 1
    assert err == "error: cannot close a ticket that is registered; allowed from registered: accept, reject, transfer\n"
    code, _, err = hotline("tickets", "transition", number, "reject", "-p", "reason", user="supervisor1")
    assert code == 1 and "--param expects key=value" in err


def test_handlers_list_only_their_department(hotline, staff: dict[str, User], make_ticket) -> None:
    mine = make_ticket("dispatched", department="juweihui").number
    make_ticket("dispatched", department="wuye")
    out = hotline("tickets", "list", "--json", user="handler_juweihui")[1]
    assert [json.loads(line)["number"] for line in out.splitlines()] == [mine]


def test_users_add_list_disable_enable(hotline, db: Database) -> None:
    assert hotline("users", "add", "li", "--role", "handler", "--department", "wuye",
                   "--password", "long-enough")[:2] == (0, "added li (handler, wuye)\n")
    assert hotline("users", "add", "li", "--role", "auditor", "--password", "long-enough")[2] == \
        "error: user li already exists\n"
    assert hotline("users", "disable", "li")[1] == "li disabled\n"
    out = hotline("users", "list", "--json")[1]
    assert json.loads(out) == {**json.loads(out), "username": "li", "active": False, "department": "wuye"}
    assert hotline("users", "enable", "li")[1] == "li enabled\n"


def test_report_writes_markdown_and_csv(hotline, settings, make_ticket) -> None:
    from datetime import UTC, datetime

    make_ticket("closed", now=datetime(2026, 11, 3, 2, tzinfo=UTC))
    code, out, err = hotline("report", "--quarter", "2026q4")
    assert code == 0, err
    md_path, csv_path = (settings.reports_dir / "report-2026Q4.md", settings.reports_dir / "report-2026Q4.csv")
    assert out.split() == [str(md_path), str(csv_path)]
    assert "受理总量 Tickets: 1" in md_path.read_text()
    assert csv_path.read_text().splitlines()[1].startswith("juweihui,1,1,1.0,4.0")


def test_reminders_run_is_idempotent(hotline, make_ticket) -> None:
    from datetime import UTC, datetime

    number = make_ticket("dispatched", now=datetime(2026, 11, 2, 2, tzinfo=UTC)).number
    code, out, _ = hotline("reminders", "run", "--today", "2026-11-10", "--json")
    assert code == 0 and [json.loads(line)["ticket"] for line in out.splitlines()] == [number]
    assert hotline("reminders", "run", "--today", "2026-11-10", "--json")[1] == ""
    assert "expected YYYY-MM-DD" in hotline("reminders", "run", "--today", "tomorrow")[2]


def test_first_admin_credentials(settings, db: Database) -> None:
    from hotline.users import CREDENTIALS_FILE, authenticate, ensure_first_admin

    username, password = ensure_first_admin(db, settings)
    path = settings.home / CREDENTIALS_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text() == f"username: {username}\npassword: {password}\n"
    with db.read() as session:
        assert authenticate(session, username, password).role == "admin"
    assert ensure_first_admin(db, settings) is None


def test_the_last_active_admin_cannot_be_disabled(hotline, staff: dict[str, User]) -> None:
    code, _, err = hotline("users", "disable", "admin1")
    assert code == 1 and err == "error: admin1 is the last active admin; enable another admin first\n"
    hotline("users", "add", "admin2", "--role", "admin", "--password", "long-enough")
    assert hotline("users", "disable", "admin1")[:2] == (0, "admin1 disabled\n")
