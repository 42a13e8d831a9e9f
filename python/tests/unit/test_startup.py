import base64
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cloudpickle
import pytest

import lzy.api.v1.startup as startup_module
from lzy.serialization.registry import LzySerializerRegistry
from lzy.startup_request import ProcessingRequest

STARTUP = Path(startup_module.__file__)


def write(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        LzySerializerRegistry().write(value, f)


def read(path: Path) -> object:
    with open(path, "rb") as f:
        return LzySerializerRegistry().read(f)


def run(mount: Path, request: ProcessingRequest) -> subprocess.CompletedProcess[str]:
    payload = base64.b64encode(cloudpickle.dumps(request)).decode()
    # this test module is importable from LOCAL_MODULES, as shipped local modules are on a worker
    env = {**os.environ, "LZY_MOUNT": str(mount), "LOCAL_MODULES": str(Path(__file__).parent)}
    return subprocess.run(  # noqa: PLW1510 - the exit code is asserted
        [sys.executable, "-u", str(STARTUP), payload], env=env, capture_output=True, text=True, timeout=60
    )


def test_the_op_reads_its_inputs_and_writes_each_result_to_its_slot(tmp_path: Path) -> None:
    write(tmp_path / "c" / "f.a", 20)
    write(tmp_path / "c" / "f.b", 22)

    def f(a: int, b: int) -> tuple[int, str]:
        assert type(a) is int  # primitives arrive as real values, not lazy proxies
        print("inside the op")
        return a + b, "done"

    (tmp_path / "c").mkdir(exist_ok=True)
    result = run(tmp_path, ProcessingRequest(f, ["/c/f.a"], {"b": "/c/f.b"}, ["/c/r0", "/c/r1"]))
    assert result.returncode == 0, result.stderr
    assert read(tmp_path / "c" / "r0") == 42 and read(tmp_path / "c" / "r1") == "done"
    lines = result.stdout.splitlines()
    assert lines[0].startswith("[SYS] - ") and lines[0].endswith("[INFO] - Starting remote runtime...")
    assert "inside the op" in lines and lines[-1].endswith("Finishing remote runtime...")


@pytest.fixture
def put_server() -> Iterator[dict[str, Any]]:
    received: dict[str, Any] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            received["path"] = self.path
            received["body"] = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    received["url"] = f"http://127.0.0.1:{server.server_port}/exc?sig=1"
    yield received
    server.shutdown()


class CustomError(Exception):
    pass


def test_a_failing_op_exits_1_with_its_traceback_and_stores_the_exception(
    tmp_path: Path, put_server: dict[str, Any]
) -> None:
    def broken() -> int:
        raise CustomError("bad input 7")

    (tmp_path / "c").mkdir()
    result = run(tmp_path, ProcessingRequest(broken, [], {}, ["/c/r"], exception_url=put_server["url"]))
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "CustomError: bad input 7" in result.stderr
    assert put_server["path"] == "/exc?sig=1"
    report = cloudpickle.loads(put_server["body"])
    assert report["message"] == "bad input 7" and "in broken" in report["traceback"]
    exc = cloudpickle.loads(report["pickled"])
    assert type(exc).__name__ == "CustomError" and str(exc) == "bad input 7"


def test_an_unreadable_payload_is_a_clear_error(tmp_path: Path) -> None:
    env = {**os.environ, "LZY_MOUNT": str(tmp_path)}
    result = subprocess.run(  # noqa: PLW1510 - the exit code is asserted
        [sys.executable, str(STARTUP), "bm90IGEgcGlja2xl"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1 and "Error while unpickling request" in result.stderr


def test_start_up_imports_neither_grpc_nor_boto3(tmp_path: Path) -> None:
    code = (
        "import runpy, sys; sys.argv=['x']; "
        f"import importlib.util as u; spec=u.spec_from_file_location('s', sys.argv[0] if False else {str(STARTUP)!r}); "
        "m=u.module_from_spec(spec); spec.loader.exec_module(m); "
        "print(sorted(x for x in ('grpc','boto3','jwt','yaml','google.protobuf') if x in sys.modules))"
    )
    out = subprocess.run(  # noqa: PLW1510 - the exit code is asserted
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip() == "[]", out.stderr
