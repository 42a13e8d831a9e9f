"""`scheme://bucket/key` URIs, keys normalised the way pathlib does (python-client-protocol.md §3.5)."""

from __future__ import annotations


def split_uri(uri: str) -> tuple[str, str, str]:
    """Returns (scheme, bucket, key); the key has no leading/trailing/repeated slashes, no `.`."""
    scheme, sep, rest = uri.partition("://")
    if not sep:
        raise ValueError(f"Not a storage URI: {uri!r}")
    bucket, _, path = rest.partition("/")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return scheme, bucket, "/".join(parts)


def join_uri(base: str, *parts: str) -> str:
    return "/".join([base.rstrip("/"), *(p.strip("/") for p in parts)])
