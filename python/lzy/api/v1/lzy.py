"""`Lzy`: the entry point (workflows, whiteboard queries), as pylzy's `lzy.api.v1.Lzy`."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lzy.api.v1.env import DockerPullPolicy, Env
from lzy.api.v1.provisioning import Provisioning
from lzy.api.v1.runtime import RemoteRuntime
from lzy.api.v1.whiteboards import ReadOnlyWhiteboard, read_meta
from lzy.api.v1.workflow import LzyWorkflow
from lzy.config import load_client_config, lzy_auth
from lzy.env.provider import AutomaticPyEnvProvider
from lzy.serialization.registry import LzySerializerRegistry
from lzy.storage.config import PROVIDED_DEFAULT_STORAGE, StorageRegistry

if TYPE_CHECKING:
    from ai.lzy.v1.whiteboard.whiteboard_pb2 import Whiteboard
    from lzy.remote.whiteboard_client import WhiteboardServiceClient


class Lzy:
    def __init__(
        self,
        *,
        runtime: RemoteRuntime | None = None,
        whiteboard_client: WhiteboardServiceClient | None = None,
        py_env_provider: AutomaticPyEnvProvider | None = None,
        storage_registry: StorageRegistry | None = None,
        serializer_registry: LzySerializerRegistry | None = None,
    ) -> None:
        self._runtime = runtime or RemoteRuntime()
        self._whiteboard_client = whiteboard_client
        self._env_provider = py_env_provider
        self._storage_registry = storage_registry or StorageRegistry()
        self._serializer_registry = serializer_registry or LzySerializerRegistry()

    @staticmethod
    def auth(*, user: str, key_path: str, endpoint: str | None = None, whiteboards_endpoint: str | None = None) -> None:
        lzy_auth(user=user, key_path=key_path, endpoint=endpoint, whiteboards_endpoint=whiteboards_endpoint)

    @property
    def runtime(self) -> RemoteRuntime:
        return self._runtime

    @property
    def storage_registry(self) -> StorageRegistry:
        return self._storage_registry

    @property
    def serializer_registry(self) -> LzySerializerRegistry:
        return self._serializer_registry

    @property
    def serializer(self) -> LzySerializerRegistry:
        return self._serializer_registry

    @property
    def env_provider(self) -> AutomaticPyEnvProvider:
        if self._env_provider is None:
            self._env_provider = AutomaticPyEnvProvider()
        return self._env_provider

    def whiteboard_client(self) -> WhiteboardServiceClient:
        if self._whiteboard_client is None:
            from lzy.remote.whiteboard_client import WhiteboardServiceClient

            self._whiteboard_client = WhiteboardServiceClient(load_client_config())
        return self._whiteboard_client

    def workflow(
        self,
        name: str,
        *,
        eager: bool = False,
        python_version: str | None = None,
        libraries: dict[str, str] | None = None,
        conda_yaml_path: str | None = None,
        docker_image: str | None = None,
        docker_pull_policy: DockerPullPolicy = DockerPullPolicy.IF_NOT_EXISTS,
        local_modules_path: Sequence[str] | None = None,
        provisioning: Provisioning = Provisioning.default(),
        interactive: bool = True,
        cpu_type: str | None = None,
        cpu_count: int | None = None,
        gpu_type: str | None = None,
        gpu_count: int | None = None,
        ram_size_gb: int | None = None,
        env: Env = Env(),
    ) -> LzyWorkflow:
        provisioning = provisioning.override(Provisioning(cpu_type, cpu_count, gpu_type, gpu_count, ram_size_gb))
        provisioning.validate()
        env = env.override(
            Env(
                python_version,
                dict(libraries or {}),
                conda_yaml_path,
                docker_image,
                docker_pull_policy,
                local_modules_path,
            )
        )
        env.validate()
        return LzyWorkflow(name, self, env=env, provisioning=provisioning, eager=eager, interactive=interactive)

    # --- whiteboard queries (§2.3, §7.5) --------------------------------------------------

    def _ensure_storage(self, refresh: bool = False) -> None:
        if refresh or self._storage_registry.default_config() is None:
            storage = self._runtime.client().get_storage_credentials()
            self._storage_registry.register_storage(PROVIDED_DEFAULT_STORAGE, storage, default=True)

    def whiteboard(
        self, id_: str | None = None, *, storage_uri: str | None = None, id: str | None = None
    ) -> ReadOnlyWhiteboard:
        wb_id = id_ or id
        client = self.whiteboard_client()
        if wb_id is None:
            if storage_uri is None:
                raise ValueError("Pass a whiteboard id or storage_uri")
            self._ensure_storage()
            storage = self._storage_registry.default_client()
            wb_id = read_meta(storage, storage_uri).id
        indexed = client.get(wb_id)
        self._ensure_storage()
        return self._build(indexed, sync=True)

    def whiteboards(
        self,
        *,
        name: str | None = None,
        tags: Sequence[str] = (),
        not_before: datetime.datetime | None = None,
        not_after: datetime.datetime | None = None,
    ) -> list[ReadOnlyWhiteboard]:
        self._ensure_storage(refresh=True)
        found = self.whiteboard_client().list(name, tags, not_before, not_after)
        return [self._build(wb, sync=False) for wb in found]

    def _build(self, indexed: Whiteboard, *, sync: bool) -> ReadOnlyWhiteboard:
        meta: Any = indexed
        if sync:
            storage = self._storage_registry.client(indexed.storage.name) or self._storage_registry.default_client()
            stored = read_meta(storage, indexed.storage.uri)
            if stored != indexed:
                self.whiteboard_client().update(stored)
            meta = stored
        return ReadOnlyWhiteboard(self, meta)
