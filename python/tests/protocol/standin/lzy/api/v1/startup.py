"""Stand-in for pylzy's op start-up script (python-client-protocol.md §5), standard library only.

The worker runs it through the command of §4.4, so it is found only if the worker installed the
shipped `lzy/` into the environment's first site-packages directory. Payload: base64 of JSON
{"args": [slot paths], "outputs": [slot paths], "marker": str, "exit": int}. Each output gets the
sum of the int arguments plus the probe's INCREMENT, in serialzy format, at LZY_MOUNT + path.
"""

import base64
import json
import os
import site
import struct
import sys

MAGIC = b"serialzy"


def read_int(path: str) -> int:
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:8] != MAGIC:
        raise ValueError(f"{path}: not serialzy: {blob[:16]!r}")
    (length,) = struct.unpack("<Q", blob[8:16])
    return int(blob[16 + length :].decode())


def write_int(path: str, value: int) -> None:
    header = json.dumps(
        {
            "data_format": "primitive_type",
            "schema_format": "serialzy_python_type_reference",
            "schema_content": json.dumps({"module": "builtins", "name": "int"}),
            "meta": {"serialzy": "0.0.15"},
        }
    ).encode()
    with open(path, "wb") as f:
        f.write(MAGIC + struct.pack("<Q", len(header)) + header + str(value).encode())
        f.flush()
        os.fsync(f.fileno())


def main() -> int:
    mount = os.environ["LZY_MOUNT"]
    import ai  # the shipped stand-in, also from site-packages

    print("[SYS] - Starting remote runtime...")
    print(f"startup file: {os.path.abspath(__file__)}")
    print(f"site-packages[0]: {os.path.abspath(site.getsitepackages()[0])}")
    print(f"ai package: {os.path.abspath(ai.__file__)}")
    print(f"python: {sys.version_info.major}.{sys.version_info.minor}")
    local_modules = os.environ.get("LOCAL_MODULES")
    if local_modules:
        sys.path.append(local_modules)
    request = json.loads(base64.b64decode(sys.argv[1]))
    print(f"marker: {request['marker']}")
    if request.get("exit", 0) != 0:
        print(f"op refused: {request['marker']}", file=sys.stderr)
        return int(request["exit"])
    import lzy_protocol_probe

    total = sum(read_int(mount + path) for path in request["args"])
    for path in request["outputs"]:
        write_int(mount + path, total + lzy_protocol_probe.INCREMENT)
    print("[SYS] - Finishing remote runtime...")
    return 0


if __name__ == "__main__":
    sys.exit(main())
