"""pylzy's workflow channel pings every 1 s, also with no call in flight (python-client-protocol.md
§1.3, public-api.md §5): the server must neither GOAWAY (too_many_pings) nor drop the connection.

A GOAWAY or a dropped connection moves the channel out of READY (to IDLE or TRANSIENT_FAILURE), so
each test waits for ANY connectivity change over the idle period and expects none.
"""

from __future__ import annotations

import asyncio

import grpc
import grpc.aio
import pytest

from ._pylzy import ClientEnv, StdStream, WorkflowClient

IDLE_S = 5.0


async def _no_state_change(channel: grpc.aio.Channel, seconds: float) -> grpc.ChannelConnectivity:
    state = channel.get_state(try_to_connect=False)
    assert state == grpc.ChannelConnectivity.READY
    try:
        await asyncio.wait_for(channel.wait_for_state_change(state), timeout=seconds)
    except asyncio.TimeoutError:
        return state
    return channel.get_state(try_to_connect=False)


PING_OPTIONS = [
    pytest.param([], id="pylzy-options"),
    # gRPC core sends at most 2 pings while no data flows unless told otherwise: this variant
    # makes the client really ping every second for the whole idle period (against a server with
    # grpc-core's default policy it gets GOAWAY too_many_pings within those 5 s).
    pytest.param([("grpc.http2.max_pings_without_data", 0)], id="unlimited-pings"),
]


@pytest.mark.parametrize("extra_options", PING_OPTIONS)
def test_idle_channel_pinging_every_second_stays_connected(
    client_env: ClientEnv, ran_a_workflow: object, extra_options: list[tuple[str, int]]
) -> None:
    async def scenario() -> None:
        client = WorkflowClient(client_env, extra_options=extra_options)
        try:
            await client.ready()
            await client.get_storage_credentials()
            after_idle = await _no_state_change(client.channel, IDLE_S)
            assert after_idle == grpc.ChannelConnectivity.READY, (
                f"connection left READY while idle with 1 s pings: now {after_idle}"
            )
            response = await client.get_storage_credentials()
            assert response.storage.uri.startswith("s3://")
            assert client.channel.get_state() == grpc.ChannelConnectivity.READY
        finally:
            await client.close()

    asyncio.run(scenario())


@pytest.mark.parametrize("extra_options", PING_OPTIONS)
def test_std_stream_survives_idle_pings(
    client_env: ClientEnv, extra_options: list[tuple[str, int]]
) -> None:
    """The stream pylzy keeps open for a whole execution, idle for a while, is not torn down."""

    async def scenario() -> None:
        client = WorkflowClient(client_env, extra_options=extra_options)
        name = "protocol-keepalive"
        try:
            await client.ready()
            started = await client.start_workflow(name)
            std = StdStream()
            listener = asyncio.create_task(client.read_std_slots(started.executionId, std))
            after_idle = await _no_state_change(client.channel, IDLE_S)
            assert after_idle == grpc.ChannelConnectivity.READY
            assert not listener.done(), f"std stream ended while idle: {std.final_code}"
            assert std.reopened == 0
            pools = await client.get_pools(started.executionId)
            assert len(pools.poolSpecs) > 0
            op = await client.finish_workflow(name, started.executionId)
            assert op.done
            await asyncio.wait_for(listener, timeout=60)
            assert std.final_code == grpc.StatusCode.OK, std.final_details
        finally:
            await client.close()

    asyncio.run(scenario())
