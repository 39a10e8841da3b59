"""Runs ``hotline ARGS`` in-process, exactly as the console script does."""
from __future__ import annotations

import io
import sys
from collections.abc import Callable

import pytest

from hotline.cli import common
from hotline.cli.main import main

CliRun = Callable[..., tuple[int, str, str]]


def cli_runner(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> CliRun:
    """A ``run(*args, user=None, stdin=None) -> (exit code, stdout, stderr)`` for the current environment."""

    def run(*args: str, user: str | None = None, stdin: str | None = None) -> tuple[int, str, str]:
        common.settings.cache_clear()  # each run reads HOTLINE_* afresh, as a new process would
        common.database.cache_clear()
        if user:
            monkeypatch.setenv("HOTLINE_USER", user)
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        monkeypatch.setattr(sys, "argv", ["hotline", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        finally:
            monkeypatch.delenv("HOTLINE_USER", raising=False)
        out, err = capsys.readouterr()
        return code, out, err

    return run
