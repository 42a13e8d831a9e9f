"""What importing pylzy's `lzy.api.v1` loads (python-client-protocol.md §5.2, measured on the real
client): the start-up script imports this package before LOCAL_MODULES is on sys.path (§5.1
step 1), so every module below must be importable from the environment at that moment. In the
client's default mode `yaml`, `jwt` and `typing_extensions` are shipped as local modules, not
pinned, and `google.rpc` is neither (§4.2).
"""

import beartype  # noqa: F401
import cloudpickle  # noqa: F401
import cryptography  # noqa: F401
import google.protobuf  # noqa: F401
import grpc  # noqa: F401
import importlib_metadata  # noqa: F401
import jwt  # noqa: F401
import packaging  # noqa: F401
import pkg_resources  # noqa: F401
import requests  # noqa: F401
import serialzy  # noqa: F401
import stdlib_list  # noqa: F401
import tqdm  # noqa: F401
import typing_extensions  # noqa: F401
import yaml  # noqa: F401

import ai.lzy.v1.stubs  # noqa: F401  (the generated stubs: google.rpc, protobuf < 3.20)
