"""Fixtures of the SIP tests: agents started as subprocesses on free ports."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sip_harness import AgentProcess, free_port

from hotline.config import Settings


@pytest.fixture
def start_agent(settings: Settings, tmp_path: Path) -> Iterator[Callable[..., AgentProcess]]:
    """Start ``hotline agent`` for this test's instance; extra settings as keyword arguments."""
    agents: list[AgentProcess] = []

    def start(host: str = "127.0.0.1", **overrides: object) -> AgentProcess:
        env = {f"HOTLINE_{name.upper()}": str(value) for name, value in overrides.items()}
        workdir = tmp_path / f"agent{len(agents)}"
        workdir.mkdir()
        agent = AgentProcess(workdir, host, free_port(host), env)
        agents.append(agent)
        return agent.start()

    yield start
    for agent in agents:
        if agent.process is not None and agent.process.poll() is None:
            agent.kill()
