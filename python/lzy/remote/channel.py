"""Plaintext gRPC channels with the user's token on every call (§1.3)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import grpc

from lzy.auth import token_from_key_file
from lzy.config import ClientConfig

_LOG = logging.getLogger("lzy")
T = TypeVar("T")

WORKFLOW_CHANNEL_OPTIONS: list[tuple[str, int]] = [
    ("grpc.keepalive_time_ms", 1000),
    ("grpc.keepalive_timeout_ms", 1000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", -1),
]
WHITEBOARD_CHANNEL_OPTIONS: list[tuple[str, int]] = [
    ("grpc.keepalive_time_ms", 3 * 60 * 1000),
    ("grpc.keepalive_timeout_ms", 1000),
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
]
RETRY_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
RETRY_ATTEMPTS = 121
RETRY_PAUSE_S = 1.0


class AuthorizedChannel:
    """One channel + one token, both made lazily at the first call and never renewed."""

    def __init__(self, config: ClientConfig, endpoint: str, options: list[tuple[str, int]]) -> None:
        self._config = config
        self._endpoint = endpoint
        self._options = options
        self._channel: grpc.Channel | None = None
        self._metadata: list[tuple[str, str]] = []

    def get(self) -> grpc.Channel:
        if self._channel is None:
            token = token_from_key_file(self._config.user, self._config.key_path)
            self._metadata = [("authorization", f"Bearer {token}")]
            channel = grpc.insecure_channel(self._endpoint, options=self._options)
            grpc.channel_ready_future(channel).result()
            self._channel = channel
        return self._channel

    @property
    def metadata(self) -> list[tuple[str, str]]:
        self.get()
        return self._metadata

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None


def with_retries(what: str, call: Callable[[], T]) -> T:
    """pylzy's retry loop: UNAVAILABLE/CANCELLED → 1 s pause, up to 121 attempts; else raise."""
    for attempt in range(1, RETRY_ATTEMPTS + 1):
        try:
            return call()
        except grpc.RpcError as e:
            code = e.code() if isinstance(e, grpc.Call) else None
            if code not in RETRY_CODES or attempt == RETRY_ATTEMPTS:
                if code in RETRY_CODES:
                    raise RuntimeError("Lost connection to lzy servers, please try again later") from e
                raise
            _LOG.warning("%s failed with %s, retrying (attempt %d)", what, code, attempt)
            time.sleep(RETRY_PAUSE_S)
    raise AssertionError("unreachable")
