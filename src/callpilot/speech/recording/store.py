"""Where recordings are kept: a directory by default, an S3-compatible bucket optionally."""

from __future__ import annotations

import asyncio
import os
import re
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from callpilot.core.errors import ConfigError

__all__ = ["FileRecordingStore", "RecordingStore", "S3RecordingStore"]

_SAFE = re.compile(r"^[A-Za-z0-9_.:-]+$")


class RecordingStore(ABC):
    @abstractmethod
    async def save(self, call_id: str, data: bytes, *, extension: str) -> str:
        """Store one call's audio; returns the URI its ``RecordingStored`` event points to."""

    @abstractmethod
    async def load(self, uri: str) -> bytes: ...


def _name(call_id: str, extension: str) -> str:
    if not _SAFE.match(call_id):
        raise ValueError(f"call id {call_id!r} is not safe as a file name")
    return f"{call_id}.{extension}"


class FileRecordingStore(RecordingStore):
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    async def save(self, call_id: str, data: bytes, *, extension: str) -> str:
        path = self.root / _name(call_id, extension)
        await asyncio.to_thread(self._write, path, data)
        return path.resolve().as_uri()

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".part")
        partial.write_bytes(data)
        os.replace(partial, path)  # a reader never sees half a recording

    async def load(self, uri: str) -> bytes:
        if not uri.startswith("file://"):
            raise ValueError(f"not a file URI: {uri}")
        return await asyncio.to_thread(Path(uri.removeprefix("file://")).read_bytes)


class S3RecordingStore(RecordingStore):
    """Any S3-compatible store (AWS, MinIO, Ceph) through boto3: ``pip install 'callpilot[s3]'``."""

    def __init__(self, *, bucket: str, prefix: str = "recordings/", endpoint_url: str | None = None,
                 region: str | None = None, client: Any = None) -> None:
        if client is None:
            try:
                import boto3
            except ImportError as exc:
                raise ConfigError("the S3 recording store needs its extra: pip install 'callpilot[s3]'") from exc
            client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)
        self._client, self.bucket, self.prefix = client, bucket, prefix

    async def save(self, call_id: str, data: bytes, *, extension: str) -> str:
        key = self.prefix + _name(call_id, extension)
        await asyncio.to_thread(self._client.put_object, Bucket=self.bucket, Key=key, Body=data,
                                ContentType=f"audio/{extension}")
        return f"s3://{self.bucket}/{key}"

    async def load(self, uri: str) -> bytes:
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        response = await asyncio.to_thread(self._client.get_object, Bucket=bucket, Key=key)
        body: bytes = response["Body"].read()
        return body
