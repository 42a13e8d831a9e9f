"""Authentication as pylzy 1.0.1 does it (python-client-protocol.md §1.4, public-api.md §4)."""

from __future__ import annotations

import asyncio
import time

import grpc
import grpc.aio
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ._pylzy import WEEK_S, ClientEnv, WhiteboardClient, WorkflowClient, build_token
from ._stubs import module

wf = module("ai.lzy.v1.workflow.workflow_service_pb2")
wb = module("ai.lzy.v1.whiteboard.whiteboard_service_pb2")
lro = module("ai.lzy.v1.long_running.operation_pb2")


def _other_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,  # PKCS#1, as `openssl genrsa`
        serialization.NoEncryption(),
    ).decode()


async def _storage_credentials_code(env: ClientEnv, token: str | None) -> grpc.StatusCode:
    client = WorkflowClient(env, token="" if token is None else token)
    if token is None:
        client.metadata = ()
    try:
        await client.ready()
        await client.get_storage_credentials()
        return grpc.StatusCode.OK
    except grpc.aio.AioRpcError as e:
        return e.code()
    finally:
        await client.close()


async def _whiteboard_list_code(env: ClientEnv, token: str) -> grpc.StatusCode:
    client = WhiteboardClient(env, token=token)
    try:
        await client.ready()
        request = wb.ListRequest()
        request.createdTimeBounds.SetInParent()
        await client.stub.List(request, metadata=client.metadata)
        return grpc.StatusCode.OK
    except grpc.aio.AioRpcError as e:
        return e.code()
    finally:
        await client.close()


def test_token_has_float_times_github_provider_and_no_key_name(client_env: ClientEnv) -> None:
    token = client_env.token()
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header == {"alg": "PS256", "typ": "JWT"}
    assert claims["pvd"] == "GITHUB" and claims["iss"] == client_env.user
    assert all(isinstance(claims[c], float) for c in ("iat", "nbf", "exp"))
    assert claims["iat"] != int(claims["iat"]), "the token must carry fractional seconds"
    assert claims["exp"] - claims["iat"] == pytest.approx(WEEK_S)


def test_pylzy_token_is_accepted_by_lzy_service(client_env: ClientEnv) -> None:
    """The first calls of a run: StartWorkflow (then AbortWorkflow, to leave nothing behind)."""

    async def scenario() -> None:
        client = WorkflowClient(client_env)
        try:
            await client.ready()
            started = await client.start_workflow("protocol-auth")
            await client.abort_workflow("protocol-auth", started.executionId)
        finally:
            await client.close()
        assert started.executionId
        assert started.internalSnapshotStorage.uri.startswith("s3://")

    asyncio.run(scenario())


def test_storage_credentials_are_given_to_a_user_who_never_ran_a_workflow(
    client_env: ClientEnv, fresh_user: str
) -> None:
    """§2.3: `lzy.whiteboards(...)` calls GetStorageCredentials first, possibly as a new user
    with no execution at all; it must always return a storage."""

    async def scenario() -> None:
        client = WorkflowClient(client_env, token=build_token(fresh_user, client_env.key_pem()))
        try:
            await client.ready()
            response = await client.get_storage_credentials()
        finally:
            await client.close()
        assert response.storage.uri.startswith("s3://")
        assert response.storage.WhichOneof("credentials") == "s3"
        assert response.storage.s3.endpoint.startswith("http")

    asyncio.run(scenario())


def test_pylzy_token_is_accepted_by_whiteboard(client_env: ClientEnv) -> None:
    code = asyncio.run(_whiteboard_list_code(client_env, client_env.token()))
    assert code == grpc.StatusCode.OK


def test_token_signed_by_another_key_is_permission_denied(client_env: ClientEnv) -> None:
    token = build_token(client_env.user, _other_key_pem())
    assert asyncio.run(_storage_credentials_code(client_env, token)) == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    assert asyncio.run(_whiteboard_list_code(client_env, token)) == (
        grpc.StatusCode.PERMISSION_DENIED
    )


def test_expired_token_is_permission_denied(client_env: ClientEnv) -> None:
    # Issued 8 days ago: a client process older than a week (its token is never renewed).
    token = build_token(client_env.user, client_env.key_pem(), now=time.time() - 8 * 24 * 3600)
    assert asyncio.run(_storage_credentials_code(client_env, token)) == (
        grpc.StatusCode.PERMISSION_DENIED
    )


def test_token_of_an_unknown_user_is_permission_denied(client_env: ClientEnv) -> None:
    token = build_token(f"{client_env.user}-nobody", client_env.key_pem())
    assert asyncio.run(_storage_credentials_code(client_env, token)) == (
        grpc.StatusCode.PERMISSION_DENIED
    )


def test_missing_or_non_bearer_authorization_is_unauthenticated(client_env: ClientEnv) -> None:
    assert asyncio.run(_storage_credentials_code(client_env, None)) == (
        grpc.StatusCode.UNAUTHENTICATED
    )

    async def basic() -> grpc.StatusCode:
        client = WorkflowClient(client_env, token="")
        client.metadata = (("authorization", "Basic eDp5"),)
        try:
            await client.ready()
            await client.get_storage_credentials()
            return grpc.StatusCode.OK
        except grpc.aio.AioRpcError as e:
            return e.code()
        finally:
            await client.close()

    assert asyncio.run(basic()) == grpc.StatusCode.UNAUTHENTICATED


def test_long_running_service_is_served_on_the_workflow_port(client_env: ClientEnv) -> None:
    async def scenario() -> None:
        client = WorkflowClient(client_env)
        try:
            await client.ready()
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await client.operations.Get(
                    lro.GetOperationRequest(operation_id="no-such-operation"),
                    metadata=client.metadata,
                )
        finally:
            await client.close()
        assert raised.value.code() == grpc.StatusCode.NOT_FOUND

    asyncio.run(scenario())
