"""Zips local modules deterministically (same content → same bytes → same md5, §4.5)."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class ZippedModule:
    path: str  # client-side path, sent as LocalModule.name
    data: bytes
    md5: str

    @property
    def basename(self) -> str:
        return os.path.basename(self.path.rstrip("/"))


def _entries(path: Path) -> Iterator[tuple[Path, str]]:
    if path.is_file():
        yield path, path.name
        return
    base = path.parent
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            full = Path(root) / name
            yield full, str(full.relative_to(base))


def zip_module(path: str) -> ZippedModule:
    """A file → one entry named after it; a directory → its tree, entries under its own name."""
    source = Path(path).resolve()
    if not source.exists():
        raise ValueError(f"Invalid local module path: {path}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for full, arcname in _entries(source):
            info = zipfile.ZipInfo(arcname, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, full.read_bytes())
    data = buffer.getvalue()
    return ZippedModule(str(source), data, hashlib.md5(data).hexdigest())
