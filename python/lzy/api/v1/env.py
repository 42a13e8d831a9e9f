"""Environment options of a workflow or an op (what `@op`/`workflow` accept)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import Enum


class DockerPullPolicy(Enum):
    ALWAYS = "ALWAYS"
    IF_NOT_EXISTS = "IF_NOT_EXISTS"


@dataclass(frozen=True)
class Env:
    python_version: str | None = None
    libraries: dict[str, str] = field(default_factory=dict)
    conda_yaml_path: str | None = None
    docker_image: str | None = None
    docker_pull_policy: DockerPullPolicy = DockerPullPolicy.IF_NOT_EXISTS
    local_modules_path: Sequence[str] | None = None

    def override(self, other: Env) -> Env:
        return replace(
            self,
            python_version=other.python_version or self.python_version,
            libraries={**self.libraries, **other.libraries},
            conda_yaml_path=other.conda_yaml_path or self.conda_yaml_path,
            docker_image=other.docker_image or self.docker_image,
            docker_pull_policy=other.docker_pull_policy,
            local_modules_path=other.local_modules_path
            if other.local_modules_path is not None
            else self.local_modules_path,
        )

    def validate(self) -> None:
        if self.conda_yaml_path is not None and (self.python_version is not None or self.libraries):
            raise ValueError("conda_yaml_path excludes python_version and libraries")
