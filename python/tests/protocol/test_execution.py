"""A workflow run with pylzy 1.0.1's exact calls (python-client-protocol.md §2-§6, §8)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

import grpc
import grpc.aio

from ._graph import STANDIN, Run, choose_pool, upload_local_modules
from ._ops import probe
from ._pylzy import ClientEnv, StdStream, WorkflowClient, build_token, lro, wf
from ._storage import Storage, serialzy_read

FINISH_RESPONSE_TYPE = "type.googleapis.com/ai.lzy.v1.workflow.FinishWorkflowResponse"
STD_END_TIMEOUT_S = 60
PROBE_MODULE = STANDIN / "lzy_protocol_probe.py"


@dataclass
class Execution:
    client: WorkflowClient
    name: str
    id: str
    started: wf.StartWorkflowResponse
    std: StdStream
    listener: asyncio.Task[None]
    finished: bool = False


@asynccontextmanager
async def execution(env: ClientEnv, name: str) -> AsyncIterator[Execution]:
    """`with lzy.workflow(name)`: StartWorkflow, then ReadStdSlots in the background at once.
    Aborts the execution at the end unless the test finished it."""
    client = WorkflowClient(env)
    await client.ready()
    started = await client.start_workflow(name)
    std = StdStream()
    listener = asyncio.create_task(client.read_std_slots(started.executionId, std))
    run = Execution(client, name, started.executionId, started, std, listener)
    try:
        yield run
    finally:
        if not run.finished:
            with suppress(grpc.aio.AioRpcError):
                await client.abort_workflow(name, run.id)
        listener.cancel()
        await client.close()


def storage_of(started: wf.StartWorkflowResponse) -> Storage:
    assert started.internalSnapshotStorage.uri.startswith("s3://"), started
    assert not started.internalSnapshotStorage.uri.endswith("/")
    return Storage.of(started.internalSnapshotStorage)


async def code_of(call: asyncio.Future[object] | object) -> grpc.StatusCode:
    try:
        await call  # type: ignore[misc]
    except grpc.aio.AioRpcError as e:
        return e.code()
    return grpc.StatusCode.OK


def assert_finished_ok(op: lro.Operation) -> None:
    assert op.done, op
    assert op.WhichOneof("result") == "response", f"FinishWorkflow operation ended with {op}"
    assert op.response.type_url == FINISH_RESPONSE_TYPE
    assert op.response.Unpack(wf.FinishWorkflowResponse())


async def std_ended(run: Execution) -> StdStream:
    """After FinishWorkflow's operation is done, pylzy waits for the std stream to END (§6.3)."""
    await asyncio.wait_for(asyncio.shield(run.listener), timeout=STD_END_TIMEOUT_S)
    return run.std


def failure_text(status: wf.GraphStatusResponse, std: StdStream) -> str:
    return (
        f"graph ended {status}\n--- op stdout (tail) ---\n{std.out_text()[-3000:]}"
        f"\n--- op stderr (tail) ---\n{std.err_text()[-3000:]}"
    )


def printed(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    assert found is not None, f"{pattern!r} not in the op's stdout:\n{text[-3000:]}"
    return found.group(1)


def test_run_follows_pylzy_call_order(client_env: ClientEnv) -> None:
    """StartWorkflow → ReadStdSlots → GetStorageCredentials → S3 uploads → GetAvailablePools →
    local modules → ExecuteGraph → GraphStatus… → S3 read → FinishWorkflow → LongRunning.Get… →
    std stream ends OK. Two ops: add_one(increment(41)); the start-up script is the shipped
    stand-in `lzy/api/v1/startup.py`, which only runs if the worker put `lzy/` in site-packages."""

    async def scenario() -> None:
        async with execution(client_env, "protocol-run") as run:
            client = run.client
            storage = storage_of(run.started)
            credentials = await client.get_storage_credentials()
            assert credentials.storage.uri == storage.uri, "one storage per user (§3.1)"
            layout = Run(storage, run.name, run.id)
            first = layout.call(probe("increment"), 41)
            second = layout.call(probe("add_one"), first)
            pool = choose_pool(await client.get_pools(run.id))
            modules = upload_local_modules(storage, [PROBE_MODULE])

            graph_id = await client.execute_graph(
                layout.graph_request([first, second], pool, modules)
            )
            assert graph_id
            status = await client.wait_graph(run.id, graph_id)
            assert status.WhichOneof("status") == "completed", failure_text(status, run.std)

            header, payload = serialzy_read(storage.get(second.output_uri))
            assert payload == b"43"
            assert header["data_format"] == "primitive_type"
            assert serialzy_read(storage.get(first.output_uri))[1] == b"42"

            assert_finished_ok(await client.finish_workflow(run.name, run.id))
            run.finished = True
            std = await std_ended(run)
            assert std.final_code == grpc.StatusCode.OK, std.final_details
            assert std.reopened == 0

            out = std.out_text()
            assert first.op.marker in out and second.op.marker in out
            site_packages = printed(r"site-packages\[0\]: (\S+)", out)
            assert printed(r"startup file: (\S+)", out) == f"{site_packages}/lzy/api/v1/startup.py"
            assert printed(r"ai package: (\S+)", out).startswith(f"{site_packages}/ai/")
            assert printed(r"python: (\S+)", out) == "3.11"
            assert all(chunk.endswith("\n") for chunk in std.stdout), std.stdout[:5]

            # The execution is no longer active; its data stays (results are read later).
            code = await code_of(client.graph_status(run.id, graph_id))
            assert code == grpc.StatusCode.NOT_FOUND
            assert serialzy_read(storage.get(second.output_uri))[1] == b"43"

    asyncio.run(scenario())


def test_op_applied_to_its_own_result_runs(client_env: ClientEnv) -> None:
    """`add_one(add_one(41))`: a previous result's slot path is `/<consumer call>/<producer
    entry name>` (§4.1), so the second call's input path equals its own output path
    `/<call>/add_one.return_0` — pylzy's start-up script reads the input before writing the
    output, so the same path for both is fine for the client."""

    async def scenario() -> None:
        async with execution(client_env, "protocol-same-fn") as run:
            client = run.client
            storage = storage_of(run.started)
            layout = Run(storage, run.name, run.id)
            first = layout.call(probe("add_one"), 41)
            second = layout.call(probe("add_one"), first)
            assert second.inputs[0][0] == second.output_path
            pool = choose_pool(await client.get_pools(run.id))
            graph_id = await client.execute_graph(
                layout.graph_request(
                    [first, second], pool, upload_local_modules(storage, [PROBE_MODULE])
                )
            )
            status = await client.wait_graph(run.id, graph_id)
            assert status.WhichOneof("status") == "completed", failure_text(status, run.std)
            assert serialzy_read(storage.get(second.output_uri))[1] == b"43"
            assert_finished_ok(await client.finish_workflow(run.name, run.id))
            run.finished = True

    asyncio.run(scenario())


def test_repeated_execute_graph_and_finish_do_not_break_the_run(client_env: ClientEnv) -> None:
    """pylzy re-sends ExecuteGraph and FinishWorkflow unchanged after UNAVAILABLE/CANCELLED (§2.4):
    the same request again gets the same graph, the same operation (public-api §7.3)."""

    async def scenario() -> None:
        async with execution(client_env, "protocol-retries") as run:
            client = run.client
            storage = storage_of(run.started)
            layout = Run(storage, run.name, run.id)
            call = layout.call(probe("add_one"), 1)
            pool = choose_pool(await client.get_pools(run.id))
            request = layout.graph_request(
                [call], pool, upload_local_modules(storage, [PROBE_MODULE])
            )

            graph_id = await client.execute_graph(request)
            assert await client.execute_graph(request) == graph_id
            status = await client.wait_graph(run.id, graph_id)
            assert status.WhichOneof("status") == "completed", failure_text(status, run.std)
            assert await client.execute_graph(request) == graph_id
            assert serialzy_read(storage.get(call.output_uri))[1] == b"2"

            op = await client.finish_workflow_call(run.name, run.id)
            again = await client.finish_workflow_call(run.name, run.id)
            assert again.id == op.id
            assert_finished_ok(await client.wait_operation(op.id))
            run.finished = True
            after_done = await client.finish_workflow_call(run.name, run.id)
            assert after_done.id == op.id
            std = await std_ended(run)
            assert std.final_code == grpc.StatusCode.OK, std.final_details
            assert call.op.marker in std.out_text()

    asyncio.run(scenario())


def test_failed_op_fails_the_graph_and_finish_still_succeeds(client_env: ClientEnv) -> None:
    """§8: `failed{description}`; the client then still calls FinishWorkflow and drains the std
    stream, which must carry the op's stderr and end with OK."""

    async def scenario() -> None:
        async with execution(client_env, "protocol-failure") as run:
            client = run.client
            storage = storage_of(run.started)
            layout = Run(storage, run.name, run.id)
            call = layout.call(probe("refuse", exit=3), 1)
            pool = choose_pool(await client.get_pools(run.id))
            graph_id = await client.execute_graph(
                layout.graph_request([call], pool, upload_local_modules(storage, [PROBE_MODULE]))
            )
            status = await client.wait_graph(run.id, graph_id)
            assert status.WhichOneof("status") == "failed", failure_text(status, run.std)
            assert status.failed.description.strip()

            assert_finished_ok(await client.finish_workflow(run.name, run.id))
            run.finished = True
            std = await std_ended(run)
            assert std.final_code == grpc.StatusCode.OK, std.final_details
            assert f"op refused: {call.op.marker}" in std.err_text()
            assert not storage.exists(call.output_uri)

    asyncio.run(scenario())


def test_abort_ends_the_execution(client_env: ClientEnv) -> None:
    """§2.2 row 12': AbortWorkflow; afterwards the execution is not active (public-api §7.1)."""

    async def scenario() -> None:
        async with execution(client_env, "protocol-abort") as run:
            client = run.client
            await client.abort_workflow(run.name, run.id)
            run.finished = True
            assert await code_of(client.graph_status(run.id, "any")) == grpc.StatusCode.NOT_FOUND
            assert await code_of(client.get_pools(run.id)) == grpc.StatusCode.NOT_FOUND
            code = await code_of(client.finish_workflow_call(run.name, run.id))
            assert code == grpc.StatusCode.FAILED_PRECONDITION
            code = await code_of(client.abort_workflow(run.name, run.id))
            assert code == grpc.StatusCode.FAILED_PRECONDITION

    asyncio.run(scenario())


def test_second_start_of_a_workflow_replaces_the_first_and_accepts_its_storage(
    client_env: ClientEnv,
) -> None:
    """§3.1: the next `with lzy.workflow` sends the server's storage back as snapshotStorage;
    a new execution of a name with an active one aborts the old one (public-api §3.5)."""

    async def scenario() -> None:
        async with execution(client_env, "protocol-again") as first:
            storage = first.started.internalSnapshotStorage
            async with execution(client_env, "protocol-again") as second:
                pass  # only its start matters; it is aborted at exit
            client = first.client
            assert second.id != first.id
            code = await code_of(client.graph_status(first.id, "any"))
            assert code == grpc.StatusCode.NOT_FOUND, "the older execution is no longer active"

            again = await client.start_workflow("protocol-again", snapshot_storage=storage)
            try:
                assert again.executionId
                uri = again.internalSnapshotStorage.uri
                assert uri in ("", storage.uri), again
                credentials = await client.get_storage_credentials()
                assert credentials.storage.uri == storage.uri
            finally:
                await client.abort_workflow("protocol-again", again.executionId)
            first.finished = True

    asyncio.run(scenario())


def test_error_codes_the_client_relies_on(client_env: ClientEnv) -> None:
    """public-api §7.1: NOT_FOUND for unknown executions and workflows, INVALID_ARGUMENT for bad
    requests — and never UNAVAILABLE/CANCELLED (pylzy would retry those for two minutes)."""

    async def scenario() -> None:
        client = WorkflowClient(client_env)
        await client.ready()
        try:
            stub, meta = client.stub, client.metadata
            unknown = "no-such-execution"
            cases = {
                "GraphStatus unknown execution": (
                    stub.GraphStatus(
                        wf.GraphStatusRequest(executionId=unknown, graphId="g"), metadata=meta
                    ),
                    grpc.StatusCode.NOT_FOUND,
                ),
                "GetAvailablePools unknown execution": (
                    stub.GetAvailablePools(
                        wf.GetAvailablePoolsRequest(executionId=unknown), metadata=meta
                    ),
                    grpc.StatusCode.NOT_FOUND,
                ),
                "FinishWorkflow blank names": (
                    stub.FinishWorkflow(wf.FinishWorkflowRequest(reason="x"), metadata=meta),
                    grpc.StatusCode.INVALID_ARGUMENT,
                ),
                "FinishWorkflow unknown workflow": (
                    stub.FinishWorkflow(
                        wf.FinishWorkflowRequest(workflowName="never-started", executionId=unknown),
                        metadata=meta,
                    ),
                    grpc.StatusCode.NOT_FOUND,
                ),
                "AbortWorkflow unknown workflow": (
                    stub.AbortWorkflow(
                        wf.AbortWorkflowRequest(workflowName="never-started", executionId=unknown),
                        metadata=meta,
                    ),
                    grpc.StatusCode.NOT_FOUND,
                ),
                "StartWorkflow storage without credentials": (
                    stub.StartWorkflow(
                        wf.StartWorkflowRequest(
                            workflowName="protocol-bad-storage",
                            snapshotStorage={"uri": "s3://somewhere"},
                        ),
                        metadata=meta,
                    ),
                    grpc.StatusCode.INVALID_ARGUMENT,
                ),
            }
            got = {name: await code_of(call) for name, (call, _) in cases.items()}
            assert got == {name: expected for name, (_, expected) in cases.items()}

            std = StdStream()
            await asyncio.wait_for(client.read_std_slots(unknown, std), timeout=30)
            assert std.final_code == grpc.StatusCode.NOT_FOUND
        finally:
            await client.close()

    asyncio.run(scenario())


def test_error_codes_inside_an_execution(client_env: ClientEnv) -> None:
    async def scenario() -> None:
        async with execution(client_env, "protocol-errors") as run:
            client = run.client
            choose_pool(await client.get_pools(run.id))  # a pool matching pylzy's defaults
            empty = wf.ExecuteGraphRequest(workflowName=run.name, executionId=run.id)
            empty.graph.SetInParent()
            assert await code_of(client.execute_graph(empty)) == grpc.StatusCode.INVALID_ARGUMENT
            code = await code_of(client.graph_status(run.id, "no-such-graph"))
            assert code not in (
                grpc.StatusCode.OK,
                grpc.StatusCode.UNAVAILABLE,
                grpc.StatusCode.CANCELLED,
            )
            assert code == grpc.StatusCode.NOT_FOUND

    asyncio.run(scenario())


def test_another_users_execution_and_operation_are_not_found(
    client_env: ClientEnv, fresh_user: str
) -> None:
    """§8 last row: an execution that is not the caller's is NOT_FOUND; so is another user's
    FinishWorkflow operation on LongRunningService.Get (public-api §7.1)."""

    async def scenario() -> None:
        other = WorkflowClient(client_env, token=build_token(fresh_user, client_env.key_pem()))
        await other.ready()
        try:
            async with execution(client_env, "protocol-isolation") as run:
                codes = {
                    "GraphStatus": await code_of(other.graph_status(run.id, "any")),
                    "GetAvailablePools": await code_of(other.get_pools(run.id)),
                    "FinishWorkflow": await code_of(other.finish_workflow_call(run.name, run.id)),
                }
                std = StdStream()
                await asyncio.wait_for(other.read_std_slots(run.id, std), timeout=30)
                codes["ReadStdSlots"] = std.final_code or grpc.StatusCode.OK
                assert codes == dict.fromkeys(codes, grpc.StatusCode.NOT_FOUND)

                op = await run.client.finish_workflow_call(run.name, run.id)
                run.finished = True
                get = other.operations.Get(
                    lro.GetOperationRequest(operation_id=op.id), metadata=other.metadata
                )
                assert await code_of(get) == grpc.StatusCode.NOT_FOUND
                assert_finished_ok(await run.client.wait_operation(op.id))
        finally:
            await other.close()

    asyncio.run(scenario())
