"""``hotline serve`` as a process: it refuses bad configuration, restarts a dead child, stops cleanly."""
from __future__ import annotations

import os
import signal
import subprocess

import httpx
import pytest
from e2e_harness import CLI, sip_harness

from hotline.config import Settings
from hotline.demo.probe import probe_agent


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("HOTLINE_RETENTION_YEARS", "1", "invalid configuration: retention_years"),
        ("HOTLINE_SIP_PORT", "99999", "invalid configuration: sip_port"),
        ("HOTLINE_DATABASE_URL", "postgresql://nobody:secret@127.0.0.1:1/none", "cannot open the database"),
    ],
)
def test_serve_refuses_invalid_configuration(settings: Settings, variable: str, value: str, message: str) -> None:
    result = subprocess.run([*CLI, "serve"], env={**os.environ, variable: value},
                            capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert "secret" not in result.stderr


@pytest.mark.slow
@pytest.mark.sip
def test_serve_starts_everything_restarts_a_dead_child_and_stops_cleanly(start_hotline) -> None:
    hotline = start_hotline()
    assert f"http://127.0.0.1:{hotline.api_url.rsplit(':', 1)[1]}/" in hotline.banner
    username, password = hotline.admin_login()
    assert f"{username} / {password}" in hotline.banner
    assert (hotline.settings.home / "admin-credentials.txt").stat().st_mode & 0o777 == 0o600
    assert httpx.get(f"{hotline.api_url}/health").json()["status"] == "ok"
    assert len(hotline.child_pids("worker")) == 1
    [agent] = hotline.child_pids("agent")
    assert probe_agent(*hotline.sip) == 200

    os.kill(agent, signal.SIGKILL)  # a crash of the agent: serve starts a new one
    sip_harness.wait_for(lambda: len(hotline.child_pids("agent")) == 2, 60.0, message="the agent to be restarted")
    sip_harness.wait_for(lambda: probe_agent(*hotline.sip, timeout=0.5) == 200, 120.0,
                         message="the new agent to answer")

    assert hotline.stop() == 0
    for pid in hotline.child_pids():
        with pytest.raises(ProcessLookupError):  # stopped and reaped by serve before it exited
            os.kill(pid, 0)
