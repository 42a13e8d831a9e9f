import pickle

import numpy as np

from lzy.proxy import LzyProxy, is_materialized, is_proxy, materialize, proxy_tag


def counting(value: object) -> tuple[LzyProxy, list[int]]:
    calls: list[int] = []

    def load() -> object:
        calls.append(1)
        return value

    return LzyProxy(load, tag="entry"), calls


def test_a_proxy_loads_once_on_first_use_and_then_acts_as_its_value() -> None:
    p, calls = counting(41)
    assert not is_materialized(p) and calls == []
    assert p + 1 == 42 and 1 + p == 42 and p * 2 == 82 and -p == -41
    assert isinstance(p, int) and str(p) == "41" and f"{p:04d}" == "0041"
    assert calls == [1]


def test_a_proxy_is_recognised_without_loading_it() -> None:
    p, calls = counting("x")
    assert is_proxy(p) and proxy_tag(p) == "entry" and calls == []


def test_containers_numpy_and_pickle_see_the_value() -> None:
    p, _ = counting([3, 1, 2])
    assert sorted(p) == [1, 2, 3] and len(p) == 3 and p[0] == 3 and 2 in p
    arr, _ = counting(np.arange(4))
    assert np.sum(arr) == 6 and np.asarray(arr).shape == (4,)
    assert pickle.loads(pickle.dumps(p)) == [3, 1, 2]
    assert materialize(5) == 5


def test_a_proxy_of_a_path_string_is_path_like(tmp_path: object) -> None:
    import os
    from pathlib import Path

    p, _ = counting(str(tmp_path))
    assert os.fspath(p) == str(tmp_path) and Path(p).exists()
