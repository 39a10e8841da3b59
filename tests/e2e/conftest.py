"""Fixtures of the end-to-end tests: ``hotline serve`` for the test's instance, an alert webhook.

The instance is the test's own (``settings`` fixture: HOTLINE_HOME in tmp, the
test database, SQLite or PostgreSQL); its worker uses the packaged Whisper model
assembled once per run.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from e2e_harness import Hotline, Webhook, serve_webhook

from hotline.config import Settings
from transcription import ensure_packaged_model


@pytest.fixture(scope="session")
def whisper_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_packaged_model(tmp_path_factory.mktemp("whisper-cache"))


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    with serve_webhook() as hook:
        yield hook


@pytest.fixture
def start_hotline(settings: Settings, tmp_path: Path, whisper_model: Path) -> Iterator[Callable[..., Hotline]]:
    """Start ``hotline serve``; extra settings as keyword arguments (``alert_webhook_url=...``)."""
    started: list[Hotline] = []

    def start(**overrides: object) -> Hotline:
        env = {
            **os.environ,  # the settings fixture's HOTLINE_HOME, HOTLINE_DATABASE_URL, ...
            "HOTLINE_WHISPER_MODEL": str(whisper_model),
            **{f"HOTLINE_{name.upper()}": str(value) for name, value in overrides.items()},
        }
        workdir = tmp_path / f"serve{len(started)}"
        workdir.mkdir()
        started.append(Hotline.start(settings, env, workdir))
        return started[-1]

    yield start
    for hotline in started:  # still running when a test failed early
        hotline.kill()
