import { EnvironmentError } from './environment-error.ts';
import { runInstaller } from './installer-process.ts';

/** What an environment has of protobuf (the installed version) and of `google.rpc`. */
export interface ProtobufProbe {
  protobuf: string | null;
  googleRpc: boolean;
}

// find_spec imports the parent packages: a missing `google` or `google.rpc` raises ImportError.
const PROBE = `
import importlib.metadata as metadata, importlib.util as util, json
try:
    protobuf = metadata.version("protobuf")
except metadata.PackageNotFoundError:
    protobuf = None
try:
    google_rpc = util.find_spec("google.rpc.status_pb2") is not None
except ImportError:
    google_rpc = False
print(json.dumps({"protobuf": protobuf, "googleRpc": google_rpc}))
`;

/**
 * Asks `python` (an environment's interpreter, with its .pth files) for its protobuf version and
 * whether `google.rpc.status_pb2` is importable.
 * @throws EnvironmentError if the interpreter does not answer
 */
export async function probeProtobuf(
  python: string,
  env: Record<string, string>,
  signal: AbortSignal,
): Promise<ProtobufProbe> {
  let printed = '';
  const { rc, tail } = await runInstaller({
    file: python,
    args: ['-c', PROBE],
    env,
    cwd: '/',
    output: (data) => Promise.resolve(void (printed += data.toString('utf8'))),
    signal,
  });
  const last = printed.trim().split('\n').at(-1) ?? '';
  if (rc !== 0 || !last.startsWith('{'))
    throw new EnvironmentError(`the environment's python cannot list its packages:\n${tail}`);
  return JSON.parse(last) as ProtobufProbe;
}
