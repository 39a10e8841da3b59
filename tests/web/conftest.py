"""A small hotline for the console tests: one account per role, tickets, a stored recording.

Everything is made through the service layer (ticket service, real classifier,
alerts, recording registration and upload), the way calls and staff make it.
"""
from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from console_world import (
    ACCOUNTS,
    CALL_TRANSCRIPT,
    CHROMIUM,
    CHROMIUM_ARGS,
    EMERGENCY_TEXT,
    FULL_PHONE,
    NOISE_TEXT,
    PASSWORD,
    PHONE_CALLER,
    SANITATION_TEXT,
    World,
    tone_wav,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient

from classifier import Classifier, load_classifier
from hotline import alerts, tickets
from hotline.api.app import build_server, create_app
from hotline.api.deps import TOKEN_COOKIE
from hotline.config import Settings
from hotline.security import hash_password, issue_token
from hotline.stores import recording_store
from recording.uploader import upload_pending
from storage import recordings, transcripts
from storage import users as user_store
from storage.access import grant
from storage.db import Database
from storage.models import Ticket


@lru_cache(maxsize=1)
def _password_hash() -> str:
    """argon2 is slow on purpose: hash the shared test password once."""
    return hash_password(PASSWORD)


@lru_cache(maxsize=1)
def _classifier() -> Classifier:
    """The shipped classifier, built once per run (building it is the slow part of a test)."""
    return load_classifier()


def _classified(session, settings: Settings, actor: str, text: str, **fields) -> Ticket:  # type: ignore[no-untyped-def]
    ticket = tickets.register_ticket(session, settings, actor=actor, content=text, **fields)
    routing = _classifier().classify(text).to_dict()
    tickets.apply_routing(session, ticket, routing, actor="classifier")
    if alerts.is_emergency(routing):
        alerts.record_alert(session, ticket, routing, actor="classifier")
    return ticket


@pytest.fixture
def world(db: Database, settings: Settings) -> World:
    world = World(settings, db)
    with db.write() as session:
        for username, (role, department, scopes) in ACCOUNTS.items():
            user = user_store.add_user(
                session, username=username, password_hash=_password_hash(), role=role,
                department=department, display_name=f"测试{username}",
            )
            for scope in scopes:
                grant(session, user=user, scope=scope, granted_by="admin")
            world.users[username] = user
        world.numbers["sanitation"] = _classified(
            session, settings, "dispatcher", SANITATION_TEXT, channel="walk_in",
            caller_phone=FULL_PHONE, caller_name="张三", address="幸福小区3号楼",
        ).number
        world.numbers["noise"] = _classified(
            session, settings, "dispatcher", NOISE_TEXT, channel="web", address="建设路12号",
        ).number
        world.numbers["emergency"] = _classified(
            session, settings, "dispatcher", EMERGENCY_TEXT, channel="walk_in", address="幸福小区3号楼",
        ).number
        call = tickets.register_ticket(session, settings, channel="phone", actor="sip", caller_phone=PHONE_CALLER)
        world.numbers["call"] = call.number
    world.recording_id = _recorded_call(world, call.id)
    return world


def _recorded_call(world: World, ticket_id: int) -> int:
    """The call's WAV spooled, registered, transcribed, classified and uploaded to the local store."""
    audio = tone_wav()
    spool = world.settings.spool_dir / "call.wav"
    spool.parent.mkdir(parents=True, exist_ok=True)
    spool.write_bytes(audio)
    with world.db.write() as session:
        recording = recordings.add_recording(
            session, ticket_id=ticket_id, spool_path=str(spool), sha256=hashlib.sha256(audio).hexdigest(),
            size=len(audio), duration_seconds=2.0, codec="pcm_s16le", recorded_at=datetime.now(UTC),
            retention_years=world.settings.retention_years,
        )
        transcripts.add_transcript(
            session, ticket_id=ticket_id, recording_id=recording.id, text=CALL_TRANSCRIPT, empty=False,
            segments=[], model="test-transcript", settings={}, audio_seconds=2.0, processing_seconds=0.1,
        )
        ticket = session.get_one(Ticket, ticket_id)
        tickets.apply_routing(session, ticket, _classifier().classify(CALL_TRANSCRIPT).to_dict(), "classifier")
        recording_id = recording.id
    assert upload_pending(world.db, recording_store(world.settings)) == 1
    return recording_id


@pytest.fixture
def console_app(world: World) -> Iterator[FastAPI]:
    app = create_app(world.settings)
    yield app
    app.state.db.dispose()


@pytest.fixture
def signed_in(console_app: FastAPI, world: World) -> Callable[[str], TestClient]:
    """A browser-like client (its own cookie jar) per account, holding the session cookie.

    The cookie is the one ``/login`` sets (tests of the form itself post to it); issuing it
    directly spares each test the deliberately slow argon2 check of the password.
    """

    def sign_in(username: str) -> TestClient:
        client = TestClient(console_app)
        client.cookies.set(TOKEN_COOKIE, issue_token(world.settings, username))
        return client

    return sign_in


@pytest.fixture
def anonymous(console_app: FastAPI) -> TestClient:
    return TestClient(console_app)


# ---------------------------------------------------------------- real server and browser

@pytest.fixture
def live_server(world: World) -> Iterator[str]:
    """The app under uvicorn on a free loopback port (the socket is bound first: no port race)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = build_server(world.settings, "127.0.0.1", port)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the console server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)
    listener.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install the Debian package 'chromium'")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_as(browser: Any, live_server: str) -> Iterator[Callable[[str], Any]]:
    """A page in its own browser context (own cookies), signed in through the form as ``username``."""
    contexts: list[Any] = []

    def open_page(username: str) -> Any:
        context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 1400, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        return page

    yield open_page
    for context in contexts:
        context.close()
