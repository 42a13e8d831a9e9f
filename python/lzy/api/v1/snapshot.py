"""Data entries of one execution: names, URIs, schemes, uploads and downloads (§3.3)."""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass, field
from typing import Any

from lzy.serialization.format import Schema
from lzy.serialization.registry import LzySerializerRegistry
from lzy.storage.uri import join_uri

_NOTHING = object()


@dataclass(eq=False)
class Entry:
    """One stored value. `uri` may change until it is used in a graph (whiteboard redirect)."""

    name: str
    uri: str
    typ: type | None
    scheme: Schema
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    value: Any = _NOTHING  # an argument's value, or a result once read
    stored: bool = False  # known to exist in storage (uploaded, or produced by a completed graph)

    @property
    def has_value(self) -> bool:
        return self.value is not _NOTHING


class Snapshot:
    def __init__(
        self, storage_uri: str, workflow_name: str, execution_id: str, serializers: LzySerializerRegistry
    ) -> None:
        self._base = join_uri(storage_uri, "lzy_runs", workflow_name, execution_id, "data")
        self._serializers = serializers

    def data_uri(self, name: str, call_id: str) -> str:
        return join_uri(self._base, f"{name}.{call_id}")

    def value_entry(self, name: str, call_id: str, value: Any) -> Entry:
        typ = type(value)
        scheme = self._serializers.find_serializer_by_type(typ).schema(typ)
        return Entry(name, self.data_uri(name, call_id), typ, scheme, value=value)

    def result_entry(self, name: str, call_id: str, typ: type | None) -> Entry:
        return Entry(name, self.data_uri(name, call_id), typ, self._serializers.schema_for(typ))

    def upload(self, client: Any, entry: Entry) -> None:
        """Serializes into a temporary file, then a streamed (multipart) upload."""
        with tempfile.TemporaryFile(prefix="lzy-") as f:
            self._serializers.write(entry.value, f)
            f.seek(0)
            client.upload(entry.uri, f)
        entry.stored = True

    def download(self, client: Any, uri: str) -> Any:
        with tempfile.TemporaryFile(prefix="lzy-") as f:
            client.download(uri, f)
            f.seek(0)
            return self._serializers.read(f)
