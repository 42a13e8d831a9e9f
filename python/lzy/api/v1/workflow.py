"""`with lzy.workflow(...) as wf:` — records op calls, runs them at barriers (§2)."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from lzy.api.v1.call import LzyCall
from lzy.api.v1.env import Env
from lzy.api.v1.provisioning import Provisioning
from lzy.api.v1.snapshot import Entry, Snapshot
from lzy.proxy import LzyProxy, is_proxy, materialize, proxy_tag

if TYPE_CHECKING:
    from lzy.api.v1.lzy import Lzy
    from lzy.api.v1.whiteboards import WritableWhiteboard

T = TypeVar("T")
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]*$")


class LzyWorkflow:
    """Only one workflow is active per process (as in pylzy)."""

    _active: LzyWorkflow | None = None
    _lock = threading.Lock()

    def __init__(
        self,
        name: str,
        owner: Lzy,
        *,
        env: Env,
        provisioning: Provisioning,
        eager: bool = False,
        interactive: bool = True,
    ) -> None:
        if not NAME_PATTERN.match(name):
            raise ValueError(f"Invalid workflow name {name!r}: only letters, digits, '-' and '_' allowed")
        self.name = name
        self.owner = owner
        self.env = env
        self.provisioning = provisioning
        self.eager = eager
        self.interactive = interactive
        self._execution_id: str | None = None
        self._snapshot: Snapshot | None = None
        self._queue: list[LzyCall] = []
        self._by_object: dict[int, tuple[Any, Entry]] = {}
        self._whiteboards: list[WritableWhiteboard] = []

    @classmethod
    def get_active(cls) -> LzyWorkflow | None:
        return cls._active

    @property
    def execution_id(self) -> str:
        if self._execution_id is None:
            raise RuntimeError(f"Workflow {self.name} is not started")
        return self._execution_id

    @property
    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            raise RuntimeError(f"Workflow {self.name} is not started")
        return self._snapshot

    def __enter__(self) -> LzyWorkflow:
        with LzyWorkflow._lock:
            if LzyWorkflow._active is not None:
                raise RuntimeError(f"Workflow {LzyWorkflow._active.name} is already active")
            LzyWorkflow._active = self
        try:
            self._execution_id = self.owner.runtime.start(self)
            storage = self.owner.storage_registry.default_config()
            assert storage is not None
            self._snapshot = Snapshot(storage.uri, self.name, self._execution_id, self.owner.serializer_registry)
        except BaseException:
            LzyWorkflow._active = None
            raise
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: Any) -> None:
        try:
            if exc is not None:
                self.owner.runtime.abort(self)
                return
            failure: BaseException | None = None
            try:
                self.barrier()
            except BaseException as e:
                failure = e
            self.owner.runtime.finish(self)
            if failure is not None:
                raise failure
            for wb in self._whiteboards:
                wb.finalize()
        finally:
            LzyWorkflow._active = None

    # --- calls and data -------------------------------------------------------------------

    def entry_for_argument(self, name: str, call_id: str, value: Any) -> Entry:
        if is_proxy(value):
            tag = proxy_tag(value)
            if isinstance(tag, Entry):
                return tag
            value = materialize(value)
        known = self._by_object.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        entry = self.snapshot.value_entry(name, call_id, value)
        self._by_object[id(value)] = (value, entry)
        return entry

    def register_call(self, call: LzyCall) -> Any:
        call.bind()
        self._queue.append(call)
        proxies = [LzyProxy(self._loader(e), e) for e in call.results]
        if self.eager:
            self.barrier()
            for p in proxies:
                materialize(p)
        return proxies[0] if len(proxies) == 1 else tuple(proxies)

    def _loader(self, entry: Entry) -> Any:
        def load() -> Any:
            return self.materialize_entry(entry)

        return load

    def materialize_entry(self, entry: Entry) -> Any:
        if entry.has_value:
            return entry.value
        storage = self.owner.storage_registry.default_client()
        assert storage is not None
        if not storage.exists(entry.uri):
            self.barrier()
            if not storage.exists(entry.uri):
                raise RuntimeError(f"Cannot materialize data with entry id {entry.id} from {entry.uri}")
        entry.value = self.snapshot.download(storage, entry.uri)
        entry.stored = True
        return entry.value

    def barrier(self) -> None:
        """Runs every recorded call (one ExecuteGraph) and waits for the graph to finish."""
        if not self._queue:
            return
        calls, self._queue = self._queue, []
        if self.interactive:
            self._confirm(calls)
        self.owner.runtime.exec(self, calls)

    @staticmethod
    def _confirm(calls: Sequence[LzyCall]) -> None:
        print("Graph of ops: " + ", ".join(c.op.name for c in calls))
        if input("Are you sure you want to run the graph with these resources? (Yes/[No]): ") != "Yes":
            raise RuntimeError("Graph execution cancelled")

    def create_whiteboard(self, typ: type[T], *, tags: Sequence[str] = ()) -> T:
        from lzy.api.v1.whiteboards import WritableWhiteboard

        wb = WritableWhiteboard.create(self, typ, list(tags))
        self._whiteboards.append(wb)
        return wb  # type: ignore[return-value]
