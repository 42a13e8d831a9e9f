"""Graphs as the unchanged pylzy 1.0.1 client builds them in its default mode
(python-client-protocol.md §3.3, §4): the environment its automatic provider sends (§4.2), its
local modules (§4.5) and its start-up command with a cloudpickled ProcessingRequest (§4.4)."""

from __future__ import annotations

import base64
import importlib.metadata
import importlib.util
import os
import platform
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import cloudpickle
import jwt
import typing_extensions
import yaml

from . import _stubs
from ._storage import INT_SCHEME, Storage, serialzy_int, upload_local_module

_stubs.install()

from ai.lzy.v1.common import data_scheme_pb2  # noqa: E402
from ai.lzy.v1.workflow import workflow_pb2, workflow_service_pb2  # noqa: E402

STANDIN = Path(__file__).resolve().parent / "standin"
COMMAND_PREFIX = (
    "python -u $(python -c 'import site; print(site.getsitepackages()[0])')/lzy/api/v1/startup.py"
)
DEFAULT_POOL = {"cpuType": "Intel Cascade Lake", "cpuCount": 2, "gpuType": "NO_GPU", "ramGb": 2}

# The client's own distributions its automatic provider pins (§4.2), at versions of pylzy's era
# that have wheels for Python 3.11 and fit pylzy's constraints (protobuf < 3.20, serialzy 0.0.x).
# cloudpickle is the version this client really runs: it pickles the payload (§4.4).
CLIENT_PINS = {
    "beartype": "0.12.0",
    "cryptography": "39.0.2",
    "grpcio": "1.51.3",
    "importlib-metadata": "6.0.0",
    "packaging": "21.3",
    "protobuf": "3.19.6",
    "requests": "2.28.2",
    "serialzy": "0.0.15",
    "setuptools": "67.6.0",
    "stdlib-list": "0.8.0",
    "tqdm": "4.65.0",
}


def client_pins() -> list[str]:
    pins = {**CLIENT_PINS, "cloudpickle": importlib.metadata.version("cloudpickle")}
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


def env_yaml() -> str:
    """The YAML for a client whose Python is not 3.7.11/3.8.12/3.9.7 (§4.2), as yaml.dump writes
    it: `name: default`, the client's full Python version, `pip`, the pins."""
    dependencies = [f"python=={platform.python_version()}", "pip", {"pip": client_pins()}]
    return str(yaml.dump({"name": "default", "dependencies": dependencies}))


def shipped_modules() -> list[Path]:
    """What the automatic provider ships instead of pinning (§4.2): pylzy's own packages (not on
    PyPI any more) and the three it fails to match to a distribution."""
    return [
        STANDIN / "lzy",
        STANDIN / "ai",
        Path(yaml.__file__).parent,
        Path(jwt.__file__).parent,
        Path(typing_extensions.__file__),
    ]


def _request_module() -> ModuleType:
    """The stand-in's `lzy.api.v1.request`, loaded alone under its real name so that cloudpickle
    pickles ProcessingRequest by reference, as pylzy does, while the rest of the stand-in (which
    needs protobuf < 3.20 and the other pins) never loads in this process."""
    name = "lzy.api.v1.request"
    loaded = sys.modules.get(name)
    if loaded is not None and getattr(loaded, "__file__", "").startswith(str(STANDIN)):
        return loaded
    spec = importlib.util.spec_from_file_location(name, STANDIN / "lzy/api/v1/request.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def logger_config() -> dict[str, Any]:
    """The logging config shipped in the payload: `remote` logs `[SYS] - …` lines to stdout."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"sys": {"format": "[SYS] - %(asctime)s - [%(levelname)s] - %(message)s"}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "sys",
            }
        },
        "loggers": {
            "remote": {
                "level": os.environ.get("LZY_LOG_LEVEL", "INFO"),
                "handlers": ["stdout"],
                "propagate": False,
            }
        },
    }


def command(
    op: Callable[..., Any],
    args_paths: Sequence[str],
    output_paths: Sequence[str],
    kwargs_paths: dict[str, str] | None = None,
) -> str:
    """The start-up command of §4.4: two spaces, then one base64 word (every value is an int)."""
    request = _request_module().ProcessingRequest(
        logger_config=logger_config(),
        serializers=[],
        op=op,
        args_paths=[(int, p) for p in args_paths],
        kwargs_paths={k: (int, p) for k, p in (kwargs_paths or {}).items()},
        output_paths=[(int, p) for p in output_paths],
        lazy_arguments=True,
    )
    payload = base64.b64encode(cloudpickle.dumps(request)).decode()
    return f"{COMMAND_PREFIX}  {payload}"


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
    """One op call with its own call id: inputs as (slot path, storage uri), one result."""

    fn: str
    op: Callable[..., Any]
    call_id: str
    inputs: list[tuple[str, str]]
    output_uri: str

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

    def call(self, op: Callable[..., Any], *args: int | Call) -> Call:
        """`op(*args)` as pylzy records it: a fresh value is uploaded (multipart) as
        `<fn>.<param>` (extra *args: 8 random hex chars); a previous result is not re-uploaded,
        its slot names the PRODUCER's entry (`/<call>/<producer>.return_0`) and URI (§4.1)."""
        fn = op.__name__
        call_id = str(uuid.uuid4())
        params = list(op.__code__.co_varnames[: op.__code__.co_argcount])
        inputs = []
        for i, arg in enumerate(args):
            if isinstance(arg, Call):
                inputs.append((f"/{call_id}/{arg.fn}.return_0", arg.output_uri))
                continue
            name = params[i] if i < len(params) else uuid.uuid4().hex[:8]
            uri = self.data_uri(f"{fn}.{name}.{call_id}")
            self.storage.put(uri, serialzy_int(arg))
            inputs.append((f"/{call_id}/{fn}.{name}", uri))
        call = Call(fn, op, call_id, inputs, self.data_uri(f"{fn}.return_0.{call_id}"))
        self.calls.append(call)
        return call

    def graph_request(
        self, calls: Sequence[Call], pool: str, local_modules: Sequence[tuple[str, str]]
    ) -> workflow_service_pb2.ExecuteGraphRequest:
        graph = workflow_pb2.Graph(name="", zone="")
        uris: list[str] = []
        yaml_text = env_yaml()
        for call in calls:
            op = graph.operations.add(
                name=call.fn,
                description="",
                command=command(call.op, [p for p, _ in call.inputs], [call.output_path]),
                dockerImage="",
                poolSpecName=pool,
            )
            for path, uri in call.inputs:
                op.inputSlots.add(path=path, storageUri=uri)
                uris.append(uri)
            op.outputSlots.add(path=call.output_path, storageUri=call.output_uri)
            uris.append(call.output_uri)
            op.python.yaml = yaml_text
            for name, url in local_modules:
                op.python.localModules.add(name=name, url=url)
        for uri in dict.fromkeys(uris):
            graph.dataDescriptions.add(storageUri=uri, dataScheme=data_scheme())
        return workflow_service_pb2.ExecuteGraphRequest(
            workflowName=self.workflow, executionId=self.execution_id, graph=graph
        )


def upload_local_modules(storage: Storage, extra: Sequence[Path] = ()) -> list[tuple[str, str]]:
    return [upload_local_module(storage, path) for path in [*shipped_modules(), *extra]]
