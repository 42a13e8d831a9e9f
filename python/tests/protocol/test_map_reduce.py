"""The unchanged client's default mode end to end: standin_client.py, a map-reduce in pylzy's
slot naming (python-client-protocol.md §4.1): 200 results of `square` into one `total`, whose
200 input slots all have the path `/<call>/square.return_0` and different storage URIs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ._pylzy import ClientEnv

CLIENT = Path(__file__).resolve().parent / "standin_client.py"


def test_map_reduce_of_200_results_of_one_op_in_pylzys_naming(client_env: ClientEnv) -> None:
    n = 200
    done = subprocess.run(
        [sys.executable, str(CLIENT), "--n", str(n)],
        env={**os.environ, "FETCH_STATUS_PERIOD_SEC": str(client_env.fetch_status_period_s)},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = f"--- stdout ---\n{done.stdout[-4000:]}\n--- stderr ---\n{done.stderr[-4000:]}"
    assert done.returncode == 0, output
    assert done.stdout.splitlines()[-1] == str(sum(i * i for i in range(1, n + 1))), output
    # The ops ran pylzy's start-up (§5.1 step 5 logs on stdout), streamed back to the client.
    assert done.stdout.count("Starting remote runtime...") == n + 1, output
