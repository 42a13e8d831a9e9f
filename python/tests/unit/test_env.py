import io
import sys
import zipfile
from pathlib import Path

import numpy as np

from lzy.env.conda_yaml import generate_conda_yaml
from lzy.env.local_modules import zip_module
from lzy.env.provider import AutomaticPyEnvProvider


def test_yaml_names_the_env_default_and_pins_python_and_sorted_libraries() -> None:
    assert generate_conda_yaml("3.11.7", {"tabulate": "0.9.0", "cloudpickle": "3.1.3"}) == (
        "name: default\ndependencies:\n- python==3.11.7\n- pip\n- pip:\n  - cloudpickle==3.1.3\n  - tabulate==0.9.0\n"
    )


def test_yaml_uses_the_prebuilt_env_name_for_pylzys_cached_versions() -> None:
    assert generate_conda_yaml("3.9.7", {}) == "name: py39\ndependencies:\n- pip\n- pip: []\n"


def uses_numpy(x: int) -> int:
    return int(np.sum(np.arange(x)))


def test_provider_pins_libraries_the_op_uses_at_the_clients_versions() -> None:
    env = AutomaticPyEnvProvider().provide([uses_numpy])
    assert env.libraries["numpy"] == np.__version__
    assert "cloudpickle" in env.libraries
    assert env.python_version == ".".join(map(str, sys.version_info[:3]))
    assert not any(name.startswith("lzy") for name in env.libraries)


def test_provider_ships_modules_that_are_not_installed_as_local_modules(tmp_path: Path) -> None:
    (tmp_path / "helper_mod_for_test.py").write_text("import numpy\n\ndef double(x):\n    return 2 * x\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import helper_mod_for_test  # type: ignore[import-not-found]

        def op_func(x: int) -> int:
            return int(helper_mod_for_test.double(x))

        env = AutomaticPyEnvProvider().provide([op_func])
    finally:
        sys.path.remove(str(tmp_path))
    assert str((tmp_path / "helper_mod_for_test.py").resolve()) in env.local_modules
    assert str(Path(__file__).resolve()) in env.local_modules  # the op's own module
    assert "numpy" in env.libraries  # found through the local module's own imports


def test_zipped_modules_are_deterministic_and_importable_from_the_unpack_root(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "m.py").write_text("X = 1\n")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "junk.pyc").write_bytes(b"junk")
    first, second = zip_module(str(package)), zip_module(str(package))
    assert first.md5 == second.md5 and first.data == second.data
    names = zipfile.ZipFile(io.BytesIO(first.data)).namelist()
    assert names == ["pkg/__init__.py", "pkg/sub/m.py"]
    single = zip_module(str(package / "sub" / "m.py"))
    assert zipfile.ZipFile(io.BytesIO(single.data)).namelist() == ["m.py"]
