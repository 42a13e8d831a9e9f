import { EnvironmentError } from './environment-error.ts';
import { runInstaller } from './installer-process.ts';

// Run by the op's own interpreter with its local modules, so everything the payload refers to
// by reference (lzy's ProcessingRequest, the op's modules) imports exactly as in the op.
// Entries of args_paths / kwargs_paths are (type, path) pairs (pylzy) or plain paths (our SDK).
const REWRITE = `
import base64, json, os, pickle, sys
local_modules = os.environ.get("LOCAL_MODULES")
if local_modules and local_modules not in sys.path:
    sys.path.append(local_modules)
try:
    import cloudpickle as pickler
except ImportError:
    pickler = pickle
job = json.loads(sys.argv[1]) if len(sys.argv) > 1 else json.load(sys.stdin)
request = pickle.loads(base64.b64decode(job["payload"]))
remap, seen = job["remap"], {}
def moved(entry):
    path = entry if isinstance(entry, str) else entry[1]
    if path not in remap:
        return entry
    k = seen[path] = seen.get(path, -1) + 1
    if k >= len(remap[path]):
        sys.exit(f"the payload reads {path} more often than the op declares it as an input ({len(remap[path])} times)")
    new = remap[path][k]
    return new if isinstance(entry, str) else (entry[0], new, *entry[2:])
if not hasattr(request, "args_paths") or not hasattr(request, "kwargs_paths"):
    sys.exit(f"the payload is a {type(request).__name__}, not a request with args_paths and kwargs_paths")
# object.__setattr__: also for a frozen dataclass.
object.__setattr__(request, "args_paths", [moved(e) for e in request.args_paths])
object.__setattr__(request, "kwargs_paths", {n: moved(e) for n, e in request.kwargs_paths.items()})
for path, paths in remap.items():
    if seen.get(path, -1) + 1 != len(paths):
        sys.exit(f"the payload reads {path} {seen.get(path, -1) + 1} times, the op declares it as an input {len(paths)} times")
sys.stdout.write(base64.b64encode(pickler.dumps(request)).decode("ascii"))
`;

/** `python -c <code> <args…>` in a fork of the environment's warm interpreter, if it has one. */
export type ForkedPython = (
  code: string,
  args: string[],
) => Promise<{ rc: number; stdout: string; stderr: string } | undefined>;

/**
 * pylzy's start-up payload with each repeated input path's k-th occurrence (args_paths, then
 * kwargs_paths) replaced by its own local path, unpickled and pickled again by `python`: in a
 * fork of the environment's fork server when `fork` can run it (its imports are warm there),
 * else in a new interpreter.
 * @throws EnvironmentError when the payload cannot be unpickled or does not match the slots
 */
export async function rewriteStartupPayload(
  job: {
    python: string;
    env: Record<string, string>;
    payload: string;
    repeatedInputs: ReadonlyMap<string, readonly string[]>;
    fork: ForkedPython | undefined;
  },
  signal: AbortSignal,
): Promise<string> {
  const input = JSON.stringify({
    payload: job.payload,
    remap: Object.fromEntries(job.repeatedInputs),
  });
  const { rc, stdout, stderr } =
    (await job.fork?.(REWRITE, [input])) ?? (await rewriteInNewInterpreter(job, input, signal));
  if (rc !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(stdout))
    throw new EnvironmentError(
      `cannot give the op's repeated input slots their own files: rewriting its start-up ` +
        `payload with the op's interpreter failed (exit code ${rc}):\n${lastLines(stderr)}`,
    );
  return stdout;
}

async function rewriteInNewInterpreter(
  job: { python: string; env: Record<string, string> },
  input: string,
  signal: AbortSignal,
): Promise<{ rc: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const { rc } = await runInstaller({
    file: job.python,
    args: ['-c', REWRITE],
    env: job.env,
    cwd: '/',
    stdin: input,
    output: undefined,
    onStdout: (data) => void (stdout += data.toString('utf8')),
    onStderr: (data) => void (stderr += data.toString('utf8')),
    signal,
  });
  return { rc, stdout, stderr };
}

function lastLines(text: string): string {
  return text.trimEnd().split('\n').slice(-20).join('\n');
}
