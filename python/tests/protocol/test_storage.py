"""The client's S3 calls on the storage the server hands out (python-client-protocol.md §3.2)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from ._pylzy import ClientEnv, WorkflowClient
from ._storage import Storage, http_get, serialzy_int, serialzy_read


def _storage(env: ClientEnv) -> Storage:
    async def credentials() -> Any:
        client = WorkflowClient(env)
        try:
            await client.ready()
            return (await client.get_storage_credentials()).storage
        finally:
            await client.close()

    return Storage.of(asyncio.run(credentials()))


def test_multipart_put_head_get_and_copy_work_path_style(
    client_env: ClientEnv, ran_a_workflow: object
) -> None:
    """Every write is a multipart upload with Content-MD5; reads are HEAD, HEAD, GET; whiteboard
    fields may be CopyObject'ed; path-style addressing, SigV4, region us-east-1."""
    storage = _storage(client_env)
    base = f"{storage.uri}/protocol-storage/{uuid.uuid4()}"
    storage.put(f"{base}/value", serialzy_int(42))
    assert storage.exists(f"{base}/value")
    assert not storage.exists(f"{base}/absent")
    storage.copy(f"{base}/value", f"{base}/copy")
    assert serialzy_read(storage.get(f"{base}/copy"))[1] == b"42"


def test_sigv2_presigned_get_downloads_a_local_module(
    client_env: ClientEnv, ran_a_workflow: object
) -> None:
    """pylzy presigns local-module URLs with signature version 2 query auth (AWSAccessKeyId,
    Signature, Expires) and the worker GETs them with no credentials (§3.2, §4.5)."""
    storage = _storage(client_env)
    uri = f"{storage.uri}/lzy_local_modules/protocol/{uuid.uuid4()}"
    storage.put(uri, b"zip bytes")
    url = storage.presign_get(uri, "s3")
    assert "AWSAccessKeyId=" in url and "Signature=" in url and "Expires=" in url
    status, body = http_get(url)
    assert (status, body) == (200, b"zip bytes"), f"GET {url} -> {status}: {body[:300]!r}"
