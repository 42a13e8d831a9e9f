"""The worker's fork server for one Python environment (the other side is fork-server.ts).

    python -u fork_server.py <scratch dir> <token>        (fd 3: the control channel)

Started with the interpreter, flags and environment an op's start-up command would get
(python-client-protocol 4.4), minus the variables of one task. It runs the import section of
the start-up script (site.getsitepackages()[0]/lzy/api/v1/startup.py): every top-level
statement up to its last top-level import, as __main__ with the script's sys.path, once. Then
it forks one child per op, which runs the rest of the script in that __main__ and becomes what
a fresh `bash -c 'python -u startup.py <payload>'` is: its own session and process group,
stdout/stderr the two sockets the worker accepted for it (starting with what the import
section wrote), the op's cwd and exact environment plus what bash adds, sys.argv, the script's
exit code. Nothing an op does reaches the next op: the server itself never runs one.

Control channel: JSON lines. The worker sends {"op": "run", "id", "kind": "startup" | "code",
"args", "env", "cwd"[, "code"]}; the server answers {"ev": "ready" | "failed"} once, then per
run {"ev": "started", "id", "pid"} or {"ev": "refused", "id", "reason", "stale"}, and
{"ev": "exited", "id", "code" | "signal"} when the child ended. The server exits when the
control channel closes (the worker is gone).

Standard library only; Python 3.8 to 3.12.
"""

# What __main__ of a fresh script run holds before its first statement: the template of each
# op's __main__ (the key order and __annotations__ differ between versions).
_FRESH_MAIN = dict(globals())

import os  # noqa: E402
import sys  # noqa: E402

CONTROL_FD = 3


class StartFailed(Exception):
    """The server cannot serve this environment; the worker runs its ops with bash."""


def _send(message):
    data = (_helpers["json"].dumps(message) + "\n").encode("utf-8")
    while data:
        data = data[os.write(CONTROL_FD, data) :]


def _startup_script():
    site = sys.modules.get("site")
    if site is None or not hasattr(site, "getsitepackages"):
        raise StartFailed("the interpreter has no site module (python -S?)")
    # Exactly the path the command's $(python -c '...site.getsitepackages()[0]') builds.
    script = site.getsitepackages()[0] + "/lzy/api/v1/startup.py"
    if not os.path.isfile(script):
        raise StartFailed("no start-up script at " + script)
    return script


# Per op, not per server: the import section must not read them (it runs once, in the server).
_PER_OP_NAMES = {"argv", "orig_argv", "environ", "getenv", "getcwd", "getpid", "stdin"}


def _split(source, script):
    """The script's import section and the rest, compiled with its file name and line numbers
    (the rest with the script's __future__ imports, which must stay in effect for it)."""
    before = set(sys.modules)
    import ast

    body = ast.parse(source, script).body
    imports = [i for i, node in enumerate(body) if isinstance(node, (ast.Import, ast.ImportFrom))]
    head, rest = body[: imports[-1] + 1] if imports else [], body[imports[-1] + 1 :] if imports else body
    for node in head:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        for sub in ast.walk(node):
            name = getattr(sub, "id", None) or getattr(sub, "attr", None)
            if name in _PER_OP_NAMES:
                raise StartFailed(
                    "line %d of the start-up script reads %s before its last import"
                    % (node.lineno, name)
                )
    futures = [n for n in head if isinstance(n, ast.ImportFrom) and n.module == "__future__"]
    compiled = [
        compile(ast.Module(body=part, type_ignores=[]), script, "exec", dont_inherit=True)
        for part in (head, futures + rest)
    ]
    # ast and what it pulled in are ours, not the script's: it imports them afresh if it needs.
    for name in set(sys.modules) - before:
        del sys.modules[name]
    return compiled


def _capture(fd, path):
    saved = os.dup(fd)
    target = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    os.dup2(target, fd)
    os.close(target)
    return saved


def _release(fd, saved, path):
    os.dup2(saved, fd)
    os.close(saved)
    with open(path, "rb") as f:
        data = f.read()
    os.unlink(path)
    return data


def _thread_count():
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        threading = sys.modules.get("threading")
        return threading.active_count() if threading is not None else 1


def _watched_files(loaded, script):
    """Files whose change makes the server stale: the script and what the imports loaded from
    outside the interpreter's own standard library (which does not change under a venv)."""
    stdlib = os.path.dirname(os.__file__) + os.sep
    files = {script}
    for name in loaded:
        file = getattr(sys.modules.get(name), "__file__", None)
        if not isinstance(file, str):
            continue
        if file.startswith(stdlib) and os.sep + "site-packages" + os.sep not in file:
            continue
        files.add(file)
    return {file: _signature(file) for file in files}


def _signature(path):
    # Not ctime: uv hard-links installed files from its cache, which changes ctime.
    try:
        st = os.stat(path)
        return (st.st_ino, st.st_size, st.st_mtime_ns)
    except OSError:
        return None


def _changed(watched):
    for file, signature in watched.items():
        if _signature(file) != signature:
            return file
    return None


def _prepare(scratch):
    """Runs the start-up script's import section as a fresh run would; returns the state the
    server forks from. Its output is captured: each op's stdout/stderr starts with it."""
    script = _startup_script()
    with open(script, "rb") as f:
        source = f.read()
    # As `python script.py` does: the script's real directory first on sys.path.
    sys.path[0] = os.path.dirname(os.path.realpath(script))
    sys.argv[:] = [script]
    head, rest = _split(source, script)
    main = type(sys)("__main__")
    main.__dict__.update(_main_globals(script))
    sys.modules["__main__"] = main
    before = set(sys.modules)
    paths = [os.path.join(scratch, "preimport.1"), os.path.join(scratch, "preimport.2")]
    saved = [_capture(1, paths[0]), _capture(2, paths[1])]
    error = None
    try:
        exec(head, main.__dict__)
    except BaseException as e:  # noqa: BLE001 - SystemExit or KeyboardInterrupt at import too
        error = e
    output = [_release(fd, saved[fd - 1], paths[fd - 1]) for fd in (1, 2)]
    if error is not None:
        tail = output[1].decode("utf-8", "replace").strip().splitlines()[-5:]
        raise StartFailed(
            "the start-up script's import section failed: %s: %s%s"
            % (type(error).__name__, error, "".join("\n" + line for line in tail))
        )
    threads = _thread_count()
    if threads > 1:
        raise StartFailed(
            "the start-up imports started %d threads; a fork keeps only one of them" % (threads - 1)
        )
    return {
        "script": script,
        "main": main,
        "rest": rest,
        "output": output,
        "watched": _watched_files(set(sys.modules) - before, script),
        "modules": set(sys.modules),
    }


def _main_globals(file):
    """A fresh __main__ namespace for `file`, as the interpreter makes it for a script."""
    main = dict(_FRESH_MAIN)
    main["__doc__"] = None
    main["__file__"] = file
    main["__cached__"] = None
    if "__annotations__" in main:
        main["__annotations__"] = {}
    loader = _FRESH_MAIN.get("__loader__")
    if loader is not None:
        main["__loader__"] = type(loader)("__main__", file)
    return main


_helpers = {}


def _import_helpers():
    """The server's own modules, imported after the chain; each child forgets them."""
    import json
    import select
    import signal
    import socket

    _helpers.update(json=json, select=select, signal=signal, socket=socket)


def _serve(state, scratch, token):
    """The control loop. Returns only in a forked child: the job it must run."""
    signal = _helpers["signal"]
    select = _helpers["select"]
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    os.set_blocking(CONTROL_FD, True)
    state["server_fds"] = [CONTROL_FD, wake_r, wake_w]
    state["sigchld"] = signal.getsignal(signal.SIGCHLD)
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    signal.signal(signal.SIGCHLD, lambda signo, frame: None)
    state["running"] = {}
    buffer = b""
    while True:
        readable = select.select([CONTROL_FD, wake_r], [], [])[0]
        if wake_r in readable:
            os.read(wake_r, 4096)
            _reap(state["running"])
        if CONTROL_FD not in readable:
            continue
        data = os.read(CONTROL_FD, 1 << 16)
        if not data:
            os._exit(0)
        buffer += data
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            job = _handle(state, scratch, token, _helpers["json"].loads(line))
            if job is not None:
                return job
        # A child may have ended while we handled requests; its SIGCHLD woke the pipe anyway.


def _reap(running):
    while running:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        run_id = running.pop(pid, None)
        if run_id is None:
            continue
        if os.WIFSIGNALED(status):
            _send({"ev": "exited", "id": run_id, "signal": os.WTERMSIG(status)})
        else:
            _send({"ev": "exited", "id": run_id, "code": os.WEXITSTATUS(status)})


def _handle(state, scratch, token, request):
    run_id = request["id"]
    changed = _changed(state["watched"])
    if changed is not None:
        _send({"ev": "refused", "id": run_id, "stale": True, "reason": changed + " changed"})
        return None
    socket = _helpers["socket"]
    streams = []
    try:
        for stream in (1, 2):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            streams.append(s)
            s.connect(os.path.join(scratch, "s"))
            s.sendall(("%s %s %d\n" % (token, run_id, stream)).encode("ascii"))
        pid = os.fork()
    except OSError as e:
        for s in streams:
            s.close()
        _send({"ev": "refused", "id": run_id, "stale": False, "reason": "fork: %s" % e})
        return None
    if pid == 0:
        return _become_op(state, request, streams)
    for s in streams:
        s.close()
    state["running"][pid] = run_id
    _send({"ev": "started", "id": run_id, "pid": pid})
    return None


def _become_op(state, request, streams):
    """In the child: everything a fresh `python -u startup.py <payload>` would have."""
    try:
        signal = _helpers["signal"]
        os.setsid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, state["sigchld"])
        for fd, s in zip((1, 2), streams):
            os.dup2(s.fileno(), fd)
            os.close(s.detach())
        for fd in state["server_fds"]:
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # What `bash -c` adds to the environment of the command it execs.
        os.environ["PWD"] = os.getcwd()
        os.environ["SHLVL"] = _shell_level(os.environ.get("SHLVL"))
        os.environ["_"] = sys.executable
        if request["kind"] == "startup":
            script = state["script"]
            code, module = state["rest"], state["main"]
            argv = [script] + request["args"]
            orig_argv = ["python", "-u", script] + request["args"]
        else:
            code = compile(request["code"], "<string>", "exec", dont_inherit=True)
            module = type(sys)("__main__")
            module.__dict__.update(_code_main_globals())
            argv = ["-c"] + request["args"]
            orig_argv = ["python", "-u", "-c", request["code"]] + request["args"]
        sys.argv[:] = argv
        if hasattr(sys, "orig_argv"):
            sys.orig_argv = orig_argv
        # Directories may have changed since the server listed them (a fresh process lists
        # them again at its first import from each).
        for finder in list(sys.path_importer_cache.values()):
            if hasattr(finder, "invalidate_caches"):
                finder.invalidate_caches()
        for name in set(sys.modules) - state["modules"]:
            del sys.modules[name]
        sys.modules["__main__"] = module
        if request["kind"] == "startup":
            for fd, data in zip((1, 2), state["output"]):
                _write_all(fd, data)
        return code, module.__dict__
    except BaseException as e:  # noqa: BLE001 - nothing may return into the server loop
        _write_all(2, ("[LZY-WORKER] the forked op could not start: %r\n" % (e,)).encode())
        os._exit(98)


def _shell_level(inherited):
    """SHLVL as bash passes it to a command it execs: its own level (inherited + 1) minus one."""
    try:
        level = int(inherited) if inherited is not None else 0
    except ValueError:
        level = 0
    level = 0 if level + 1 < 0 else 1 if level + 1 >= 1000 else level + 1
    return str(max(level - 1, 0))


def _code_main_globals():
    main = _main_globals("")
    for name in ("__file__", "__cached__"):
        main.pop(name, None)
    main["__loader__"] = sys.modules.get("_frozen_importlib").BuiltinImporter
    return main


def _write_all(fd, data):
    while data:
        data = data[os.write(fd, data) :]


def _run(job):
    """Runs the op's script in the child as the interpreter runs a script, and exits alike."""
    code, main = job
    signal = _helpers["signal"]
    try:
        exec(code, main)
    except SystemExit:
        raise
    except BaseException:  # noqa: BLE001 - as the interpreter: print, exit 1
        etype, value, tb = sys.exc_info()
        # The op's frames only: the traceback a fresh interpreter prints starts at <module>.
        tb = tb.tb_next if tb is not None else None
        value = value.with_traceback(tb)
        sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
        if sys.version_info >= (3, 12):
            sys.last_exc = value
        sys.excepthook(etype, value, tb)
        del value, tb
        if issubclass(etype, KeyboardInterrupt):
            # Since 3.8 an uncaught KeyboardInterrupt ends the interpreter by SIGINT.
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:  # noqa: BLE001
                    pass
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        raise SystemExit(1)


def _start():
    scratch, token = sys.argv[1], sys.argv[2]
    try:
        state = _prepare(scratch)
    except BaseException as e:  # noqa: BLE001 - any failure: the worker falls back to bash
        _import_helpers()
        _send({"ev": "failed", "reason": str(e) if isinstance(e, StartFailed) else repr(e)})
        os._exit(0)
    _import_helpers()
    gc = __import__("gc")
    # Keeps the children's collector off the server's objects: fewer copied pages per fork.
    gc.collect()
    gc.freeze()
    _send(
        {
            "ev": "ready",
            "pid": os.getpid(),
            "script": state["script"],
            "modules": len(state["modules"]),
            "watched": len(state["watched"]),
        }
    )
    return _serve(state, scratch, token)


if __name__ == "__main__":
    _run(_start())
