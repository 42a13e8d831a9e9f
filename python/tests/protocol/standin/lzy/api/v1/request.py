"""The op payload of pylzy's start-up command (python-client-protocol.md §4.4): one dataclass,
cloudpickled on the client and unpickled by `startup.py` on the worker. Standard library only, so
the stand-in client can load this one file under its real module name without the rest of the
package (which needs protobuf < 3.20, while the client's own stubs need protobuf 7)."""

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Tuple


@dataclass
class SerializerImport:
    """A user serializer the start-up imports and registers (§5.1 step 4)."""

    module_name: str
    class_name: str
    priority: int


@dataclass
class ProcessingRequest:
    logger_config: Dict[str, Any]
    serializers: List[SerializerImport]
    op: Callable[..., Any]
    args_paths: List[Tuple[type, str]]
    kwargs_paths: Dict[str, Tuple[type, str]]
    output_paths: List[Tuple[type, str]]
    lazy_arguments: bool = True
