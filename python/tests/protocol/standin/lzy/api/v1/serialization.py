"""The serialzy 0.0.15 file format of every data object (python-client-protocol.md §3.4):
`serialzy`, u64 LE header length, JSON header, payload. Primitives as text, anything else as a
cloudpickle with its cloudpickled type in the header."""

import base64
import json
import os
import struct
from typing import Any

import cloudpickle

MAGIC = b"serialzy"
META = {"serialzy": "0.0.15"}
PRIMITIVES = (int, float, str, bool, type(None))


def write_value(path: str, value: Any) -> None:
    """Writes, flushes and fsyncs `value` to `path` (§5.1 step 8)."""
    typ = type(value)
    if typ in PRIMITIVES:
        header = {
            "data_format": "primitive_type",
            "schema_format": "serialzy_python_type_reference",
            "schema_content": json.dumps({"module": typ.__module__, "name": typ.__name__}),
            "meta": META,
        }
        payload = value.encode() if typ is str else str(value).encode()
    else:
        header = {
            "data_format": "pickle",
            "schema_format": "pickled_type",
            "schema_content": base64.b64encode(cloudpickle.dumps(typ)).decode(),
            "meta": META,
        }
        payload = cloudpickle.dumps(value)
    encoded = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(MAGIC + struct.pack("<Q", len(encoded)) + encoded + payload)
        f.flush()
        os.fsync(f.fileno())


def read_value(path: str) -> Any:
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:8] != MAGIC:
        raise ValueError(f"{path} is not a serialzy object: {blob[:16]!r}")
    (length,) = struct.unpack("<Q", blob[8:16])
    header = json.loads(blob[16 : 16 + length])
    payload = blob[16 + length :]
    if header["data_format"] != "primitive_type":
        return cloudpickle.loads(payload)
    name = json.loads(header["schema_content"])["name"]
    text = payload.decode()
    if name == "NoneType":
        return None
    if name == "bool":
        return text == "True"
    return {"int": int, "float": float, "str": str}[name](text)
