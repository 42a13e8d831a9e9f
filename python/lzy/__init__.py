"""LZY-TS Python SDK: pylzy's user-facing API. Start with `from lzy.api.v1 import Lzy, op`."""

from lzy.version import __version__

__all__ = ["__version__"]
