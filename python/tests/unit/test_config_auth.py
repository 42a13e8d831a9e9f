import json
import time
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lzy.auth import build_token
from lzy.config import load_client_config


def test_env_variables_win_over_the_client_config_file(tmp_path: Path) -> None:
    (tmp_path / "client.json").write_text(
        json.dumps(
            {
                "endpoint": "127.0.0.1:8899",
                "whiteboardEndpoint": "127.0.0.1:8122",
                "user": "file-user",
                "keyPath": "/keys/user.pem",
            }
        )
    )
    config = load_client_config({"LZY_HOME": str(tmp_path), "LZY_USER": "env-user"})
    assert (config.endpoint, config.whiteboard_endpoint, config.user, config.key_path) == (
        "127.0.0.1:8899",
        "127.0.0.1:8122",
        "env-user",
        "/keys/user.pem",
    )


def test_without_env_or_file_the_pylzy_defaults_apply(tmp_path: Path) -> None:
    config = load_client_config({"LZY_HOME": str(tmp_path)})
    assert (config.endpoint, config.whiteboard_endpoint, config.user) == (
        "api.lzy.ai:8899",
        "whiteboard.lzy.ai:8122",
        None,
    )


def test_the_token_is_ps256_with_float_times_and_github_provider() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    token = build_token("alice", pem, now=lambda: 1700000000.25)
    assert jwt.get_unverified_header(token) == {"alg": "PS256", "typ": "JWT"}
    claims = jwt.decode(
        token, key.public_key(), algorithms=["PS256"], options={"verify_exp": False, "verify_nbf": False}
    )
    assert claims == {
        "iss": "alice",
        "pvd": "GITHUB",
        "iat": 1700000000.25,
        "nbf": 1700000000.25,
        "exp": 1700000000.25 + 7 * 24 * 3600,
    }
    assert time.time() > 0
