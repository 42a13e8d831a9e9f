"""Stand-in of pylzy 1.0.1's op start-up script, following python-client-protocol.md §5.1.

Run by the worker as `python -u <site-packages[0]>/lzy/api/v1/startup.py <payload>` (§4.4).
"""

import base64
import importlib
import logging
import logging.config
import os
import sys
import time

# Step 1: the whole package, before LOCAL_MODULES is on sys.path.
import cloudpickle

import lzy.api.v1  # noqa: F401
from lzy.api.v1.serialization import read_value, write_value


def main(argv: list) -> int:
    local_modules = os.environ.get("LOCAL_MODULES")
    if local_modules:
        sys.path.append(local_modules)  # step 2: at the end, after site-packages
    try:
        request = cloudpickle.loads(base64.b64decode(argv[1]))  # step 3
    except Exception as e:
        print(f"Error while unpickling request: {e!r}", file=sys.stderr)
        return 1
    try:
        for s in request.serializers:  # step 4
            getattr(importlib.import_module(s.module_name), s.class_name)
    except Exception as e:
        print(f"Error while loading serializers: {e!r}", file=sys.stderr)
        return 1
    logging.config.dictConfig(request.logger_config)  # step 5
    log = logging.getLogger("remote")
    log.info("Starting remote runtime...")

    mount = os.environ["LZY_MOUNT"]
    cache: dict = {}

    def argument(entry: tuple) -> object:
        # Step 6: LZY_MOUNT + path, read once per PATH: two arguments of one path are one value.
        path = entry[1]
        if path not in cache:
            cache[path] = read_value(mount + path)
        return cache[path]

    args = [argument(e) for e in request.args_paths]
    kwargs = {name: argument(e) for name, e in request.kwargs_paths.items()}
    started = time.time()
    try:
        result = request.op(*args, **kwargs)  # step 7
    except Exception as e:
        log.error(f"Execution completed with error {e!r} in {time.time() - started:.3f}s")
        raise
    log.info(f"Execution completed in {time.time() - started:.3f}s")
    outputs = request.output_paths  # step 8
    values = [result] if len(outputs) == 1 else list(result)
    for (_, path), value in zip(outputs, values):
        write_value(mount + path, value)
    log.info("Finishing remote runtime...")  # step 9
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
