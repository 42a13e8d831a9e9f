"""The op start-up script run on the worker (python-client-protocol.md §5.1).

    python -u $(python -c 'import site; print(site.getsitepackages()[0])')/lzy/api/v1/startup.py  <payload>

Imports only the standard library, cloudpickle and the light `lzy` modules, so the op's environment
needs nothing but cloudpickle (and what the op itself uses). Exit codes: 0 done, 1 op or set-up error.
"""

from __future__ import annotations

import os
import sys

# Running as a script puts this file's directory first on sys.path, where our module names would
# shadow top-level ones; drop it before importing anything else.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import base64
import datetime
import time
import traceback
import urllib.request
from typing import Any, NoReturn

import cloudpickle

from lzy.proxy import LzyProxy
from lzy.serialization.format import read_schema
from lzy.serialization.registry import LzySerializerRegistry
from lzy.startup_request import ProcessingRequest

LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}


class SysLog:
    """`[SYS] - <time> - [<LEVEL>] - <message>` on stdout, as pylzy's `remote` logger."""

    def __init__(self, level: str) -> None:
        self._level = LEVELS.get(level.upper(), 20)

    def log(self, level: str, message: str) -> None:
        if LEVELS[level] >= self._level:
            now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
            print(f"[SYS] - {now} - [{level}] - {message}", flush=True)


def fail(message: str) -> NoReturn:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
    sys.exit(1)


def read_value(registry: LzySerializerRegistry, path: str) -> Any:
    with open(path, "rb") as f:
        return registry.read(f)


def is_primitive(path: str) -> bool:
    with open(path, "rb") as f:
        return read_schema(f).data_format == "primitive_type"


def write_value(registry: LzySerializerRegistry, path: str, value: Any) -> None:
    with open(path, "wb") as f:
        registry.write(value, f)
        f.flush()
        os.fsync(f.fileno())


def report_exception(url: str, exc: BaseException) -> None:
    """Stores the exception for the client: pickled object (if picklable) + type, message, traceback."""
    try:
        pickled = cloudpickle.dumps(exc)
        cloudpickle.loads(pickled)
    except Exception:
        pickled = None
    report = {
        "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
        "pickled": pickled,
    }
    body = cloudpickle.dumps(report)
    request = urllib.request.Request(url, data=body, method="PUT")
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()


def main(argv: list[str]) -> int:
    mount = os.environ.get("LZY_MOUNT")
    assert mount is not None, "LZY_MOUNT is not set"
    local_modules = os.environ.get("LOCAL_MODULES")
    if local_modules:
        sys.path.append(local_modules)
    try:
        request: ProcessingRequest = cloudpickle.loads(base64.b64decode(argv[1].encode("ascii")))
    except Exception as e:
        fail(f"Error while unpickling request: {e}")
    log = SysLog(request.log_level)
    registry = LzySerializerRegistry()
    log.log("INFO", "Starting remote runtime...")
    log.log("DEBUG", f"Environment: {dict(os.environ)}")

    cache: dict[str, Any] = {}

    def loader(path: str) -> Any:
        def load() -> Any:
            if path not in cache:
                log.log("DEBUG", f"Reading argument from {path}")
                cache[path] = read_value(registry, mount + path)
            return cache[path]

        return load

    def argument(path: str) -> Any:
        # Primitives are small and often handed to C code that needs the exact type
        # (os.path.exists(str_arg)): read them at once, only other values lazily.
        if not request.lazy_arguments or is_primitive(mount + path):
            return loader(path)()
        return LzyProxy(loader(path))

    args = [argument(p) for p in request.args_paths]
    kwargs = {name: argument(p) for name, p in request.kwargs_paths.items()}
    started = time.monotonic()
    try:
        result = request.func(*args, **kwargs)
    except Exception as e:
        log.log("ERROR", f"Execution completed with error {e!r} in {time.monotonic() - started:.3f} sec")
        if request.exception_url:
            try:
                report_exception(request.exception_url, e)
            except Exception as report_error:
                log.log("WARNING", f"Cannot store the exception for the client: {report_error!r}")
        raise
    log.log("INFO", f"Execution completed in {time.monotonic() - started:.3f} sec")

    outputs = request.output_paths
    values = [result] if len(outputs) == 1 else list(result)
    if len(values) != len(outputs):
        fail(f"The op returned {len(values)} values, {len(outputs)} declared")
    for path, value in zip(outputs, values, strict=False):
        log.log("DEBUG", f"Writing result to {path}")
        write_value(registry, mount + path, value)
    log.log("INFO", "Finishing remote runtime...")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
