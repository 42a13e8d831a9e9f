"""Graphs as pylzy 1.0.1 builds them (python-client-protocol.md §3.3, §4)."""

from __future__ import annotations

import base64
import json
import platform
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import _stubs
from ._storage import INT_SCHEME, Storage, serialzy_int, upload_local_module

_stubs.install()

from ai.lzy.v1.common import data_scheme_pb2  # noqa: E402
from ai.lzy.v1.workflow import workflow_pb2, workflow_service_pb2  # noqa: E402

STANDIN = Path(__file__).resolve().parent / "standin"
# What pylzy ships as local modules here: its own packages and a plain module file (§4.2, §4.5).
LOCAL_MODULE_PATHS = (STANDIN / "lzy", STANDIN / "ai", STANDIN / "lzy_protocol_probe.py")

DEFAULT_POOL = {"cpuType": "Intel Cascade Lake", "cpuCount": 2, "gpuType": "NO_GPU", "ramGb": 2}


def env_yaml() -> str:
    """The generated conda YAML for a client whose Python is not 3.7.11/3.8.12/3.9.7 (§4.2), as
    yaml.dump writes it (sorted keys), with an empty pip list to keep the environment fast."""
    return (
        f"dependencies:\n- python=={platform.python_version()}\n- pip\n- pip: []\nname: default\n"
    )


def command(payload: dict[str, Any]) -> str:
    """The start-up command of §4.4 (two spaces before the payload, one shell word)."""
    encoded = base64.b64encode(json.dumps(payload).encode()).decode()
    return (
        "python -u $(python -c 'import site; print(site.getsitepackages()[0])')"
        f"/lzy/api/v1/startup.py  {encoded}"
    )


def choose_pool(pools: workflow_service_pb2.GetAvailablePoolsResponse) -> str:
    """pylzy's pool choice (§4.3): the first pool string-equal on types, ≥ on amounts."""
    for spec in pools.poolSpecs:
        if (
            spec.cpuType == DEFAULT_POOL["cpuType"]
            and spec.cpuCount >= DEFAULT_POOL["cpuCount"]
            and spec.gpuType == DEFAULT_POOL["gpuType"]
            and spec.gpuCount >= 0
            and spec.ramGb >= DEFAULT_POOL["ramGb"]
        ):
            return str(spec.poolSpecName)
    raise AssertionError(f"no pool matches pylzy's defaults {DEFAULT_POOL}: {pools}")


def data_scheme() -> data_scheme_pb2.DataScheme:
    return data_scheme_pb2.DataScheme(**INT_SCHEME)


@dataclass
class Call:
    """One op call: `add_one(*args)` with its own call id and result URI."""

    fn: str
    call_id: str
    inputs: list[tuple[str, str]]  # (slot path, storage uri)
    output_uri: str
    exit: int = 0
    marker: str = field(default_factory=lambda: f"marker-{uuid.uuid4().hex}")

    @property
    def output_path(self) -> str:
        return f"/{self.call_id}/{self.fn}.return_0"


@dataclass
class Run:
    """The data layout of one execution (§3.3)."""

    storage: Storage
    workflow: str
    execution_id: str
    calls: list[Call] = field(default_factory=list)

    def data_uri(self, entry: str) -> str:
        return f"{self.storage.uri}/lzy_runs/{self.workflow}/{self.execution_id}/data/{entry}"

    def call_with_value(self, fn: str, arg: str, value: int, exit: int = 0) -> Call:
        """A call on a fresh value: the client uploads it (multipart) before the graph."""
        call_id = str(uuid.uuid4())
        uri = self.data_uri(f"{fn}.{arg}.{call_id}")
        self.storage.put(uri, serialzy_int(value))
        call = Call(
            fn,
            call_id,
            [(f"/{call_id}/{fn}.{arg}", uri)],
            self.data_uri(f"{fn}.return_0.{call_id}"),
        )
        call.exit = exit
        self.calls.append(call)
        return call

    def call_on_result(self, fn: str, producer: Call) -> Call:
        """A call on a previous result: the slot names the producer's entry and URI."""
        call_id = str(uuid.uuid4())
        call = Call(
            fn,
            call_id,
            [(f"/{call_id}/{producer.fn}.return_0", producer.output_uri)],
            self.data_uri(f"{fn}.return_0.{call_id}"),
        )
        self.calls.append(call)
        return call

    def graph_request(
        self, calls: Sequence[Call], pool: str, local_modules: Sequence[tuple[str, str]]
    ) -> workflow_service_pb2.ExecuteGraphRequest:
        graph = workflow_pb2.Graph(name="", zone="")
        uris: list[str] = []
        for call in calls:
            op = graph.operations.add(
                name=call.fn,
                description="",
                command=command(
                    {
                        "args": [path for path, _ in call.inputs],
                        "outputs": [call.output_path],
                        "marker": call.marker,
                        "exit": call.exit,
                    }
                ),
                dockerImage="",
                poolSpecName=pool,
            )
            for path, uri in call.inputs:
                op.inputSlots.add(path=path, storageUri=uri)
                uris.append(uri)
            op.outputSlots.add(path=call.output_path, storageUri=call.output_uri)
            uris.append(call.output_uri)
            op.python.yaml = env_yaml()
            for name, url in local_modules:
                op.python.localModules.add(name=name, url=url)
        for uri in dict.fromkeys(uris):
            graph.dataDescriptions.add(storageUri=uri, dataScheme=data_scheme())
        return workflow_service_pb2.ExecuteGraphRequest(
            workflowName=self.workflow, executionId=self.execution_id, graph=graph
        )


def upload_local_modules(storage: Storage) -> list[tuple[str, str]]:
    return [upload_local_module(storage, path) for path in LOCAL_MODULE_PATHS]
