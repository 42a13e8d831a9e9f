"""What the client ships to the op start-up script (cloudpickled, base64, one shell word)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ProcessingRequest:
    func: Callable[..., Any]
    args_paths: list[str]
    kwargs_paths: dict[str, str]
    output_paths: list[str]
    lazy_arguments: bool = True
    log_level: str = "INFO"
    # LZY-TS extension: a presigned PUT URL where a failing op stores its exception (see README).
    exception_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)
