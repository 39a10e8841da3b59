"""Shared fixtures: an isolated HOTLINE_HOME and a migrated database per test.

With ``HOTLINE_TEST_DATABASE_URL`` set (CI's second pass) the database is that
PostgreSQL: the run migrates its own schema once, every test starts from empty
tables, and the schema is dropped at the end. Nothing outside it is touched.
"""
from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hotline.config import Settings
from storage.db import Database, normalise_url
from storage.models import Base

pytest_plugins = ["s3_server", "recording_fixtures"]  # SeaweedFS S3 server; recording test data

SHARED_EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval"
POSTGRES_URL = os.environ.get("HOTLINE_TEST_DATABASE_URL")


def _with_search_path(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{normalise_url(url)}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def shared_eval() -> Path:
    if not SHARED_EVAL.is_dir():
        pytest.fail(f"shared evaluation data not found at {SHARED_EVAL}")
    return SHARED_EVAL


@pytest.fixture(scope="session")
def _template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrate once per run: a SQLite file to copy, or a PostgreSQL schema to empty."""
    if POSTGRES_URL:
        schema = f"hotline_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(normalise_url(POSTGRES_URL))
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = _with_search_path(POSTGRES_URL, schema)
        Database(url).migrate()
        yield url
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        db = Database(f"sqlite:///{path}")
        db.migrate()
        db.dispose()
        yield str(path)


@pytest.fixture
def database_url(_template_database: str, tmp_path: Path) -> str:
    if POSTGRES_URL:
        engine = create_engine(_template_database)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return _template_database
    target = tmp_path / "home" / "hotline.db"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_template_database, target)
    return f"sqlite:///{target}"


@pytest.fixture
def settings(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings of an isolated instance; also exported as HOTLINE_* for subprocesses."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    for name in list(os.environ):
        if name.startswith("HOTLINE_") and name != "HOTLINE_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOTLINE_HOME", str(home))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", database_url)
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "test-secret")
    return Settings()


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.db_url)
    yield database
    database.dispose()
