"""Named storages: the server-provided default is `provided_default_storage` (§3.1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lzy.storage.s3 import S3Client

PROVIDED_DEFAULT_STORAGE = "provided_default_storage"


@dataclass(frozen=True)
class S3Credentials:
    endpoint: str
    access_key_id: str
    secret_access_key: str


@dataclass(frozen=True)
class Storage:
    uri: str
    credentials: S3Credentials

    @staticmethod
    def s3(uri: str, *, endpoint: str, access_key_id: str, secret_access_key: str) -> Storage:
        return Storage(uri.rstrip("/"), S3Credentials(endpoint, access_key_id, secret_access_key))


class StorageRegistry:
    """pylzy's DefaultStorageRegistry: named storages, one default, one cached client each."""

    def __init__(self) -> None:
        self._storages: dict[str, Storage] = {}
        self._clients: dict[str, S3Client] = {}
        self._default: str | None = None

    def register_storage(self, name: str, storage: Storage, default: bool = False) -> None:
        self._storages[name] = storage
        self._clients.pop(name, None)
        if default or self._default is None:
            self._default = name

    def unregister_storage(self, name: str) -> None:
        self._storages.pop(name, None)
        self._clients.pop(name, None)
        if self._default == name:
            self._default = None

    def config(self, name: str) -> Storage | None:
        return self._storages.get(name)

    def default_config(self) -> Storage | None:
        return None if self._default is None else self._storages[self._default]

    def default_storage_name(self) -> str | None:
        return self._default

    def client(self, name: str) -> S3Client | None:
        storage = self._storages.get(name)
        if storage is None:
            return None
        if name not in self._clients:
            from lzy.storage.s3 import S3Client

            self._clients[name] = S3Client(storage.credentials)
        return self._clients[name]

    def default_client(self) -> S3Client | None:
        return None if self._default is None else self.client(self._default)

    def available_storages(self) -> list[str]:
        return list(self._storages)
