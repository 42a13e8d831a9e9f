"""The user's token: PS256 JWT, float iat/nbf/exp, `pvd: GITHUB`, 7 days (§1.4)."""

from __future__ import annotations

import time
from collections.abc import Callable

TOKEN_LIFETIME_S = 7 * 24 * 3600


def build_token(user: str, private_key_pem: str, now: Callable[[], float] | None = None) -> str:
    import jwt

    issued = (now or time.time)()
    claims = {"iat": issued, "nbf": issued, "exp": issued + TOKEN_LIFETIME_S, "iss": user, "pvd": "GITHUB"}
    token: str = jwt.encode(claims, private_key_pem, algorithm="PS256")
    return token


def token_from_key_file(user: str | None, key_path: str | None) -> str:
    if not user:
        raise ValueError("LZY_USER is not set (or call Lzy.auth(user=..., key_path=...))")
    if not key_path:
        raise ValueError("LZY_KEY_PATH is not set (or call Lzy.auth(user=..., key_path=...))")
    with open(key_path, encoding="utf-8") as f:
        return build_token(user, f.read())
