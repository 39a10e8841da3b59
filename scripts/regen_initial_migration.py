"""Development helper: regenerate the initial migration from storage/models.py.

Only while nothing has been released: once a schema is in use, add a new revision instead.
"""
import tempfile
from pathlib import Path

from alembic import command

from storage.db import alembic_config

versions = Path(__file__).resolve().parent.parent / "storage" / "migrations" / "versions"
for old in versions.glob("0001_*.py"):
    old.unlink()
with tempfile.TemporaryDirectory() as tmp:
    config = alembic_config(f"sqlite:///{tmp}/empty.db")
    command.revision(config, message="initial schema", autogenerate=True, rev_id="0001")
for new in versions.glob("0001_*.py"):
    print(f"wrote {new}")
