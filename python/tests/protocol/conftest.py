"""Fixtures of the pylzy 1.0.1 protocol tests: the client environment the driver sets (§1.1)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from ._pylzy import ClientEnv, WorkflowClient


@pytest.fixture(scope="session")
def client_env() -> ClientEnv:
    return ClientEnv.from_environ()


@pytest.fixture(scope="session")
def fresh_user() -> str:
    """A second registered login (same key) that has never run a workflow."""
    user = os.environ.get("LZY_TEST_FRESH_USER")
    if not user:
        raise RuntimeError("protocol tests need LZY_TEST_FRESH_USER (set by the test driver)")
    return user


@pytest.fixture(scope="session")
def ran_a_workflow(client_env: ClientEnv) -> Any:
    """The user has started (and aborted) one workflow, so the server has made their storage.
    Returns the StorageConfig from StartWorkflow."""

    async def start_and_abort() -> Any:
        client = WorkflowClient(client_env)
        try:
            await client.ready()
            started = await client.start_workflow("protocol-setup")
            await client.abort_workflow("protocol-setup", started.executionId)
            return started.internalSnapshotStorage
        finally:
            await client.close()

    return asyncio.run(start_and_abort())
