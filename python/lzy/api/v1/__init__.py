"""pylzy 1.0.1's user-facing API: `from lzy.api.v1 import Lzy, op, whiteboard`."""

from lzy.api.v1.env import DockerPullPolicy, Env
from lzy.api.v1.exceptions import LzyExecutionException, RemoteOpError, remote_traceback_of
from lzy.api.v1.lzy import Lzy
from lzy.api.v1.op import op
from lzy.api.v1.provisioning import CpuType, GpuType, Provisioning
from lzy.api.v1.runtime import RemoteRuntime
from lzy.api.v1.whiteboards import MISSING_WHITEBOARD_FIELD, ReadOnlyWhiteboard, whiteboard
from lzy.api.v1.workflow import LzyWorkflow
from lzy.config import lzy_auth
from lzy.proxy import materialize
from lzy.types import File

__all__ = [
    "MISSING_WHITEBOARD_FIELD",
    "CpuType",
    "DockerPullPolicy",
    "Env",
    "File",
    "GpuType",
    "Lzy",
    "LzyExecutionException",
    "LzyWorkflow",
    "Provisioning",
    "ReadOnlyWhiteboard",
    "RemoteOpError",
    "RemoteRuntime",
    "lzy_auth",
    "materialize",
    "op",
    "remote_traceback_of",
    "whiteboard",
]
