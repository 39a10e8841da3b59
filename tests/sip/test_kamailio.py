"""The Kamailio example in deploy/kamailio: a valid configuration that really spreads calls over agents."""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from sip_harness import REPO, Caller, finished_calls, free_port, wait_for

from storage.db import Database

CONFIG = REPO / "deploy" / "kamailio" / "kamailio.cfg"


def test_the_shipped_configuration_is_accepted_by_kamailio() -> None:
    result = subprocess.run(
        ["kamailio", "-c", "-f", str(CONFIG), "-A", f'DISPATCHER_LIST="{CONFIG.parent / "dispatcher.list"}"'],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "config file ok" in result.stderr + result.stdout


@pytest.mark.slow
@pytest.mark.sip
def test_kamailio_spreads_calls_round_robin_over_the_agents(start_agent, db: Database, tmp_path: Path) -> None:
    agents = [start_agent(sip_allowed_networks='["127.0.0.1/32"]') for _ in range(2)]
    targets = tmp_path / "dispatcher.list"
    targets.write_text("".join(f"1 sip:127.0.0.1:{agent.port} 0 0\n" for agent in agents))
    port = free_port()
    kamailio = subprocess.Popen(
        ["kamailio", "-DD", "-E", "-f", str(CONFIG), "-A", f"SIP_PORT={port}",
         "-A", f'DISPATCHER_LIST="{targets}"', "-P", str(tmp_path / "kamailio.pid"), "-Y", str(tmp_path),
         "-w", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "kamailio.log").open("w"),
    )
    try:
        time.sleep(2)
        assert kamailio.poll() is None, (tmp_path / "kamailio.log").read_text()[-2000:]
        result = Caller(tmp_path / "sipp", ("127.0.0.1", port), "caller_hangs_up.xml", ["silence=4"],
                        calls=2, pause_ms=3000).run()
        assert result.returncode == 0, result.errors
        wait_for(lambda: all("answered a call" in agent.log() for agent in agents), 30,
                 message="one call answered by each agent")
        assert len(finished_calls(db, count=2)) == 2
    finally:
        kamailio.terminate()
        kamailio.wait(30)
