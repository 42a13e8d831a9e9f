"""Prints the execution's stdout/stderr while it runs (ReadStdSlots, §6)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator

import grpc

from lzy.remote.channel import RETRY_CODES, RETRY_PAUSE_S

SYS_COLOR = "\033[36m"
RESET = "\033[0m"
MAX_REOPENS = 120


class StdReader:
    """A daemon thread over one ReadStdSlots stream, reopened on UNAVAILABLE/CANCELLED."""

    def __init__(self, open_stream: Callable[[], Iterator[object]]) -> None:
        self._open = open_stream
        self._thread = threading.Thread(target=self._run, name="lzy-std", daemon=True)
        self._error: BaseException | None = None
        self._stream: object | None = None
        self._stopped = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        reopens = 0
        while not self._stopped.is_set():
            try:
                self._stream = self._open()
                for message in self._stream:
                    self._print(message)
                return
            except grpc.RpcError as e:
                if self._stopped.is_set():
                    return
                code = e.code() if isinstance(e, grpc.Call) else None
                if code in RETRY_CODES and reopens < MAX_REOPENS:
                    reopens += 1
                    time.sleep(RETRY_PAUSE_S)
                    continue
                self._error = e
                return
            except BaseException as e:
                self._error = e
                return

    @staticmethod
    def _print(message: object) -> None:
        if message.HasField("stdout"):  # type: ignore[attr-defined]
            for chunk in message.stdout.data:  # type: ignore[attr-defined]
                text = f"{SYS_COLOR}{chunk}{RESET}" if "[SYS]" in chunk else chunk
                sys.stdout.write(text)
            sys.stdout.flush()
        elif message.HasField("stderr"):  # type: ignore[attr-defined]
            for chunk in message.stderr.data:  # type: ignore[attr-defined]
                sys.stderr.write(chunk)
            sys.stderr.flush()

    def wait(self) -> None:
        """Blocks until the server ends the stream; raises what ended it badly."""
        self._thread.join()
        if self._error is not None:
            raise self._error

    def abandon(self) -> None:
        self._stopped.set()
        cancel = getattr(self._stream, "cancel", None)
        if cancel is not None:
            cancel()
