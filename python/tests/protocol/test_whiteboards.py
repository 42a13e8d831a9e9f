"""Whiteboards as pylzy 1.0.1 uses them (python-client-protocol.md §7, public-api.md §6.3, §12)."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from collections.abc import Sequence
from typing import Any

import grpc
import grpc.aio
import pytest
from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp

from ._pylzy import ClientEnv, WhiteboardClient, WorkflowClient
from ._storage import INT_SCHEME, Storage, serialzy_int
from ._stubs import module

wbs = module("ai.lzy.v1.whiteboard.whiteboard_service_pb2")
wbm = module("ai.lzy.v1.whiteboard.whiteboard_pb2")
Whiteboard = wbm.Whiteboard


def _now_as_utc() -> Timestamp:
    """pylzy's createdAt: the naive local `datetime.now()` written as if it were UTC (§7.2)."""
    stamp = Timestamp()
    stamp.FromDatetime(datetime.datetime.now())
    return stamp


@pytest.fixture(autouse=True)
def _storage_exists(ran_a_workflow: object) -> None:
    """Whiteboards live in the user's storage, made by the server at their first workflow."""


async def _storage(env: ClientEnv) -> Storage:
    client = WorkflowClient(env)
    try:
        await client.ready()
        return Storage.of((await client.get_storage_credentials()).storage)
    finally:
        await client.close()


async def create_whiteboard(
    env: ClientEnv,
    name: str,
    tags: Sequence[str],
    created_at: Timestamp | None = None,
) -> Any:
    """`wf.create_whiteboard(Cls, tags=…)`: defaults and `.whiteboard` to S3, then Register."""
    storage = await _storage(env)
    wb_id = str(uuid.uuid4())
    uri = f"{storage.uri}/whiteboards/{name}/{wb_id}"
    message = Whiteboard(
        id=wb_id,
        name=name,
        tags=list(tags),
        namespace="default",
        status=Whiteboard.CREATED,
        storage=wbm.Storage(name="provided_default_storage", uri=uri),
    )
    for field in ("count", "label"):
        message.fields.add(name=field, scheme=INT_SCHEME)
    message.createdAt.CopyFrom(created_at if created_at is not None else _now_as_utc())
    storage.put(f"{uri}/count.default", serialzy_int(7))
    storage.put(f"{uri}/.whiteboard", json_format.MessageToJson(message).encode())
    client = WhiteboardClient(env)
    try:
        await client.ready()
        await client.stub.RegisterWhiteboard(
            wbs.RegisterWhiteboardRequest(whiteboard=message), metadata=client.metadata
        )
    finally:
        await client.close()
    return message


async def call(env: ClientEnv, method: str, request: Any) -> Any:
    client = WhiteboardClient(env)
    try:
        await client.ready()
        return await getattr(client.stub, method)(request, metadata=client.metadata)
    finally:
        await client.close()


async def code_of(env: ClientEnv, method: str, request: Any) -> grpc.StatusCode:
    try:
        await call(env, method, request)
    except grpc.aio.AioRpcError as e:
        return e.code()
    return grpc.StatusCode.OK


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def list_request(
    name: str = "",
    tags: Sequence[str] = (),
    since: Timestamp | None = None,
    until: Timestamp | None = None,
) -> Any:
    """pylzy always sends createdTimeBounds; an unset bound means unbounded."""
    request = wbs.ListRequest(name=name, tags=list(tags))
    request.createdTimeBounds.SetInParent()
    if since is not None:
        request.createdTimeBounds.from_.CopyFrom(since)
    if until is not None:
        request.createdTimeBounds.to.CopyFrom(until)
    return request


def ids(response: Any) -> list[str]:
    return [wb.id for wb in response.whiteboards]


def test_registered_whiteboard_reads_back_by_id_exactly(client_env: ClientEnv) -> None:
    """Get returns the message as registered: tag and field order, createdAt nanos, scheme maps
    (otherwise pylzy re-sends an UpdateWhiteboard on every read, §7.5)."""

    async def scenario() -> None:
        registered = await create_whiteboard(client_env, unique("wb"), ["zeta", "alpha", "mid"])
        got = await call(client_env, "Get", wbs.GetRequest(whiteboardId=registered.id))
        assert got.whiteboard == registered, f"{got.whiteboard} != {registered}"

    asyncio.run(scenario())


def test_partial_update_with_only_id_and_status_keeps_the_rest(client_env: ClientEnv) -> None:
    """pylzy's finalize: UpdateWhiteboard{id, status=FINALIZED} — empty means keep (§7.4)."""

    async def scenario() -> None:
        registered = await create_whiteboard(client_env, unique("wb"), ["protocol"])
        update = wbs.UpdateWhiteboardRequest(
            whiteboard=Whiteboard(id=registered.id, status=Whiteboard.FINALIZED)
        )
        assert update.SerializeToString() == (
            b"\x0a"
            + bytes([len(registered.id) + 4])
            + b"\x0a"
            + bytes([len(registered.id)])
            + registered.id.encode()
            + b"\x38\x02"
        )
        await call(client_env, "UpdateWhiteboard", update)
        got = await call(client_env, "Get", wbs.GetRequest(whiteboardId=registered.id))
        expected = Whiteboard()
        expected.CopyFrom(registered)
        expected.status = Whiteboard.FINALIZED
        assert got.whiteboard == expected

    asyncio.run(scenario())


def test_unfiltered_list_with_empty_time_bounds_returns_own_whiteboards(
    client_env: ClientEnv,
) -> None:
    async def scenario() -> None:
        registered = await create_whiteboard(client_env, unique("wb"), ["protocol"])
        request = list_request()
        assert request.SerializeToString() == b"\x1a\x00"  # public-api §12 D
        listed = await call(client_env, "List", request)
        assert registered.id in ids(listed)
        found = next(wb for wb in listed.whiteboards if wb.id == registered.id)
        assert found == registered

    asyncio.run(scenario())


def test_list_by_tags_needs_every_tag_and_by_name(client_env: ClientEnv) -> None:
    async def scenario() -> None:
        tag, name = unique("tag"), unique("wb")
        both = await create_whiteboard(client_env, name, [tag, "protocol"])
        one = await create_whiteboard(client_env, unique("wb"), [tag])
        by_tag = await call(client_env, "List", list_request(tags=[tag]))
        assert sorted(ids(by_tag)) == sorted([both.id, one.id])
        by_tags = await call(client_env, "List", list_request(tags=["protocol", tag]))
        assert ids(by_tags) == [both.id]
        by_name = await call(client_env, "List", list_request(name=name))
        assert ids(by_name) == [both.id]
        by_name_and_tag = await call(client_env, "List", list_request(name=name, tags=[tag]))
        assert ids(by_name_and_tag) == [both.id]
        nobody = await call(client_env, "List", list_request(tags=[unique("nobody")]))
        assert ids(nobody) == []

    asyncio.run(scenario())


def test_list_filters_inclusively_by_the_clients_created_at(client_env: ClientEnv) -> None:
    async def scenario() -> None:
        name = unique("wb")
        created = Timestamp(seconds=978_307_200 + uuid.uuid4().int % 10_000, nanos=123_456_000)
        registered = await create_whiteboard(client_env, name, ["protocol"], created_at=created)
        before = Timestamp(seconds=created.seconds, nanos=created.nanos - 1000)
        after = Timestamp(seconds=created.seconds, nanos=created.nanos + 1000)
        cases = {
            "exactly [c, c]": (
                list_request(name=name, since=created, until=created),
                [registered.id],
            ),
            "from c": (list_request(name=name, since=created), [registered.id]),
            "until c": (list_request(name=name, until=created), [registered.id]),
            "from c+1µs": (list_request(name=name, since=after), []),
            "until c-1µs": (list_request(name=name, until=before), []),
        }
        got = {label: ids(await call(client_env, "List", req)) for label, (req, _) in cases.items()}
        assert got == {label: want for label, (_, want) in cases.items()}

    asyncio.run(scenario())


def test_whiteboard_error_codes(client_env: ClientEnv) -> None:
    """public-api §7.1 (whiteboard rows)."""

    async def scenario() -> None:
        registered = await create_whiteboard(client_env, unique("wb"), ["protocol"])
        no_fields = Whiteboard()
        no_fields.CopyFrom(registered)
        no_fields.id = str(uuid.uuid4())
        del no_fields.fields[:]
        cases = {
            "Get unknown id": ("Get", wbs.GetRequest(whiteboardId=str(uuid.uuid4())), "NOT_FOUND"),
            "Get blank id": ("Get", wbs.GetRequest(), "INVALID_ARGUMENT"),
            "Register existing id": (
                "RegisterWhiteboard",
                wbs.RegisterWhiteboardRequest(whiteboard=registered),
                "ALREADY_EXISTS",
            ),
            "Register without fields": (
                "RegisterWhiteboard",
                wbs.RegisterWhiteboardRequest(whiteboard=no_fields),
                "INVALID_ARGUMENT",
            ),
            "Update unknown id": (
                "UpdateWhiteboard",
                wbs.UpdateWhiteboardRequest(
                    whiteboard=Whiteboard(id=str(uuid.uuid4()), status=Whiteboard.FINALIZED)
                ),
                "NOT_FOUND",
            ),
            "Update blank id": (
                "UpdateWhiteboard",
                wbs.UpdateWhiteboardRequest(whiteboard=Whiteboard(status=Whiteboard.FINALIZED)),
                "INVALID_ARGUMENT",
            ),
        }
        got = {
            label: (await code_of(client_env, method, request)).name
            for label, (method, request, _) in cases.items()
        }
        assert got == {label: want for label, (_, _, want) in cases.items()}

    asyncio.run(scenario())
