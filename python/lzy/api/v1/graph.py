"""Builds the ExecuteGraph graph from recorded calls (pure: no I/O; §4.1, §4.4)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

from lzy.api.v1.call import LzyCall
from lzy.api.v1.snapshot import Entry
from lzy.startup_request import ProcessingRequest

COMMAND_PREFIX = "python -u $(python -c 'import site; print(site.getsitepackages()[0])')/lzy/api/v1/startup.py"


@dataclass(frozen=True)
class CallPlan:
    """What the barrier decided for one call."""

    yaml: str
    docker_image: str
    pool: str
    exception_url: str


def processing_request(call: LzyCall, exception_url: str, log_level: str) -> ProcessingRequest:
    return ProcessingRequest(
        func=call.op.func,
        args_paths=call.arg_slot_paths(),
        kwargs_paths=call.kwarg_slot_paths(),
        output_paths=[call.slot_path(e) for e in call.results],
        lazy_arguments=call.op.lazy_arguments,
        log_level=log_level,
        exception_url=exception_url or None,
    )


def command_of(request: ProcessingRequest) -> str:
    import cloudpickle

    payload = base64.b64encode(cloudpickle.dumps(request)).decode("ascii")
    return f"{COMMAND_PREFIX}  {payload}"


def build_graph(
    calls: Sequence[LzyCall],
    plans: dict[str, CallPlan],
    local_modules: Sequence[tuple[str, str]],
    log_level: str = "INFO",
) -> object:
    from ai.lzy.v1.common.data_scheme_pb2 import DataScheme
    from ai.lzy.v1.workflow.workflow_pb2 import DataDescription, Graph, Operation

    described: dict[str, Entry] = {}
    operations: list[Operation] = []
    for call in calls:
        plan = plans[call.id]
        inputs = [
            *zip(call.arg_slot_paths(), call.arg_entries, strict=True),
            *((call.kwarg_slot_paths()[k], e) for k, e in call.kwarg_entries.items()),
        ]
        for entry in [*(e for _, e in inputs), *call.results]:
            described.setdefault(entry.uri, entry)
        operations.append(
            Operation(
                name=call.op.name,
                description=call.op.description,
                command=command_of(processing_request(call, plan.exception_url, log_level)),
                inputSlots=[Operation.SlotDescription(path=p, storageUri=e.uri) for p, e in inputs],
                outputSlots=[Operation.SlotDescription(path=call.slot_path(e), storageUri=e.uri) for e in call.results],
                dockerImage=plan.docker_image,
                python=Operation.PythonEnvSpec(
                    yaml=plan.yaml,
                    localModules=[Operation.PythonEnvSpec.LocalModule(name=n, url=u) for n, u in local_modules],
                ),
                poolSpecName=plan.pool,
            )
        )
    descriptions = [
        DataDescription(
            storageUri=uri,
            dataScheme=DataScheme(
                dataFormat=e.scheme.data_format,
                schemeFormat=e.scheme.schema_format,
                schemeContent=e.scheme.schema_content,
                metadata=e.scheme.meta,
            ),
        )
        for uri, e in described.items()
    ]
    return Graph(operations=operations, dataDescriptions=descriptions)
