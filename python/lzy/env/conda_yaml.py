"""The environment YAML of an op, in pylzy's shape (python-client-protocol.md §4.2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The Java worker image had conda envs for these exact versions; any other version is `default`.
PREBUILT_ENVS = {"3.7.11": "py37", "3.8.12": "py38", "3.9.7": "py39"}


def generate_conda_yaml(python_version: str, libraries: Mapping[str, str]) -> str:
    """`name`, `python==X.Y.Z` (unless prebuilt), `pip`, and `pip:` pins sorted by name."""
    import yaml

    name = PREBUILT_ENVS.get(python_version, "default")
    deps: list[Any] = [] if name != "default" else [f"python=={python_version}"]
    deps.append("pip")
    deps.append({"pip": [f"{lib}=={version}" for lib, version in sorted(libraries.items())]})
    document: dict[str, Any] = {"name": name, "dependencies": deps}
    text: str = yaml.dump(document, sort_keys=False)
    return text
