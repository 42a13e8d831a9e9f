"""The envelope of every stored value: `serialzy` + u64 LE length + JSON schema + payload."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import BinaryIO

HEADER = b"serialzy"
SERIALZY_VERSION = "0.0.15"


@dataclass(frozen=True)
class Schema:
    """What serialzy calls a schema; travels as `DataScheme{dataFormat, schemeFormat, ...}` too."""

    data_format: str
    schema_format: str
    schema_content: str = ""
    meta: dict[str, str] = field(default_factory=dict)


def write_schema(schema: Schema, dest: BinaryIO) -> None:
    body = json.dumps(asdict(schema)).encode("utf-8")
    dest.write(HEADER)
    dest.write(len(body).to_bytes(8, byteorder="little", signed=False))
    dest.write(body)


def read_schema(source: BinaryIO) -> Schema:
    head = source.read(len(HEADER))
    if len(head) == 0:
        raise ValueError("Source is empty")
    if head != HEADER:
        raise ValueError(f"Missing header in source, expected {HEADER!r}, got {head!r}")
    length = int.from_bytes(source.read(8), byteorder="little", signed=False)
    raw = json.loads(source.read(length).decode("utf-8"))
    return Schema(
        data_format=raw["data_format"],
        schema_format=raw["schema_format"],
        schema_content=raw.get("schema_content", ""),
        meta=dict(raw.get("meta") or {}),
    )
