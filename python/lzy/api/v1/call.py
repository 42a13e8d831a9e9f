"""One op call recorded in a workflow: its arguments, results and environment (§4.1)."""

from __future__ import annotations

import inspect
import secrets
import typing
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lzy.api.v1.env import Env
from lzy.api.v1.provisioning import Provisioning
from lzy.api.v1.snapshot import Entry

if TYPE_CHECKING:
    from lzy.api.v1.workflow import LzyWorkflow


@dataclass(frozen=True)
class OpSpec:
    func: Callable[..., Any]
    output_types: tuple[type | None, ...]
    env: Env
    provisioning: Provisioning
    description: str = ""
    lazy_arguments: bool = True

    @property
    def name(self) -> str:
        return str(self.func.__name__)


def infer_output_types(func: Callable[..., Any]) -> tuple[type | None, ...]:
    """`-> (int, str)` (a literal tuple) gives two outputs; anything else one; none → unknown."""
    annotation = inspect.signature(func).return_annotation
    if annotation is inspect.Signature.empty:
        return (None,)
    if isinstance(annotation, str):
        try:
            annotation = eval(annotation, getattr(func, "__globals__", {}))
        except Exception:
            return (None,)
    if isinstance(annotation, tuple):
        return tuple(_as_type(a) for a in annotation)
    return (_as_type(annotation),)


def _as_type(annotation: Any) -> type | None:
    if annotation is None:
        return type(None)
    if isinstance(annotation, type):
        return annotation
    origin = typing.get_origin(annotation)
    return origin if isinstance(origin, type) else None


@dataclass(eq=False)
class LzyCall:
    op: OpSpec
    workflow: LzyWorkflow
    args: Sequence[Any]
    kwargs: dict[str, Any]
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    arg_entries: list[Entry] = field(default_factory=list)
    kwarg_entries: dict[str, Entry] = field(default_factory=dict)
    results: list[Entry] = field(default_factory=list)
    exception_uri: str = ""
    arg_names: list[str] = field(default_factory=list)

    def bind(self) -> None:
        """Creates (or reuses) an entry per argument and one per result."""
        names = _positional_names(self.op.func, len(self.args), taken=set(self.kwargs))
        self.arg_names = names
        wf = self.workflow
        self.arg_entries = [
            wf.entry_for_argument(f"{self.op.name}.{n}", self.id, v) for n, v in zip(names, self.args, strict=False)
        ]
        self.kwarg_entries = {
            k: wf.entry_for_argument(f"{self.op.name}.{k}", self.id, v) for k, v in self.kwargs.items()
        }
        self.results = [
            wf.snapshot.result_entry(f"{self.op.name}.return_{i}", self.id, t)
            for i, t in enumerate(self.op.output_types)
        ]
        self.exception_uri = wf.snapshot.data_uri(f"{self.op.name}.exception", self.id)

    def slot_path(self, entry: Entry) -> str:
        """An output's slot path (pylzy's: `/<call>/<fn>.return_<i>`)."""
        return f"/{self.id}/{entry.name}"

    def arg_slot_paths(self) -> list[str]:
        """Input slot paths of the positional arguments, named after THIS call's parameters.

        pylzy names an input that is a previous result after its producer
        (`/<call>/square.return_0`), so `total(*[square(i) for i in ...])` gives every input one
        path; each input here has its own, whatever it is.
        """
        return [f"/{self.id}/{self.op.name}.{n}" for n in self.arg_names]

    def kwarg_slot_paths(self) -> dict[str, str]:
        return {k: f"/{self.id}/{self.op.name}.{k}" for k in self.kwarg_entries}


def _positional_names(func: Callable[..., Any], count: int, taken: set[str]) -> list[str]:
    """Parameter names of the first `count` positional arguments; extra `*args` get random hex
    names, unique within the call (also against keyword argument names)."""
    names: list[str] = []
    for p in inspect.signature(func).parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
    used = set(names) | taken
    while len(names) < count:
        name = secrets.token_hex(4)
        if name not in used:
            used.add(name)
            names.append(name)
    return names[:count]
