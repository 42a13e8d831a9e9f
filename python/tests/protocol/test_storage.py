"""The client's S3 calls on the storage the server hands out (python-client-protocol.md §3.2)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ._graph import Run, choose_pool, upload_local_modules
from ._pylzy import ClientEnv, WorkflowClient
from ._ops import probe
from ._storage import Storage, serialzy_int, serialzy_read
from .test_execution import PROBE_MODULE, execution, failure_text, storage_of


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
    client_env: ClientEnv, tmp_path: Path
) -> None:
    """pylzy presigns local-module URLs with signature version 2 query auth (AWSAccessKeyId,
    Signature, Expires) and the worker GETs them with no credentials (§3.2, §4.5). An S3 server
    may refuse SigV2 (versitygw does): the server must still get them to the worker. The op ships
    a module never seen before, so the worker has to download it through its SigV2 URL."""
    fresh = tmp_path / f"lzy_sigv2_probe_{uuid.uuid4().hex}.py"
    fresh.write_text(f"TOKEN = {str(uuid.uuid4())!r}\n")

    async def scenario() -> None:
        async with execution(client_env, "protocol-sigv2") as run:
            storage = storage_of(run.started)
            modules = upload_local_modules(storage, [PROBE_MODULE, fresh])
            for _, url in modules:
                query = parse_qs(urlsplit(url).query)
                assert sorted(query) == ["AWSAccessKeyId", "Expires", "Signature"], url
            layout = Run(storage, run.name, run.id)
            call = layout.call(probe("add_one"), 6)
            pool = choose_pool(await run.client.get_pools(run.id))
            graph_id = await run.client.execute_graph(layout.graph_request([call], pool, modules))
            status = await run.client.wait_graph(run.id, graph_id)
            assert status.WhichOneof("status") == "completed", failure_text(status, run.std)
            assert serialzy_read(storage.get(call.output_uri))[1] == b"7"

    asyncio.run(scenario())
