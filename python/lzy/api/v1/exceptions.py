"""Errors raised to the user."""

from __future__ import annotations


class LzyExecutionException(Exception):
    """A graph failed on the server (GraphStatus `failed`), as in pylzy."""


class RemoteOpError(Exception):
    """Stands in for an op's exception that could not be unpickled on the client."""

    def __init__(self, type_name: str, message: str, remote_traceback: str) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.message = message
        self.remote_traceback = remote_traceback


def remote_traceback_of(exc: BaseException) -> str | None:
    """The worker-side traceback attached to an exception re-raised from an op."""
    value = getattr(exc, "__lzy_remote_traceback__", None)
    return value if isinstance(value, str) else None
