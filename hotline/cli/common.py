"""What every CLI command shares: settings, database, the acting user, clean errors."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

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
    try:
        db = Database(settings().db_url)
        db.migrate()
    except SQLAlchemyError as exc:  # unreachable server, wrong credentials, bad URL
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise CliError(f"cannot open the database (HOTLINE_DATABASE_URL): {reason}") from exc
    return db


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the service layer's user-facing errors (bad input, illegal transition, no permission,
    not found) into ``CliError``: one line, non-zero exit, nothing half-stored."""
    from hotline.access import PermissionDenied
    from hotline.tickets import TicketNotFound
    from hotline.users import UserExists, UserNotFound
    from hotline.workflow import IllegalTransition, InvalidParams

    try:
        yield
    except (InvalidParams, IllegalTransition, PermissionDenied, TicketNotFound, UserExists, UserNotFound) as exc:
        raise CliError(str(exc)) from exc


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
    except typer.TyperException as exc:  # usage errors (typer's bundled click) carry code and message
        show = getattr(exc, "show", None)
        show() if show else typer.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
