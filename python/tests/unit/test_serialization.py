import io
import json
from pathlib import Path

import numpy as np

from lzy.serialization.format import HEADER, read_schema
from lzy.serialization.registry import LzySerializerRegistry
from lzy.types import File


def written(value: object) -> bytes:
    buffer = io.BytesIO()
    LzySerializerRegistry().write(value, buffer)
    return buffer.getvalue()


def read_back(data: bytes) -> object:
    return LzySerializerRegistry().read(io.BytesIO(data))


def test_an_int_is_written_exactly_as_serialzy_0_0_15_writes_it() -> None:
    data = written(42)
    body = json.dumps(
        {
            "data_format": "primitive_type",
            "schema_format": "serialzy_python_type_reference",
            "schema_content": json.dumps({"module": "builtins", "name": "int"}),
            "meta": {"serialzy": "0.0.15"},
        }
    ).encode()
    assert data == HEADER + len(body).to_bytes(8, "little") + body + b"42"


def test_primitives_round_trip_with_their_types() -> None:
    for value in (7, -3.5, "héllo", True, False, None):
        back = read_back(written(value))
        assert back == value and type(back) is type(value)


def test_other_objects_use_cloudpickle_with_the_pickled_type_as_schema() -> None:
    value = {"a": [1, 2], "b": b"\x00\xff"}
    data = written(value)
    schema = read_schema(io.BytesIO(data))
    assert (schema.data_format, schema.schema_format) == ("pickle", "pickled_type")
    assert "cloudpickle" in schema.meta
    assert read_back(data) == value


def test_bytes_and_numpy_arrays_round_trip_byte_exact() -> None:
    raw = bytes(range(256)) * 1000
    assert read_back(written(raw)) == raw
    array = np.arange(1_000_000, dtype=np.float64).reshape(1000, 1000)
    back = read_back(written(array))
    assert isinstance(back, np.ndarray) and np.array_equal(back, array)


def test_a_file_is_stored_as_raw_bytes_and_read_into_a_new_file(tmp_path: Path) -> None:
    source = tmp_path / "in.bin"
    source.write_bytes(b"file content")
    data = written(File(source))
    assert read_schema(io.BytesIO(data)).data_format == "raw_file"
    assert data.endswith(b"file content")
    back = read_back(data)
    assert isinstance(back, File) and back.path != source and back.path.read_bytes() == b"file content"


def test_data_without_the_serialzy_header_is_rejected() -> None:
    try:
        read_back(b"not serialzy data")
    except ValueError as e:
        assert "Missing header" in str(e)
    else:
        raise AssertionError("expected ValueError")
