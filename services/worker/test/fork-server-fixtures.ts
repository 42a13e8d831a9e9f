import { readFile } from 'node:fs/promises';
import type { CleanupStack } from '@lzy/testing';
import { moduleServer, pylzyYaml, pythonTaskDesc, zipOf } from './python-fixtures.ts';
import { finishedOf, initAndExecute, stdText, watchAll } from './worker-harness.ts';
import type { TestWorker } from './worker-harness.ts';

/** The §4.4 command; its payload word selects what the probe start-up script does. */
export function startupCommand(mode: string): string {
  const payload = Buffer.from(mode).toString('base64');
  return `python -u $(python -c 'import site; print(site.getsitepackages()[0])')/lzy/api/v1/startup.py  ${payload}`;
}

/**
 * lzy/api/v1/__init__.py of the probe: what pylzy's imports do that matters here (random is
 * seeded at import) and a line per import into imports.log beside it, so a test counts the
 * interpreters that imported it.
 */
export const PROBE_INIT = [
  'import os, random',
  'with open(os.path.join(os.path.dirname(__file__), "imports.log"), "a") as f:',
  '    f.write("%d\\n" % os.getpid())',
].join('\n');

/**
 * A start-up script that reports what the interpreter gave it, or ends in one of the ways an
 * op can end. Its import section first (§5.1 step 1), as our SDK's: it drops its own directory
 * from sys.path before importing lzy (lzy/api/v1/lzy.py would shadow the package); then
 * LOCAL_MODULES (step 2).
 */
export const PROBE_STARTUP = String.raw`_MAIN_KEYS = list(globals())
_DOC, _CACHED, _SPEC, _PACKAGE = __doc__, __cached__, __spec__, __package__
import os, sys
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)
import lzy.api.v1
import base64, json, signal, stat, time
_MODULES = sorted(sys.modules)
_PATH = list(sys.path)
mode = base64.b64decode(sys.argv[1]).decode()
local = os.environ.get("LOCAL_MODULES")
if local:
    sys.path.append(local)


def report():
    import common
    return {
        "main": _MAIN_KEYS, "doc": _DOC, "cached": _CACHED, "spec": repr(_SPEC),
        "package": _PACKAGE, "name": __name__, "file": __file__,
        "loader": [type(__loader__).__name__, getattr(__loader__, "path", None)],
        "argv": sys.argv, "origArgv": getattr(sys, "orig_argv", None),
        "executable": sys.executable, "prefix": sys.prefix, "flags": str(sys.flags),
        "pathAtStart": _PATH, "pathAfterStep2": sys.path, "common": common.__file__,
        "modules": _MODULES, "modulesAtReport": sorted(sys.modules),
        "cwd": os.getcwd(), "env": dict(os.environ),
        "fds": sorted(os.listdir("/proc/self/fd"), key=int),
        "fdKinds": [stat.S_IFMT(os.fstat(fd).st_mode) for fd in (0, 1, 2)],
        "ownGroup": os.getpgid(0) == os.getpid(), "ownSession": os.getsid(0) == os.getpid(),
        "stdio": [[s.encoding, s.errors, s.line_buffering, s.write_through] for s in (sys.stdout, sys.stderr)],
        "signals": [repr(signal.getsignal(s)) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE)],
        "blocked": sorted(signal.pthread_sigmask(signal.SIG_BLOCK, [])),
        "umask": os.umask(os.umask(0o22)),
    }


if mode == "report":
    print(json.dumps(report()))
elif mode == "hello":
    print("hello from the op")
    print("and from its stderr", file=sys.stderr)
elif mode == "ppid":
    print(os.getppid())
elif mode == "raise":
    raise ValueError("boom from the op")
elif mode == "exit3":
    sys.exit(3)
elif mode == "exit-message":
    sys.exit("a message from the op")
elif mode == "os-exit4":
    print("before os._exit")
    os._exit(4)
elif mode == "kill9":
    print("before SIGKILL")
    os.kill(os.getpid(), signal.SIGKILL)
elif mode == "interrupt":
    raise KeyboardInterrupt
elif mode == "thread":
    import threading
    threading.Thread(target=lambda: (time.sleep(0.2), print("thread done"))).start()
elif mode == "atexit":
    import atexit
    atexit.register(print, "bye from atexit")
elif mode == "live":
    print("first on stdout", flush=True)
    while not os.path.exists(os.environ["LZY_MOUNT"] + "/go"):
        time.sleep(0.01)
    print("then on stderr", file=sys.stderr)
elif mode == "set-state":
    import builtins, common
    lzy.api.v1.STATE = "set by an earlier op"
    common.X = 1
    builtins.LEAK = True
    print("set")
elif mode == "read-state":
    import builtins
    print(json.dumps([getattr(lzy.api.v1, "STATE", None), "common" in sys.modules, hasattr(builtins, "LEAK")]))
elif mode == "random":
    import random
    print(random.random())
elif mode == "sleep-child":
    import subprocess
    child = subprocess.Popen(["sleep", "600"])
    print(os.getppid(), os.getpid(), child.pid, flush=True)
    time.sleep(600)
`;

/** The client's shipped modules (pylzy ships lzy, ai and the user's own, §4.5), served as zips. */
export async function probeModules(
  cleanup: CleanupStack,
  python: string,
  sources: { init?: string; startup?: string } = {},
): Promise<Array<{ name: string; uri: string }>> {
  const zips = {
    lzy: await zipOf(cleanup, python, {
      'lzy/__init__.py': '',
      'lzy/api/__init__.py': '',
      'lzy/api/v1/__init__.py': sources.init ?? PROBE_INIT,
      'lzy/api/v1/lzy.py': '',
      'lzy/api/v1/startup.py': sources.startup ?? PROBE_STARTUP,
    }),
    ai: await zipOf(cleanup, python, { 'ai/__init__.py': '' }),
    common: await zipOf(cleanup, python, { 'common.py': 'X = 0\n' }),
  };
  const server = await moduleServer(cleanup, zips);
  return Object.entries(server.urls).map(([name, uri]) => ({ name: `/client/${name}`, uri }));
}

export interface OpResult {
  rc: number | undefined;
  description: string | undefined;
  stdout: string;
  stderr: string;
}

/** Runs the probe in `mode` as task `taskId` and waits for it to finish. */
export async function runProbe(
  w: TestWorker,
  taskId: string,
  op: { mode: string; minor: string; localModules: Array<{ name: string; uri: string }> },
): Promise<OpResult> {
  const desc = pythonTaskDesc(startupCommand(op.mode), pylzyYaml(op.minor, []), {
    localModules: op.localModules,
  });
  await initAndExecute(w, { taskId, desc });
  const events = await watchAll(w, taskId);
  const finished = finishedOf(events);
  return {
    rc: finished?.rc,
    description: finished?.description,
    stdout: stdText(events, 'stdout'),
    stderr: stdText(events, 'stderr'),
  };
}

/** The probe's `report` (the fields the tests read by name; the rest is compared whole). */
export interface ProbeReport {
  file: string;
  executable: string;
  argv: string[];
  pathAfterStep2: string[];
  env: Record<string, string>;
  modules: string[];
  ownGroup: boolean;
  ownSession: boolean;
}

export function probeReport(result: OpResult): ProbeReport {
  return JSON.parse(result.stdout) as ProbeReport;
}

/** Lines in the probe's imports.log: how many interpreters imported lzy.api.v1 so far. */
export async function importCount(startupFile: string): Promise<number> {
  const log = startupFile.replace(/startup\.py$/, 'imports.log');
  const text = await readFile(log, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '').length;
}

/** Gone or a zombie: a process nothing runs as any more. */
export async function isGone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat === undefined || /^\d+ \(.*\) Z /.test(stat);
}
