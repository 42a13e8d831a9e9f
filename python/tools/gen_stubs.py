"""Generates the `ai` package (protobuf + gRPC stubs) from /proto/ai/** with grpcio-tools.

    python tools/gen_stubs.py           regenerate python/ai (deleted first)
    python tools/gen_stubs.py --check   exit 1 naming stale files if python/ai differs

protoc maps `long-running/operation.proto` to the module `ai.lzy.v1.long_running.operation_pb2`
and `workflow-service.proto` to `workflow_service_pb2`, the same module names pylzy used.
`google/rpc/status.proto` is not generated: googleapis-common-protos provides `google.rpc.status_pb2`.
"""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PYTHON_DIR = Path(__file__).resolve().parent.parent
PROTO_DIR = PYTHON_DIR.parent / "proto"
OUT_DIR = PYTHON_DIR / "ai"


def generate(out: Path) -> None:
    import grpc_tools  # type: ignore[import-untyped]

    protos = sorted(str(p.relative_to(PROTO_DIR)) for p in (PROTO_DIR / "ai").rglob("*.proto"))
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    out.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"-I{PROTO_DIR}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        *protos,
    ]
    subprocess.run(cmd, check=True, cwd=PROTO_DIR)
    for directory in [out / "ai", *(p for p in (out / "ai").rglob("*") if p.is_dir())]:
        (directory / "__init__.py").touch()
    (out / "ai" / "py.typed").touch()


def files_of(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(fresh)
        if sys.argv[1:] == ["--check"]:
            current = files_of(OUT_DIR) if OUT_DIR.exists() else set()
            wanted = files_of(fresh / "ai")
            stale = sorted(
                [f"missing: {f}" for f in wanted - current]
                + [f"extra: {f}" for f in current - wanted]
                + [
                    f"changed: {f}"
                    for f in wanted & current
                    if not filecmp.cmp(fresh / "ai" / f, OUT_DIR / f, shallow=False)
                ]
            )
            if stale:
                print("python/ai is stale; run python tools/gen_stubs.py", *stale, sep="\n  ", file=sys.stderr)
                return 1
            print("python/ai is up to date")
            return 0
        shutil.rmtree(OUT_DIR, ignore_errors=True)
        shutil.copytree(fresh / "ai", OUT_DIR)
        return 0


if __name__ == "__main__":
    sys.exit(main())
