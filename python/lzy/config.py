"""Where the client connects and as whom (python-client-protocol.md §1.1).

Environment variables win (pylzy's names). When one is unset, LZY-TS's client config file is read:
`$LZY_CLIENT_CONFIG`, else `$LZY_HOME/client.json`, else `~/.lzy/client.json` (written by `pnpm start`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENDPOINT_ENV = "LZY_ENDPOINT"
WHITEBOARD_ENDPOINT_ENV = "LZY_WHITEBOARD_ENDPOINT"
USER_ENV = "LZY_USER"
KEY_PATH_ENV = "LZY_KEY_PATH"
DEFAULT_ENDPOINT = "api.lzy.ai:8899"
DEFAULT_WHITEBOARD_ENDPOINT = "whiteboard.lzy.ai:8122"


@dataclass(frozen=True)
class ClientConfig:
    endpoint: str
    whiteboard_endpoint: str
    user: str | None
    key_path: str | None


def client_config_file(env: Mapping[str, str]) -> Path:
    if env.get("LZY_CLIENT_CONFIG"):
        return Path(env["LZY_CLIENT_CONFIG"])
    home = Path(env["LZY_HOME"]) if env.get("LZY_HOME") else Path.home() / ".lzy"
    return home / "client.json"


def load_client_config(env: Mapping[str, str] | None = None) -> ClientConfig:
    env = os.environ if env is None else env
    stored: dict[str, Any] = {}
    path = client_config_file(env)
    if path.is_file():
        stored = json.loads(path.read_text("utf-8"))
    return ClientConfig(
        endpoint=env.get(ENDPOINT_ENV) or stored.get("endpoint") or DEFAULT_ENDPOINT,
        whiteboard_endpoint=env.get(WHITEBOARD_ENDPOINT_ENV)
        or stored.get("whiteboardEndpoint")
        or DEFAULT_WHITEBOARD_ENDPOINT,
        user=env.get(USER_ENV) or stored.get("user"),
        key_path=env.get(KEY_PATH_ENV) or stored.get("keyPath"),
    )


def lzy_auth(*, user: str, key_path: str, endpoint: str | None = None, whiteboards_endpoint: str | None = None) -> None:
    """Sets the four `LZY_*` variables, as pylzy does; clients read them at their first call."""
    os.environ[USER_ENV] = user
    os.environ[KEY_PATH_ENV] = key_path
    if endpoint is not None:
        os.environ[ENDPOINT_ENV] = endpoint
    if whiteboards_endpoint is not None:
        os.environ[WHITEBOARD_ENDPOINT_ENV] = whiteboards_endpoint
