"""Migration 0002: triggers make the history tables append-only; downgrading removes exactly them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DatabaseError

from storage.db import Database, alembic_config, normalise_url

POSTGRES_URL = os.environ.get("HOTLINE_TEST_DATABASE_URL")


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of this test's own (a private schema on PostgreSQL)."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    schema = f"hotline_migration_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(POSTGRES_URL))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{normalise_url(POSTGRES_URL)}?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _edit_refused(db: Database) -> bool:
    try:
        with db.write() as session:
            session.execute(text("UPDATE audit_log SET actor = 'forger'"))
            session.execute(text("DELETE FROM ticket_events"))
    except DatabaseError as exc:
        assert "append-only" in str(exc)
        return True
    return False


def test_upgrade_and_downgrade(fresh_url: str) -> None:
    db = Database(fresh_url)
    try:
        db.migrate()
        with db.write() as session:
            session.execute(
                text(
                    "INSERT INTO audit_log (id, at, actor, action, result, prev_hash, hash) "
                    "VALUES (1, CURRENT_TIMESTAMP, 'sup1', 'listen', 'granted', :zero, :zero)"
                ),
                {"zero": "0" * 64},
            )
        assert _edit_refused(db)

        command.downgrade(alembic_config(fresh_url), "0001")
        assert not _edit_refused(db)

        command.upgrade(alembic_config(fresh_url), "head")
        assert _edit_refused(db)
    finally:
        db.dispose()
