"""Fixtures for the hotline package: staff accounts, tickets in any state, an API client."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any

import pytest
from cli_runner import CliRun, cli_runner
from fastapi.testclient import TestClient
from ticket_paths import PATHS, VALID_PARAMS

from hotline import tickets
from hotline.api.app import create_app
from hotline.cli import common
from hotline.config import Settings
from hotline.security import hash_password, issue_token
from storage import users as user_store
from storage.db import Database
from storage.models import Ticket, User

PASSWORD = "correct-horse"

@lru_cache(maxsize=1)
def _password_hash() -> str:
    """argon2 is slow on purpose; tests hash the shared password once."""
    return hash_password(PASSWORD)


@pytest.fixture
def make_user(db: Database) -> Callable[..., User]:
    def make(username: str, role: str, department: str | None = None) -> User:
        with db.write() as session:
            return user_store.add_user(
                session, username=username, password_hash=_password_hash(), role=role, department=department
            )

    return make


@pytest.fixture
def staff(make_user: Callable[..., User]) -> dict[str, User]:
    """One account per role, and handlers of several departments (jiedao is the 'accused unit')."""
    return {
        "dispatcher": make_user("dispatcher1", "dispatcher"),
        "supervisor": make_user("supervisor1", "supervisor"),
        "handler": make_user("handler_juweihui", "handler", "juweihui"),
        "handler_other": make_user("handler_wuye", "handler", "wuye"),
        "handler_jijian": make_user("handler_jijian", "handler", "jijian"),
        "handler_accused": make_user("handler_jiedao", "handler", "jiedao"),
        "auditor": make_user("auditor1", "auditor"),
        "admin": make_user("admin1", "admin"),
    }


@pytest.fixture
def make_ticket(db: Database, settings: Settings, staff: dict[str, User]) -> Callable[..., Ticket]:
    """A ticket driven to ``state`` by a supervisor; ``fields`` are set before and after the route."""

    def make(state: str = "registered", *, now: datetime | None = None, **fields: Any) -> Ticket:
        with db.write() as session:
            ticket = tickets.register_ticket(
                session, settings, channel="walk_in", actor=staff["dispatcher"].username,
                content="三号楼旁边的垃圾桶满了三天没人清运", caller_phone="13812345678",
                caller_name="张三", address="幸福小区3号楼", now=now,
            )
            fields.setdefault("department", "juweihui")
            fields.setdefault("category", "sanitation")
            for name, value in fields.items():
                setattr(ticket, name, value)
            params = dict(VALID_PARAMS, dispatch={"department": ticket.department})
            for action in PATHS[state]:
                tickets.transition(session, settings, ticket, action, staff["supervisor"], now=now, **params[action])
            for name, value in fields.items():  # final values, e.g. a deadline in the past
                setattr(ticket, name, value)
            return ticket

    return make


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def login(settings: Settings) -> Callable[[User | str], dict[str, str]]:
    """Authorization headers for a user (a signed token; the password flow has its own tests,
    argon2 is deliberately too slow to run for every request of the matrix)."""

    def headers(user: User | str) -> dict[str, str]:
        username = user if isinstance(user, str) else user.username
        return {"Authorization": f"Bearer {issue_token(settings, username)}"}

    return headers


@pytest.fixture
def hotline(settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRun]:
    """``hotline ARGS`` in-process with the test instance's settings: (exit code, stdout, stderr)."""
    yield cli_runner(monkeypatch, capsys)
    common.database().dispose()
    common.settings.cache_clear()
    common.database.cache_clear()
