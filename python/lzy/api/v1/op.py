"""`@op`: outside a workflow the function runs as is; inside, the call is recorded and lazy."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, overload

from lzy.api.v1.call import LzyCall, OpSpec, infer_output_types
from lzy.api.v1.env import DockerPullPolicy, Env
from lzy.api.v1.provisioning import Provisioning
from lzy.api.v1.workflow import LzyWorkflow

F = TypeVar("F", bound=Callable[..., Any])


@overload
def op(func: F) -> F: ...


@overload
def op(
    func: None = None,
    *,
    output_types: Sequence[type] | None = None,
    python_version: str | None = None,
    libraries: dict[str, str] | None = None,
    conda_yaml_path: str | None = None,
    docker_image: str | None = None,
    docker_pull_policy: DockerPullPolicy = DockerPullPolicy.IF_NOT_EXISTS,
    local_modules_path: Sequence[str] | None = None,
    provisioning: Provisioning = Provisioning(),
    cpu_type: str | None = None,
    cpu_count: int | None = None,
    gpu_type: str | None = None,
    gpu_count: int | None = None,
    ram_size_gb: int | None = None,
    env: Env = Env(),
    description: str = "",
    lazy_arguments: bool = True,
) -> Callable[[F], F]: ...


def op(
    func: F | None = None,
    *,
    output_types: Sequence[type] | None = None,
    python_version: str | None = None,
    libraries: dict[str, str] | None = None,
    conda_yaml_path: str | None = None,
    docker_image: str | None = None,
    docker_pull_policy: DockerPullPolicy = DockerPullPolicy.IF_NOT_EXISTS,
    local_modules_path: Sequence[str] | None = None,
    provisioning: Provisioning = Provisioning(),
    cpu_type: str | None = None,
    cpu_count: int | None = None,
    gpu_type: str | None = None,
    gpu_count: int | None = None,
    ram_size_gb: int | None = None,
    env: Env = Env(),
    description: str = "",
    lazy_arguments: bool = True,
) -> F | Callable[[F], F]:
    def deco(f: F) -> F:
        spec = OpSpec(
            func=f,
            output_types=tuple(output_types) if output_types is not None else infer_output_types(f),
            env=env.override(
                Env(
                    python_version,
                    dict(libraries or {}),
                    conda_yaml_path,
                    docker_image,
                    docker_pull_policy,
                    local_modules_path,
                )
            ),
            provisioning=provisioning.override(Provisioning(cpu_type, cpu_count, gpu_type, gpu_count, ram_size_gb)),
            description=description,
            lazy_arguments=lazy_arguments,
        )
        spec.env.validate()
        spec.provisioning.validate()

        @functools.wraps(f)
        def lazy(*args: Any, **kwargs: Any) -> Any:
            wf = LzyWorkflow.get_active()
            if wf is None:
                return f(*args, **kwargs)
            return wf.register_call(LzyCall(spec, wf, args, kwargs))

        lazy.__dict__["__lzy_op__"] = spec
        return lazy  # type: ignore[return-value]

    return deco if func is None else deco(func)
