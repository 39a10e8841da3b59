"""Measure recording storage throughput: our code against plain boto3, same SeaweedFS, same run.

Upload: ``recording.uploader.upload_pending`` for one just-recorded call at a
time (claim in the database, PUT with SHA-256 + COMPLIANCE lock + retain-until,
HEAD check, database update, spool copy removed) against ``put_object`` of the
same file. Fetch: the full supervisor path ``storage.access.open_recording``
(grant check, audit entry committed, GET, SHA-256 verified, bytes handed out)
against ``get_object().read()``; with ``--api`` also through the HTTP API
(uvicorn, bearer token, fetched with urllib3 like boto3). Each object is done
both ways back to back, the order alternating, so load on a shared machine hits
both alike. Printed: median MB/s over rounds, their ratio, and the CPU time this
process spent per MB on each side (less sensitive to other load on the machine).

    .venv/bin/python bench/store_throughput.py
    .venv/bin/python bench/store_throughput.py --count 40 --size-mb 4 --rounds 5 --api
    .venv/bin/python bench/store_throughput.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # the SeaweedFS launcher the S3 tests use

import urllib3  # noqa: E402
from s3_server import APP_KEY, SeaweedS3, start_seaweed  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from recording.uploader import upload_pending  # noqa: E402
from storage import recordings  # noqa: E402
from storage.access import grant, open_recording  # noqa: E402
from storage.db import Database, normalise_url  # noqa: E402
from storage.models import Ticket, User  # noqa: E402

PURPOSE = "核对通话内容"


@dataclass
class Side:
    """Wall and CPU seconds of one side, per round."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def start_round(self) -> None:
        self.wall.append(0.0)
        self.cpu.append(0.0)

    def run(self, action: Callable[[], object]) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        self.wall[-1] += time.perf_counter() - wall
        self.cpu[-1] += time.process_time() - cpu


def back_to_back(ours: Side, mine: Callable[[], object], plain: Side, theirs: Callable[[], object], index: int) -> None:
    """One object both ways; who goes first alternates with ``index``."""
    order = [(ours, mine), (plain, theirs)]
    for side, action in order if index % 2 == 0 else reversed(order):
        side.run(action)


def report(label: str, ours: Side, plain: Side, megabytes: float) -> None:
    def rate(side: Side) -> float:
        return statistics.median(megabytes / seconds for seconds in side.wall)

    def cpu(side: Side) -> float:
        return statistics.median(seconds * 1000 / megabytes for seconds in side.cpu)

    ratio = statistics.median(p / o for o, p in zip(ours.wall, plain.wall, strict=True))
    print(
        f"  {label:<38} ours {rate(ours):6.1f} MB/s  boto3 {rate(plain):6.1f} MB/s  ratio {ratio:.2f} (goal ≥ 0.80)"
        f"  | CPU ms/MB ours {cpu(ours):5.2f} boto3 {cpu(plain):5.2f}"
    )


def open_database(url: str | None, folder: Path) -> tuple[Database, Callable[[], None]]:
    """SQLite in the temp folder, or a throw-away schema in the given PostgreSQL."""
    if not url:
        db = Database(f"sqlite:///{folder / 'bench.db'}")
        db.migrate()
        return db, db.dispose
    schema = f"bench_storage_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(url))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(f"{normalise_url(url)}?options=-csearch_path%3D{schema}")
    db.migrate()

    def drop() -> None:
        db.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return db, drop


class ApiClient:
    """The API in a uvicorn thread; audio fetched with a supervisor's bearer token."""

    def __init__(self, folder: Path, db: Database, server: SeaweedS3, bucket: str) -> None:
        from hotline.api.app import build_server
        from hotline.config import Settings
        from hotline.security import issue_token

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        settings = Settings(
            home=folder / "home",
            database_url=db.engine.url.render_as_string(hide_password=False),
            secret_key="bench",
            storage_backend="s3",
            s3_endpoint_url=server.endpoint,
            s3_bucket=bucket,
            s3_access_key=APP_KEY[0],
            s3_secret_key=APP_KEY[1],
            log_level="WARNING",
        )
        self.base = f"http://127.0.0.1:{port}"
        self.headers = {"Authorization": f"Bearer {issue_token(settings, 'bench-sup')}"}
        self.http = urllib3.PoolManager()  # the HTTP client boto3 uses, so the two clients compare fairly
        self.server = build_server(settings, host="127.0.0.1", port=port)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)

    def audio(self, recording_id: int) -> bytes:
        url = f"{self.base}/recordings/{recording_id}/audio"
        response = self.http.request("GET", url, fields={"purpose": PURPOSE}, headers=self.headers)
        assert response.status == 200, response.data[:200]
        return response.data

    def stop(self) -> None:
        self.http.clear()
        self.server.should_exit = True
        self.thread.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20, help="recordings per round")
    parser.add_argument("--size-mb", type=float, default=2.0, help="size of each (2 MB ≈ 2 minutes of 8 kHz PCM)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--api", action="store_true", help="also fetch through the HTTP API")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite in a temp folder)")
    args = parser.parse_args()
    size = int(args.size_mb * 1024 * 1024)
    megabytes = args.count * size / 1e6

    with tempfile.TemporaryDirectory(prefix="bench-storage-") as tmp:
        folder = Path(tmp)
        server = start_seaweed(folder / "s3")
        db, close_db = open_database(args.database_url, folder)
        try:
            bucket = server.make_bucket()
            store = server.store(bucket)
            plain = server.client(*APP_KEY)
            with db.write() as session:
                ticket = Ticket(number="202611309999", channel="phone", status="registered", content="",
                                created_by="bench", department="chengguan")  # fmt: skip
                supervisor = User(username="bench-sup", password_hash="-", role="supervisor", active=True)
                session.add_all([ticket, supervisor])
                session.flush()
                grant(session, user=supervisor, scope="all", granted_by="bench")
            sources = []
            for index in range(args.count):
                data = os.urandom(size)
                path = folder / f"source-{index}.wav"
                path.write_bytes(data)
                sources.append((path, hashlib.sha256(data).hexdigest()))
            (folder / "spool").mkdir()

            def spooled(path: Path, digest: str) -> int:
                """A just-recorded call, registered as the call sink does (not timed)."""
                copy = folder / "spool" / f"{uuid.uuid4().hex}.wav"
                shutil.copyfile(path, copy)
                with db.write() as session:
                    return recordings.add_recording(
                        session, ticket_id=ticket.id, spool_path=str(copy), sha256=digest, size=size,
                        duration_seconds=size / 16000, codec="pcm_s16le", recorded_at=datetime.now(UTC),
                        retention_years=2,
                    ).id  # fmt: skip

            def put_plain(path: Path, key: str) -> None:
                with open(path, "rb") as body:
                    plain.put_object(Bucket=bucket, Key=key, Body=body)

            def fetch_ours(recording_id: int) -> None:
                opened = open_recording(
                    db, store, user=supervisor, recording_id=recording_id, purpose=PURPOSE, client="127.0.0.1"
                )
                assert sum(len(chunk) for chunk in opened.chunks) == size

            def fetch_plain(key: str) -> None:
                assert len(plain.get_object(Bucket=bucket, Key=key)["Body"].read()) == size

            # Upload: one call at a time, as calls end; each recording is uploaded both ways.
            up_ours, up_plain, ids, keys = Side(), Side(), [], []
            for round_index in range(args.rounds):
                up_ours.start_round(), up_plain.start_round()
                for index, (path, digest) in enumerate(sources):
                    ids.append(spooled(path, digest))
                    keys.append(f"plain/{round_index}/{index}.wav")
                    ours_upload = partial(upload_pending, db, store)
                    back_to_back(up_ours, ours_upload, up_plain, partial(put_plain, path, keys[-1]), index)
            with db.read() as session:
                assert recordings.count(session, status=recordings.SPOOLED) == 0

            def fetch_rounds(ours: Callable[[int], object]) -> tuple[Side, Side]:
                """Every stored object both ways, a different ``count`` of them each round."""
                mine, theirs = Side(), Side()
                ours(ids[0]), fetch_plain(keys[0])  # warm connections
                for index, (recording_id, key) in enumerate(zip(ids, keys, strict=True)):
                    if index % args.count == 0:
                        mine.start_round(), theirs.start_round()
                    back_to_back(mine, partial(ours, recording_id), theirs, partial(fetch_plain, key), index)
                return mine, theirs

            get_ours, get_plain = fetch_rounds(fetch_ours)
            database_kind = "PostgreSQL" if args.database_url else "SQLite"
            print(
                f"storage bench: {args.count} × {args.size_mb:g} MB per round, {args.rounds} rounds, "
                f"SeaweedFS (weed mini) on loopback, {database_kind}, load average {os.getloadavg()[0]:.1f} "
                f"on {os.cpu_count()} CPUs"
            )
            report("upload: uploader vs put_object", up_ours, up_plain, megabytes)
            report("fetch: open_recording vs get_object", get_ours, get_plain, megabytes)
            if args.api:
                api = ApiClient(folder, db, server, bucket)
                try:
                    api_ours, api_plain = fetch_rounds(api.audio)
                finally:
                    api.stop()
                report("fetch: HTTP API vs get_object", api_ours, api_plain, megabytes)
        finally:
            close_db()
            server.stop()


if __name__ == "__main__":
    main()
