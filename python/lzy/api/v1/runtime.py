"""The remote runtime: StartWorkflow … barrier … FinishWorkflow against lzy-service (§2)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from lzy.api.v1.call import LzyCall
from lzy.api.v1.exceptions import LzyExecutionException, RemoteOpError
from lzy.api.v1.graph import CallPlan, build_graph
from lzy.api.v1.provisioning import choose_pool
from lzy.config import load_client_config
from lzy.env.conda_yaml import generate_conda_yaml
from lzy.env.local_modules import zip_module
from lzy.env.provider import PyEnv, client_python_version, sdk_local_modules
from lzy.proxy import is_proxy
from lzy.storage.config import PROVIDED_DEFAULT_STORAGE
from lzy.storage.uri import join_uri

if TYPE_CHECKING:
    from lzy.api.v1.workflow import LzyWorkflow
    from lzy.remote.std_reader import StdReader
    from lzy.remote.workflow_client import Completed, Failed, WorkflowServiceClient

_LOG = logging.getLogger("lzy")
EXCEPTION_URL_EXPIRES_S = 7 * 24 * 3600
DEFAULT_FETCH_STATUS_PERIOD_S = 1.0


def fetch_status_period_s() -> float:
    return float(os.environ.get("FETCH_STATUS_PERIOD_SEC", DEFAULT_FETCH_STATUS_PERIOD_S))


class RemoteRuntime:
    def __init__(self) -> None:
        self._client: WorkflowServiceClient | None = None
        self._std: StdReader | None = None
        self._stored_modules: set[str] = set()

    def client(self) -> WorkflowServiceClient:
        if self._client is None:
            from lzy.remote.workflow_client import WorkflowServiceClient

            self._client = WorkflowServiceClient(load_client_config())
        return self._client

    def start(self, wf: LzyWorkflow) -> str:
        from lzy.remote.std_reader import StdReader

        registry = wf.owner.storage_registry
        execution_id, provided = self.client().start_workflow(wf.name, registry.default_config())
        if provided is not None:
            registry.register_storage(PROVIDED_DEFAULT_STORAGE, provided, default=True)
        if registry.default_config() is None:
            raise RuntimeError("No storage: the server provided none and no default storage is registered")
        client = self.client()
        self._std = StdReader(lambda: client.read_std_slots(execution_id))
        self._std.start()
        return execution_id

    def exec(self, wf: LzyWorkflow, calls: Sequence[LzyCall]) -> None:
        storage = wf.owner.storage_registry.default_client()
        assert storage is not None
        pending = [
            e for c in calls for e in [*c.arg_entries, *c.kwarg_entries.values()] if e.has_value and not e.stored
        ]
        unique = list({id(e): e for e in pending}.values())
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda e: wf.snapshot.upload(storage, e), unique))

        client = self.client()
        pools = client.get_pool_specs(wf.execution_id)
        envs = {c.id: self._env_of(wf, c) for c in calls}
        module_paths = sorted({p for env in envs.values() for p in env.local_modules} | set(sdk_local_modules()))
        modules = [self._upload_module(wf, storage, p) for p in module_paths]
        plans = {
            c.id: CallPlan(
                yaml=self._yaml_of(wf, c, envs[c.id]),
                docker_image=wf.env.override(c.op.env).docker_image or "",
                pool=choose_pool(wf.provisioning.override(c.op.provisioning), pools, c.op.name),
                exception_url=storage.presign_put(c.exception_uri, EXCEPTION_URL_EXPIRES_S),
            )
            for c in calls
        }
        graph = build_graph(calls, plans, modules, os.environ.get("LZY_LOG_LEVEL", "INFO"))
        graph_id = client.execute_graph(wf.name, wf.execution_id, graph)  # type: ignore[arg-type]
        _LOG.info("Graph %s of %d op(s) started", graph_id, len(calls))

        from lzy.remote.workflow_client import Completed

        status = self._final_status(client, wf.execution_id, graph_id)
        if isinstance(status, Completed):
            for call in calls:
                for entry in call.results:
                    entry.stored = True
            return
        failure = LzyExecutionException(
            f"Failed executing graph {graph_id}: {status.description}\nSee the op's stderr above for details."
        )
        remote = self._op_exception(wf, storage, calls)
        if remote is not None:
            raise remote from failure
        raise failure

    @staticmethod
    def _final_status(client: WorkflowServiceClient, execution_id: str, graph_id: str) -> Completed | Failed:
        """Pushed by WatchGraph (LZY-TS); polled every FETCH_STATUS_PERIOD_SEC when the server lacks it."""
        from lzy.remote.workflow_client import Completed, Failed

        pushed = client.watch_graph(execution_id, graph_id)
        if pushed is not None:
            return pushed
        period = fetch_status_period_s()
        while True:
            time.sleep(period)
            status = client.graph_status(execution_id, graph_id)
            if isinstance(status, (Completed, Failed)):
                return status

    def _env_of(self, wf: LzyWorkflow, call: LzyCall) -> PyEnv:
        env = wf.env.override(call.op.env)
        values = [v for v in [*call.args, *call.kwargs.values()] if not is_proxy(v)]  # never load results
        auto = wf.owner.env_provider.provide([call.op.func], values)
        auto.python_version = call.op.env.python_version or client_python_version()
        auto.libraries = {**auto.libraries, **env.libraries}
        if env.local_modules_path is not None:
            auto.local_modules = [os.path.abspath(p) for p in env.local_modules_path]
        return auto

    @staticmethod
    def _yaml_of(wf: LzyWorkflow, call: LzyCall, env: PyEnv) -> str:
        conda_yaml_path = wf.env.override(call.op.env).conda_yaml_path
        if conda_yaml_path is not None:
            with open(conda_yaml_path, encoding="utf-8") as f:
                return f.read()
        return generate_conda_yaml(env.python_version, env.libraries)

    def _upload_module(self, wf: LzyWorkflow, storage: Any, path: str) -> tuple[str, str]:
        """HEAD, PUT if absent, presign GET (1 h); the URI is by content (md5 of the zip)."""
        zipped = zip_module(path)
        base = wf.owner.storage_registry.default_config()
        assert base is not None
        uri = join_uri(base.uri, "lzy_local_modules", zipped.basename, zipped.md5)
        if uri not in self._stored_modules:
            if not storage.exists(uri):
                storage.put_bytes(uri, zipped.data)
            self._stored_modules.add(uri)
        return zipped.path, storage.presign_get(uri, 3600)

    @staticmethod
    def _op_exception(wf: LzyWorkflow, storage: Any, calls: Sequence[LzyCall]) -> BaseException | None:
        import cloudpickle

        for call in calls:
            if not storage.exists(call.exception_uri):
                continue
            report: dict[str, Any] = cloudpickle.loads(storage.get_bytes(call.exception_uri))
            exc: BaseException | None = None
            if report.get("pickled") is not None:
                try:
                    exc = cloudpickle.loads(report["pickled"])
                except Exception:
                    exc = None
            if not isinstance(exc, BaseException):
                exc = RemoteOpError(report["type"], report["message"], report["traceback"])
            remote_tb = report["traceback"]
            exc.__dict__["__lzy_remote_traceback__"] = remote_tb
            if hasattr(exc, "add_note"):
                exc.add_note(f"Remote traceback of op {call.op.name} (call {call.id}):\n{remote_tb}")
            return exc
        return None

    def finish(self, wf: LzyWorkflow) -> None:
        self.client().finish_workflow(wf.name, wf.execution_id, "Workflow completed")
        if self._std is not None:
            std, self._std = self._std, None
            std.wait()

    def abort(self, wf: LzyWorkflow) -> None:
        if self._std is not None:
            self._std.abandon()
            self._std = None
        self.client().abort_workflow(wf.name, wf.execution_id, "Workflow execution aborted")
