"""Measure recording storage throughput: our code against plain boto3, same SeaweedFS, same run.

Upload: ``recording.uploader.upload_pending`` (claim in the database, PUT with
SHA-256 + COMPLIANCE lock + retain-until, HEAD check, database update, spool
copy removed) against ``put_object`` of the same files. Fetch: the full
supervisor path ``storage.access.open_recording`` (grant check, audit entry
committed, GET, SHA-256 verified, bytes streamed) against ``get_object().read()``
of the same objects; with ``--api`` also through the HTTP API (uvicorn) with a
bearer token. Rounds alternate which side goes first; figures are medians.

    .venv/bin/python bench/storage.py
    .venv/bin/python bench/storage.py --count 40 --size-mb 4 --rounds 5 --api
    .venv/bin/python bench/storage.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # the SeaweedFS launcher the S3 tests use

from s3_server import APP_KEY, start_seaweed  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from recording.uploader import upload_pending  # noqa: E402
from storage import recordings  # noqa: E402
from storage.access import grant, open_recording  # noqa: E402
from storage.db import Database, normalise_url  # noqa: E402
from storage.models import Ticket, User  # noqa: E402

PURPOSE = "核对通话内容"


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _database(url: str | None, folder: Path) -> tuple[Database, Callable[[], None]]:
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
        db, close_db = _database(args.database_url, folder)
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
            spool = folder / "spool"
            spool.mkdir()

            def register(path: Path, digest: str) -> int:
                copy = spool / f"{uuid.uuid4().hex}.wav"
                shutil.copyfile(path, copy)
                with db.write() as session:
                    return recordings.add_recording(
                        session, ticket_id=ticket.id, spool_path=str(copy), sha256=digest, size=size,
                        duration_seconds=size / 16000, codec="pcm_s16le", recorded_at=datetime.now(UTC),
                        retention_years=2,
                    ).id  # fmt: skip

            # Upload, one recording at a time as calls end: ours, then plain boto3, order alternating.
            up_ours, up_plain, stored_ids, plain_keys = [], [], [], []
            for round_index in range(args.rounds):
                ours_seconds = plain_seconds = 0.0
                for index, (path, digest) in enumerate(sources):
                    stored_ids.append(register(path, digest))
                    key = f"plain/{round_index}/{index}.wav"
                    plain_keys.append(key)

                    def plain_put(path: Path = path, key: str = key) -> None:
                        with open(path, "rb") as body:
                            plain.put_object(Bucket=bucket, Key=key, Body=body)

                    ours, theirs = _pair(lambda: upload_pending(db, store), plain_put, index)
                    ours_seconds, plain_seconds = ours_seconds + ours, plain_seconds + theirs
                up_ours.append(megabytes / ours_seconds)
                up_plain.append(megabytes / plain_seconds)
            with db.read() as session:
                assert recordings.count(session, status=recordings.STORED) == len(stored_ids)

            # Fetch: the supervisor path against get_object, object by object, order alternating.
            def fetch_ours(recording_id: int) -> None:
                opened = open_recording(db, store, user=supervisor, recording_id=recording_id,
                                        purpose=PURPOSE, client="127.0.0.1")  # fmt: skip
                assert sum(len(chunk) for chunk in opened.chunks) == size

            def fetch_plain(key: str) -> None:
                assert len(plain.get_object(Bucket=bucket, Key=key)["Body"].read()) == size

            get_ours, get_plain = _fetch_rounds(fetch_ours, fetch_plain, stored_ids, plain_keys, args, megabytes)
            print(f"storage bench: {args.count} × {args.size_mb:g} MB per round, {args.rounds} rounds, "
                  f"SeaweedFS {server.endpoint}, database {'PostgreSQL' if args.database_url else 'SQLite'}")  # fmt: skip
            _report("upload (uploader vs put_object)", up_ours, up_plain)
            _report("fetch  (open_recording vs get_object)", get_ours, get_plain)
            if args.api:
                api = _api_fetcher(folder, db, server, bucket, size)
                try:
                    api_ours, api_plain = _fetch_rounds(api.fetch, fetch_plain, stored_ids, plain_keys, args, megabytes)
                finally:
                    api.stop()
                _report("fetch  (HTTP API vs get_object)", api_ours, api_plain)
        finally:
            close_db()
            server.stop()


def _pair(ours: Callable[[], object], theirs: Callable[[], object], index: int) -> tuple[float, float]:
    """Seconds of each; who goes first alternates, so load on the shared machine hits both alike."""
    if index % 2:
        theirs_seconds = _timed(theirs)
        return _timed(ours), theirs_seconds
    ours_seconds = _timed(ours)
    return ours_seconds, _timed(theirs)


def _fetch_rounds(
    ours: Callable[[int], None], theirs: Callable[[str], None], ids: list[int], keys: list[str],
    args: argparse.Namespace, megabytes: float,
) -> tuple[list[float], list[float]]:
    """Each round fetches ``count`` objects both ways (different objects each round, all stored above)."""
    ours(ids[0]), theirs(keys[0])  # warm connections
    mine, plain = [], []
    for round_index in range(args.rounds):
        ours_seconds = plain_seconds = 0.0
        span = range(round_index * args.count, (round_index + 1) * args.count)
        for index in span:
            first, second = _pair(lambda: ours(ids[index]), lambda: theirs(keys[index]), index)
            ours_seconds, plain_seconds = ours_seconds + first, plain_seconds + second
        mine.append(megabytes / ours_seconds)
        plain.append(megabytes / plain_seconds)
    return mine, plain


def _report(label: str, ours: list[float], plain: list[float]) -> None:
    ratio = statistics.median(o / p for o, p in zip(ours, plain))
    print(f"  {label:<40} ours {statistics.median(ours):7.1f} MB/s   boto3 {statistics.median(plain):7.1f} MB/s"
          f"   ratio {ratio:.2f}  (goal ≥ 0.80)")  # fmt: skip


class _ApiFetcher:
    """The API in a uvicorn thread, fetched with a supervisor's bearer token."""

    def __init__(self, server, base: str, token: str, size: int) -> None:  # type: ignore[no-untyped-def]
        import urllib3

        self.server, self.size, self.base = server, size, base
        self.headers = {"Authorization": f"Bearer {token}"}
        self.client = urllib3.PoolManager()  # the HTTP client boto3 uses, so the clients compare fairly
        self.thread = threading.Thread(target=server.run, daemon=True)
        self.thread.start()
        while not server.started:
            time.sleep(0.05)

    def fetch(self, recording_id: int) -> None:
        response = self.client.request(
            "GET", f"{self.base}/recordings/{recording_id}/audio", fields={"purpose": PURPOSE}, headers=self.headers
        )
        assert response.status == 200 and len(response.data) == self.size, response.data[:200]

    def stop(self) -> None:
        self.client.clear()
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _api_fetcher(folder: Path, db: Database, server, bucket: str, size: int) -> _ApiFetcher:  # type: ignore[no-untyped-def]
    import socket

    from hotline.api.app import build_server
    from hotline.config import Settings
    from hotline.security import issue_token

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(
        home=folder / "home", database_url=db.engine.url.render_as_string(hide_password=False),
        secret_key="bench", storage_backend="s3", s3_endpoint_url=server.endpoint, s3_bucket=bucket,
        s3_access_key=APP_KEY[0], s3_secret_key=APP_KEY[1], log_level="WARNING",
    )  # fmt: skip
    uvicorn_server = build_server(settings, host="127.0.0.1", port=port)
    return _ApiFetcher(uvicorn_server, f"http://127.0.0.1:{port}", issue_token(settings, "bench-sup"), size)


if __name__ == "__main__":
    main()
