"""Lazy values: a proxy that loads its value on first use and then behaves like it.

`type(p)` stays `LzyProxy` (so the SDK can recognise it without loading it), but `p.__class__`,
attributes, operators, `isinstance`, pickling, numpy's array protocol all act on the value.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Callable
from typing import Any

_ATTRS = ("_lzy_loader", "_lzy_value", "_lzy_loaded", "_lzy_tag")


class LzyProxy:
    __slots__ = (*_ATTRS, "__weakref__")

    def __init__(self, loader: Callable[[], Any], tag: Any = None) -> None:
        object.__setattr__(self, "_lzy_loader", loader)
        object.__setattr__(self, "_lzy_loaded", False)
        object.__setattr__(self, "_lzy_value", None)
        object.__setattr__(self, "_lzy_tag", tag)

    def __getattribute__(self, name: str) -> Any:
        if name in _ATTRS:
            return object.__getattribute__(self, name)
        return getattr(materialize(self), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(materialize(self), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(materialize(self), name)

    def __repr__(self) -> str:
        return repr(materialize(self))

    def __str__(self) -> str:
        return str(materialize(self))

    def __bytes__(self) -> bytes:
        return bytes(materialize(self))

    def __format__(self, spec: str) -> str:
        return format(materialize(self), spec)

    def __hash__(self) -> int:
        return hash(materialize(self))

    def __bool__(self) -> bool:
        return bool(materialize(self))

    def __len__(self) -> int:
        return len(materialize(self))

    def __iter__(self) -> Any:
        return iter(materialize(self))

    def __reversed__(self) -> Any:
        return reversed(materialize(self))

    def __contains__(self, item: Any) -> bool:
        return item in materialize(self)

    def __getitem__(self, key: Any) -> Any:
        return materialize(self)[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        materialize(self)[key] = value

    def __delitem__(self, key: Any) -> None:
        del materialize(self)[key]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return materialize(self)(*args, **kwargs)

    def __enter__(self) -> Any:
        return materialize(self).__enter__()

    def __exit__(self, *exc: Any) -> Any:
        return materialize(self).__exit__(*exc)

    def __int__(self) -> int:
        return int(materialize(self))

    def __float__(self) -> float:
        return float(materialize(self))

    def __complex__(self) -> complex:
        return complex(materialize(self))

    def __index__(self) -> int:
        return operator.index(materialize(self))

    def __round__(self, *args: Any) -> Any:
        return round(materialize(self), *args)

    def __fspath__(self) -> Any:
        return os.fspath(materialize(self))

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_identity, (materialize(self),))

    def __dir__(self) -> Any:
        return dir(materialize(self))


def _identity(value: Any) -> Any:
    return value


def _binary(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def forward(self: Any, other: Any) -> Any:
        return op(materialize(self), materialize(other) if is_proxy(other) else other)

    return forward


def _reflected(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def forward(self: Any, other: Any) -> Any:
        return op(other, materialize(self))

    return forward


def _unary(op: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def forward(self: Any) -> Any:
        return op(materialize(self))

    return forward


for _name, _op in {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "matmul": operator.matmul,
    "truediv": operator.truediv,
    "floordiv": operator.floordiv,
    "mod": operator.mod,
    "pow": operator.pow,
    "lshift": operator.lshift,
    "rshift": operator.rshift,
    "and": operator.and_,
    "xor": operator.xor,
    "or": operator.or_,
    "divmod": divmod,
}.items():
    setattr(LzyProxy, f"__{_name}__", _binary(_op))
    setattr(LzyProxy, f"__r{_name}__", _reflected(_op))
    setattr(LzyProxy, f"__i{_name}__", _binary(_op))
for _name, _op in {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}.items():
    setattr(LzyProxy, f"__{_name}__", _binary(_op))
_UNARY: dict[str, Callable[[Any], Any]] = {
    "neg": operator.neg,
    "pos": operator.pos,
    "abs": abs,
    "invert": operator.invert,
}
for _name, _uop in _UNARY.items():
    setattr(LzyProxy, f"__{_name}__", _unary(_uop))


def is_proxy(value: Any) -> bool:
    return type(value) is LzyProxy


def proxy_tag(value: Any) -> Any:
    """What the creator attached (e.g. the snapshot entry); never loads the value."""
    return object.__getattribute__(value, "_lzy_tag")


def is_materialized(value: Any) -> bool:
    return bool(object.__getattribute__(value, "_lzy_loaded"))


def materialize(value: Any) -> Any:
    if type(value) is not LzyProxy:
        return value
    if not object.__getattribute__(value, "_lzy_loaded"):
        loaded = object.__getattribute__(value, "_lzy_loader")()
        object.__setattr__(value, "_lzy_value", loaded)
        object.__setattr__(value, "_lzy_loaded", True)
    return object.__getattribute__(value, "_lzy_value")


def preloaded(value: Any, tag: Any = None) -> LzyProxy:
    proxy = LzyProxy(lambda: value, tag)
    materialize(proxy)
    return proxy
