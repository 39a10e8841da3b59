"""S3 backend (boto3): the bucket itself enforces the retention.

The bucket must have Object Lock enabled; every object is written with its
SHA-256 checksum, ``ObjectLockMode=COMPLIANCE`` and its retain-until date, so
that nobody — these credentials included — can delete or shorten it early.
Writes are conditional (``If-None-Match: *``) so a retried upload never
replaces an object.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from storage.objectstore.base import (
    CHUNK_SIZE,
    LOCK_MODE,
    ChecksumMismatch,
    ObjectExists,
    ObjectInfo,
    ObjectNotFound,
    ObjectStoreError,
    RetentionActive,
    StoreMisconfigured,
    StoreUnavailable,
)

_NOT_FOUND = {"404", "NoSuchKey", "NoSuchVersion", "NotFound", "NoSuchBucket"}
_DENIED = {"403", "AccessDenied", "Forbidden"}


def _b64_to_hex(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return base64.b64decode(value).hex()
    except (binascii.Error, ValueError):
        return None


def _hex_to_b64(value: str) -> str:
    return base64.b64encode(bytes.fromhex(value)).decode()


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _translate(exc: Exception, what: str) -> ObjectStoreError:
    """botocore's many failures → the store's few, so callers can decide to retry."""
    if isinstance(exc, ClientError):
        code = _error_code(exc)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in _NOT_FOUND or status == 404:
            return ObjectNotFound(what)
        if code in ("BadDigest", "XAmzContentSHA256Mismatch", "InvalidDigest"):
            return ChecksumMismatch(f"{what}: {code}")
        if status >= 500 or code in ("SlowDown", "ServiceUnavailable", "InternalError"):
            return StoreUnavailable(f"{what}: S3 answered {code or status}")
        return ObjectStoreError(f"{what}: S3 refused ({code or status})")
    if isinstance(exc, (BotoConnectionError, HTTPClientError)):
        return StoreUnavailable(f"{what}: S3 not reachable ({type(exc).__name__})")
    return ObjectStoreError(f"{what}: {exc}")


class S3Store:
    backend = "s3"
    can_presign = True

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key: str | None = None,
        secret_key: str | None = None,
        create_bucket: bool = True,
        max_connections: int = 32,
    ) -> None:
        self.bucket = bucket
        self._create_bucket = create_bucket
        self._bucket_checked = False
        self._check_lock = threading.Lock()
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(
                # The body's SHA-256 goes in the signed x-amz-checksum-sha256 header, which S3 checks:
                # signing the payload as well would hash every recording a second time.
                s3={"addressing_style": "path", "payload_signing_enabled": False},
                signature_version="s3v4",
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
                max_pool_connections=max_connections,
                # We send the SHA-256 ourselves and verify every read ourselves: no extra checksums in botocore.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    # -- the bucket ------------------------------------------------------------
    def check_bucket(self) -> None:
        """Refuse a bucket without Object Lock; create one with it if missing and allowed."""
        if self._bucket_checked:
            return
        with self._check_lock:
            if self._bucket_checked:
                return
            try:
                config = self.client.get_object_lock_configuration(Bucket=self.bucket)
            except ClientError as exc:
                code = _error_code(exc)
                if code == "NoSuchBucket" and self._create_bucket:
                    self._create()
                    self._bucket_checked = True
                    return
                if code == "ObjectLockConfigurationNotFoundError":
                    raise StoreMisconfigured(
                        f"bucket {self.bucket!r} has no Object Lock; recordings need a bucket created with "
                        "Object Lock enabled (it cannot be turned on later)"
                    ) from exc
                if code == "NoSuchBucket":
                    raise StoreMisconfigured(f"bucket {self.bucket!r} does not exist") from exc
                if code in _DENIED:
                    raise StoreMisconfigured(
                        f"the S3 credentials may not read the Object Lock configuration of {self.bucket!r}"
                    ) from exc
                raise _translate(exc, f"bucket {self.bucket}") from exc
            except BotoCoreError as exc:
                raise _translate(exc, f"bucket {self.bucket}") from exc
            if config.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") != "Enabled":
                raise StoreMisconfigured(f"bucket {self.bucket!r} has Object Lock disabled")
            self._bucket_checked = True

    def _create(self) -> None:
        try:
            self.client.create_bucket(Bucket=self.bucket, ObjectLockEnabledForBucket=True)
        except ClientError as exc:
            if _error_code(exc) in _DENIED:
                raise StoreMisconfigured(
                    f"bucket {self.bucket!r} does not exist and these credentials may not create it; "
                    "create it with Object Lock enabled"
                ) from exc
            raise _translate(exc, f"create bucket {self.bucket}") from exc
        except BotoCoreError as exc:
            raise _translate(exc, f"create bucket {self.bucket}") from exc

    # -- interface -------------------------------------------------------------
    def put(
        self,
        key: str,
        source: Path,
        *,
        sha256: str,
        size: int,
        retain_until: datetime,
        legal_hold: bool = False,
    ) -> ObjectInfo:
        self.check_bucket()
        try:
            with open(source, "rb") as body:
                response = self.client.put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=body,
                    ContentLength=size,
                    ContentType="audio/wav",
                    ChecksumSHA256=_hex_to_b64(sha256),
                    ObjectLockMode=LOCK_MODE,
                    ObjectLockRetainUntilDate=retain_until,
                    ObjectLockLegalHoldStatus="ON" if legal_hold else "OFF",
                    IfNoneMatch="*",
                )
        except ClientError as exc:
            if _error_code(exc) == "PreconditionFailed":
                return self._adopt_existing(key, sha256)
            raise _translate(exc, f"put {key}") from exc
        except BotoCoreError as exc:
            raise _translate(exc, f"put {key}") from exc
        stored_sha = _b64_to_hex(response.get("ChecksumSHA256"))
        if stored_sha is not None and stored_sha != sha256:
            raise ChecksumMismatch(f"{key}: S3 recorded SHA-256 {stored_sha}, expected {sha256}")
        return ObjectInfo(key, response.get("VersionId"), size, sha256, retain_until, LOCK_MODE, legal_hold)

    def _adopt_existing(self, key: str, sha256: str) -> ObjectInfo:
        """A retried upload: identical content is accepted, anything else refused."""
        existing = self.head(key)
        if existing.sha256 != sha256:
            raise ObjectExists(f"{key} already holds different content")
        return existing

    def head(self, key: str, version_id: str | None = None) -> ObjectInfo:
        params = {"Bucket": self.bucket, "Key": key, "ChecksumMode": "ENABLED"}
        if version_id:
            params["VersionId"] = version_id
        try:
            response = self.client.head_object(**params)
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, f"head {key}") from exc
        return ObjectInfo(
            key=key,
            version_id=response.get("VersionId"),
            size=response["ContentLength"],
            sha256=_b64_to_hex(response.get("ChecksumSHA256")),
            retain_until=response.get("ObjectLockRetainUntilDate"),
            lock_mode=response.get("ObjectLockMode"),
            legal_hold=response.get("ObjectLockLegalHoldStatus") == "ON",
        )

    def stream(
        self,
        key: str,
        version_id: str | None = None,
        *,
        start: int = 0,
        end: int | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> Iterator[bytes]:
        params = {"Bucket": self.bucket, "Key": key}
        if version_id:
            params["VersionId"] = version_id
        if start or end is not None:
            params["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            body = self.client.get_object(**params)["Body"]
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, f"get {key}") from exc
        return self._chunks(body, key, chunk_size)

    @staticmethod
    def _chunks(body, key: str, chunk_size: int) -> Iterator[bytes]:  # type: ignore[no-untyped-def]
        try:
            yield from body.iter_chunks(chunk_size)
        except BotoCoreError as exc:
            raise _translate(exc, f"get {key}") from exc
        finally:
            body.close()

    def presigned_url(self, key: str, version_id: str | None, *, expires_seconds: int) -> str:
        params = {"Bucket": self.bucket, "Key": key, "ResponseContentType": "audio/wav"}
        if version_id:
            params["VersionId"] = version_id
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_seconds)

    def set_legal_hold(self, key: str, version_id: str | None, on: bool) -> None:
        params = {"Bucket": self.bucket, "Key": key, "LegalHold": {"Status": "ON" if on else "OFF"}}
        if version_id:
            params["VersionId"] = version_id
        try:
            self.client.put_object_legal_hold(**params)
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, f"legal hold {key}") from exc

    def delete_if_expired(self, key: str, version_id: str | None) -> None:
        if not version_id:
            raise ObjectStoreError(f"{key}: deleting needs the version id (a plain delete only hides it)")
        self.head(key, version_id).ensure_deletable(datetime.now(UTC))
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key, VersionId=version_id)
        except ClientError as exc:
            if _error_code(exc) in _DENIED:
                raise RetentionActive(f"{key}: S3 refused the deletion (object still locked)") from exc
            raise _translate(exc, f"delete {key}") from exc
        except BotoCoreError as exc:
            raise _translate(exc, f"delete {key}") from exc
