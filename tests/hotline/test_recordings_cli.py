"""``hotline recordings|audit|retention``: the operator's commands, run in-process."""
# ruff: noqa: F811  (tests take the imported ``hotline`` fixture as a parameter)

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from recording_fixtures import reload

from storage.db import Database
from storage.models import User

RETENTION_MESSAGE = "HOTLINE_RETENTION_YEARS=1 is below the legal minimum of 2 years"


def test_upload_list_show_hold_release(hotline, db: Database, spool_recording, staff: dict[str, User]) -> None:
    recording = spool_recording()

    code, out, err = hotline("recordings", "upload-pending")
    assert code == 0, err
    assert out.strip() == "1 recording(s) uploaded, 0 still in the spool"
    code, out, _ = hotline("recordings", "list", "--json")
    (listed,) = [json.loads(line) for line in out.splitlines()]
    assert (listed["id"], listed["status"], listed["legal_hold"]) == (recording.id, "stored", False)

    code, _, err = hotline("recordings", "hold", str(recording.id), "--reason", "申诉", user="dispatcher1")
    assert code == 1 and "only the supervisor role" in err
    code, out, _ = hotline("recordings", "hold", str(recording.id), "--reason", "申诉", user="supervisor1")
    assert code == 0 and "legal hold placed" in out
    code, out, _ = hotline("recordings", "release", str(recording.id), "--reason", "复核完毕", user="supervisor1")
    assert code == 0 and reload(db, recording.id).legal_hold is False

    code, out, _ = hotline("recordings", "show", str(recording.id), "--json")
    shown = json.loads(out)
    assert shown["key"] == recording.key and shown["version_id"]
    assert [(e["action"], e["actor"], e["reason"]) for e in shown["events"]] == [
        ("hold", "supervisor1", "申诉"),
        ("release", "supervisor1", "复核完毕"),
    ]
    code, _, err = hotline("recordings", "show", "999")
    assert code == 1 and err.strip() == "error: no recording 999"


def test_grant_and_revoke(hotline, staff: dict[str, User]) -> None:
    code, _, err = hotline("recordings", "grant", "supervisor1", "--scope", "all", user="supervisor1")
    assert code == 1 and "only the admin role" in err
    code, _, err = hotline("recordings", "grant", "dispatcher1", "--scope", "all", user="admin1")
    assert code == 1 and "only supervisors" in err
    code, out, err = hotline("recordings", "grant", "supervisor1", "--scope", "juweihui", user="admin1")
    assert code == 0, err
    code, out, _ = hotline("recordings", "grants", "--json")
    (granted,) = [json.loads(line) for line in out.splitlines()]
    assert (granted["username"], granted["scope"], granted["granted_by"]) == ("supervisor1", "juweihui", "admin1")

    code, out, _ = hotline("recordings", "revoke", str(granted["id"]), user="admin1")
    assert code == 0
    assert hotline("recordings", "grants")[1] == ""
    assert hotline("recordings", "revoke", "999", user="admin1")[0] == 1


def test_retention_sweep_and_dry_run(hotline, db: Database, spool_recording) -> None:
    expired = spool_recording(recorded_at=datetime.now(UTC) - timedelta(days=800))
    kept = spool_recording()
    hotline("recordings", "upload-pending")

    code, out, _ = hotline("retention", "sweep", "--dry-run")
    assert code == 0 and f"would delete recording {expired.id}" in out
    assert reload(db, expired.id).status == "stored"
    code, out, _ = hotline("retention", "sweep")
    assert code == 0 and f"deleted recording {expired.id}" in out and ": 1 deleted" in out
    assert [reload(db, r.id).status for r in (expired, kept)] == ["purged", "stored"]
    code, out, _ = hotline("retention", "sweep")
    assert code == 0 and ": 0 deleted, 0 not deleted" in out


def test_audit_verify_and_export(hotline, staff: dict[str, User], tmp_path: Path) -> None:
    hotline("recordings", "grant", "supervisor1", "--scope", "all", user="admin1")

    code, out, _ = hotline("audit", "verify")
    assert code == 0 and out.startswith("audit chain intact: 1 entries") and "(anchored)" in out
    code, _, err = hotline("audit", "export", "--format", "json", user="supervisor1")
    assert code == 1 and "needs an auditor" in err
    target = tmp_path / "audit.json"
    code, _, err = hotline("audit", "export", "--format", "json", "-o", str(target), user="auditor1")
    assert code == 0, err
    exported = json.loads(target.read_text())
    assert [(e["actor"], e["action"]) for e in exported] == [("admin1", "grant"), ("auditor1", "export")]
    code, out, _ = hotline("audit", "export", "--format", "csv", "--actor", "admin1", user="auditor1")
    assert code == 0 and out.splitlines()[0].startswith("id,at,actor") and len(out.splitlines()) == 2
    assert hotline("audit", "export", "--since", "yesterday", user="auditor1")[0] == 1


@pytest.mark.parametrize(
    "command", [("recordings", "upload-pending"), ("retention", "sweep"), ("recordings", "list"), ("audit", "verify")]
)
def test_retention_below_two_years_is_refused(hotline, monkeypatch: pytest.MonkeyPatch, command) -> None:
    monkeypatch.setenv("HOTLINE_RETENTION_YEARS", "1")
    try:
        code, out, err = hotline(*command)
    finally:  # the runner's clean-up reads the settings again
        monkeypatch.delenv("HOTLINE_RETENTION_YEARS")
    assert code == 1 and out == ""
    assert err.startswith("error: invalid configuration: retention_years:") and RETENTION_MESSAGE in err
    assert "Traceback" not in err


@pytest.mark.slow
@pytest.mark.parametrize("command", ["api", "serve", "worker", "agent"])
def test_serving_commands_refuse_short_retention_at_start(settings, command: str) -> None:
    """Real processes (a regression here would start a server, so each gets a timeout)."""
    environment = dict(os.environ, HOTLINE_RETENTION_YEARS="1")
    done = subprocess.run(
        [str(Path(sys.executable).with_name("hotline")), command],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert RETENTION_MESSAGE in done.stderr and "Traceback" not in done.stderr
