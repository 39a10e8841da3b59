from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from storage.db import Database, alembic_config
from storage.models import Base


def test_migrations_create_exactly_the_models(db: Database) -> None:
    """The schema the migrations build matches storage/models.py (no forgotten revision)."""
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        tables = set(inspect(connection).get_table_names())
    assert differences == []
    assert set(Base.metadata.tables) <= tables


def test_migrating_again_is_a_no_op(db: Database) -> None:
    db.migrate()
    head = ScriptDirectory.from_config(alembic_config(db.url)).get_current_head()
    with db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_heads() == (head,)
