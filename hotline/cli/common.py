"""What every CLI command shares: settings, database, the acting user, clean errors."""
from __future__ import annotations

import sys
from functools import lru_cache

import typer
from pydantic import ValidationError

from hotline.config import Settings, load_settings
from storage.db import Database


class CliError(Exception):
    """A user-facing error: printed as one line, exit code ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@lru_cache(maxsize=1)
def settings() -> Settings:
    try:
        return load_settings()
    except ValidationError as exc:
        messages = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        raise CliError(f"invalid configuration: {messages}") from exc


@lru_cache(maxsize=1)
def database() -> Database:
    """The migrated database of the configured instance."""
    db = Database(settings().db_url)
    db.migrate()
    return db


def run(app: typer.Typer) -> None:
    """Run the app, turning ``CliError`` into a message and a non-zero exit."""
    try:
        app(standalone_mode=False)
    except CliError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("aborted", err=True)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click usage errors carry their own exit code and message
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
