import base64
from types import SimpleNamespace

import cloudpickle
import pytest

from lzy.api.v1 import Lzy, op
from lzy.api.v1.call import LzyCall, infer_output_types
from lzy.api.v1.graph import COMMAND_PREFIX, CallPlan, build_graph
from lzy.api.v1.provisioning import Provisioning, choose_pool
from lzy.api.v1.snapshot import Snapshot
from lzy.api.v1.workflow import LzyWorkflow
from lzy.proxy import LzyProxy


@op
def produce(n: int) -> int:
    return n


@op(description="adds")
def add(a: int, b: int) -> (int, str):  # type: ignore[syntax]
    return a + b, "sum"


def recording_workflow() -> LzyWorkflow:
    wf = Lzy().workflow("wf", interactive=False)
    wf._execution_id = "ex1"
    wf._snapshot = Snapshot("s3://bucket", "wf", "ex1", wf.owner.serializer_registry)
    return wf


def record(wf: LzyWorkflow, func: object, *args: object) -> LzyCall:
    call = LzyCall(func.__lzy_op__, wf, args, {})
    call.bind()
    return call


def test_output_types_come_from_a_literal_tuple_annotation_only() -> None:
    def two() -> (int, str):  # type: ignore[syntax]
        return 1, ""

    def one() -> tuple[int, str]:
        return 1, ""

    def untyped():  # type: ignore[no-untyped-def]
        return 1

    assert infer_output_types(two) == (int, str)
    assert infer_output_types(one) == (tuple,)
    assert infer_output_types(untyped) == (None,)


def test_the_graph_links_a_result_to_its_consumer_through_the_producers_uri() -> None:
    wf = recording_workflow()
    first = record(wf, produce, 5)
    result = LzyProxy(lambda: None, first.results[0])
    second = record(wf, add, result, result)
    plan = CallPlan(yaml="name: default\n", docker_image="", pool="s", exception_url="http://x/e")
    graph = build_graph([first, second], {first.id: plan, second.id: plan}, [("/p/lzy", "http://m")])

    base = "s3://bucket/lzy_runs/wf/ex1/data"
    op1, op2 = graph.operations  # type: ignore[attr-defined]
    assert [(s.path, s.storageUri) for s in op1.inputSlots] == [
        (f"/{first.id}/produce.n", f"{base}/produce.n.{first.id}")
    ]
    assert [(s.path, s.storageUri) for s in op1.outputSlots] == [
        (f"/{first.id}/produce.return_0", f"{base}/produce.return_0.{first.id}")
    ]
    # a previous result passed twice: the producer's URI, a slot path per parameter of the consumer
    assert [(s.path, s.storageUri) for s in op2.inputSlots] == [
        (f"/{second.id}/add.{name}", f"{base}/produce.return_0.{first.id}") for name in ("a", "b")
    ]
    assert [s.path for s in op2.outputSlots] == [f"/{second.id}/add.return_0", f"/{second.id}/add.return_1"]
    assert op2.description == "adds" and op2.poolSpecName == "s" and op2.python.yaml == "name: default\n"
    assert [(m.name, m.url) for m in op2.python.localModules] == [("/p/lzy", "http://m")]
    uris = [d.storageUri for d in graph.dataDescriptions]  # type: ignore[attr-defined]
    assert len(uris) == len(set(uris)) == 4
    int_scheme = graph.dataDescriptions[0].dataScheme  # type: ignore[attr-defined]
    assert (int_scheme.dataFormat, int_scheme.schemeFormat) == ("primitive_type", "serialzy_python_type_reference")


@op
def total(*values: int) -> int:
    return sum(values)


def test_results_of_one_op_passed_to_another_get_an_input_slot_each() -> None:
    wf = recording_workflow()
    producers = [record(wf, produce, i) for i in range(3)]
    results = [LzyProxy(lambda: None, p.results[0]) for p in producers]
    consumer = record(wf, total, *results, results[0])
    plan = CallPlan(yaml="", docker_image="", pool="s", exception_url="")
    graph = build_graph([*producers, consumer], dict.fromkeys([c.id for c in [*producers, consumer]], plan), [])
    op = graph.operations[-1]  # type: ignore[attr-defined]
    paths = [s.path for s in op.inputSlots]
    assert len(set(paths)) == 4 and all(p.startswith(f"/{consumer.id}/total.") for p in paths)
    assert [s.storageUri for s in op.inputSlots] == [p.results[0].uri for p in [*producers, producers[0]]]
    request = cloudpickle.loads(base64.b64decode(op.command[len(COMMAND_PREFIX) + 2 :]))
    assert request.args_paths == paths


def test_the_command_is_pylzys_start_up_line_with_the_request_as_one_base64_word() -> None:
    wf = recording_workflow()
    call = record(wf, produce, 5)
    plan = CallPlan(yaml="", docker_image="", pool="s", exception_url="http://x/e")
    command = build_graph([call], {call.id: plan}, []).operations[0].command  # type: ignore[attr-defined]
    assert command.startswith(COMMAND_PREFIX + "  ")
    payload = command[len(COMMAND_PREFIX) + 2 :]
    assert " " not in payload
    request = cloudpickle.loads(base64.b64decode(payload))
    assert request.args_paths == [f"/{call.id}/produce.n"]
    assert request.output_paths == [f"/{call.id}/produce.return_0"]
    assert request.exception_url == "http://x/e" and request.func(3) == 3


def test_the_first_pool_matching_exactly_by_type_and_at_least_by_size_is_chosen() -> None:
    pools = [
        SimpleNamespace(
            poolSpecName="gpu", cpuType="Intel Cascade Lake", cpuCount=8, gpuType="V100", gpuCount=1, ramGb=32
        ),
        SimpleNamespace(
            poolSpecName="s", cpuType="Intel Cascade Lake", cpuCount=2, gpuType="NO_GPU", gpuCount=0, ramGb=4
        ),
        SimpleNamespace(
            poolSpecName="m", cpuType="Intel Cascade Lake", cpuCount=8, gpuType="NO_GPU", gpuCount=0, ramGb=32
        ),
    ]
    assert choose_pool(Provisioning(), pools, "f") == "s"
    assert choose_pool(Provisioning(ram_size_gb=16), pools, "f") == "m"
    assert choose_pool(Provisioning(gpu_type="V100", gpu_count=1), pools, "f") == "gpu"
    with pytest.raises(RuntimeError, match="Cannot resolve pool for operation f"):
        choose_pool(Provisioning(cpu_type="Intel Ice Lake"), pools, "f")


def test_an_op_called_outside_a_workflow_just_runs() -> None:
    assert add(2, 3) == (5, "sum")
