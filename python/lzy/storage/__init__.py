"""Storage configs (what the server hands out) and the S3 client the SDK uses."""

from lzy.storage.config import S3Credentials, Storage, StorageRegistry
from lzy.storage.uri import join_uri, split_uri

__all__ = ["S3Credentials", "Storage", "StorageRegistry", "join_uri", "split_uri"]
