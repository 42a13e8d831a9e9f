import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CleanupStack } from '@lzy/testing';
import { ChannelManagerDouble } from './doubles/channel-manager-double.ts';
import {
  moduleServer,
  pylzyYaml,
  pythonTaskDesc,
  pythonToolchain,
  pythonWorkerEnv,
  zipOf,
} from './python-fixtures.ts';
import type { PythonToolchain } from './python-fixtures.ts';
import {
  finishedOf,
  initAndExecute,
  log,
  slot,
  startTestWorker,
  stdText,
  taskDesc,
  tempDir,
  watchAll,
} from './worker-harness.ts';
import type { TestWorker } from './worker-harness.ts';

/**
 * pylzy's start-up on the worker (python-client-protocol §5): what its first import needs
 * before LOCAL_MODULES is on sys.path (§5.2), and repeated input paths of a map-reduce (§4.1).
 * The shipped `lzy` here is a small stand-in with the same needs; protobuf and
 * googleapis-common-protos are the real packages from PyPI.
 */

const cleanup = new CleanupStack();
afterEach(() => cleanup.close());

let tools: PythonToolchain;
beforeAll(() => {
  tools = pythonToolchain();
});

const COMMAND_PREFIX = `python -u $(python -c 'import site; print(site.getsitepackages()[0])')/lzy/api/v1/startup.py  `;

/** pylzy's `lzy/api/v1/__init__.py` imports what its start-up needs (§5.2): here two of them. */
const PYLZY_LIKE_INIT = [
  'import yaml  # shipped as a local module by pylzy, not pinned',
  'import google.protobuf',
  'from google.rpc import status_pb2  # pylzy stubs; neither pinned nor shipped',
  'if tuple(int(p) for p in google.protobuf.__version__.split(".")[:2]) >= (3, 20):',
  '    raise TypeError("Descriptors cannot not be created directly (stubs of protoc 3.19)")',
].join('\n');

/** The start-up: unpickle (§5.1 step 3), read each arg from LZY_MOUNT+path, write the result. */
const STARTUP = [
  'import base64, os, pickle, sys',
  'import lzy.api.v1',
  'print("sys.path[-1]", sys.path[-1])',
  'import yaml',
  'print("yaml", yaml.__file__)',
  'if "google.rpc" in sys.modules:',
  '    print("google.rpc", list(sys.modules["google.rpc"].__path__)[0])',
  'local = os.environ.get("LOCAL_MODULES")',
  'if local: sys.path.append(local)',
  'request = pickle.loads(base64.b64decode(sys.argv[1]))',
  'mount = os.environ["LZY_MOUNT"]',
  'read = lambda entry: open(mount + entry[1]).read()',
  'args = [read(e) for e in request.args_paths]',
  'kwargs = {k: read(e) for k, e in request.kwargs_paths.items()}',
  'with open(mount + request.output_paths[0][1], "w") as f:',
  '    f.write(request.op(*args, **kwargs))',
].join('\n');

const REQUEST = [
  'import dataclasses, typing',
  '@dataclasses.dataclass(frozen=True)',
  'class ProcessingRequest:',
  '    op: typing.Callable',
  '    args_paths: list',
  '    kwargs_paths: dict',
  '    output_paths: list',
].join('\n');

const OPS =
  'def join(*xs, **kw):\n    return ",".join(xs) + ";" + ",".join(f"{k}={v}" for k, v in kw.items())\n';

async function shippedModules(init: string) {
  const python = tools.pythonPath;
  const zips = {
    lzy: await zipOf(cleanup, python, {
      'lzy/__init__.py': '',
      'lzy/api/__init__.py': '',
      'lzy/api/v1/__init__.py': init,
      'lzy/api/v1/request.py': REQUEST,
      'lzy/api/v1/startup.py': STARTUP,
    }),
    ai: await zipOf(cleanup, python, { 'ai/__init__.py': '' }),
    yaml: await zipOf(cleanup, python, { 'yaml/__init__.py': '' }),
    ops: await zipOf(cleanup, python, { 'ops.py': OPS }),
  };
  const server = await moduleServer(cleanup, zips);
  return Object.entries(server.urls).map(([name, uri]) => ({ name: `/client/${name}`, uri }));
}

/** A pickled ProcessingRequest of ops.join, made on the "client" from the same sources. */
async function payload(args: string[], kwargs: Record<string, string>, output: string) {
  const dir = await tempDir(cleanup, 'client');
  await mkdir(path.join(dir, 'lzy', 'api', 'v1'), { recursive: true });
  for (const p of ['lzy', 'lzy/api', 'lzy/api/v1'])
    await writeFile(path.join(dir, p, '__init__.py'), '');
  await writeFile(path.join(dir, 'lzy/api/v1/request.py'), REQUEST);
  await writeFile(path.join(dir, 'ops.py'), OPS);
  const script = [
    'import base64, json, pickle, sys',
    'from lzy.api.v1.request import ProcessingRequest',
    'import ops',
    'a, kw, out = json.loads(sys.argv[1])',
    'r = ProcessingRequest(ops.join, [(str, p) for p in a], {k: (str, p) for k, p in kw.items()}, [(str, out)])',
    'print(base64.b64encode(pickle.dumps(r)).decode())',
  ].join('\n');
  return execFileSync(tools.pythonPath, ['-c', script, JSON.stringify([args, kwargs, output])], {
    cwd: dir,
    encoding: 'utf8',
  }).trim();
}

async function run(
  w: TestWorker,
  taskId: string,
  desc: Parameters<typeof initAndExecute>[1]['desc'],
) {
  await initAndExecute(w, { taskId, desc });
  const events = await watchAll(w, taskId);
  return {
    finished: finishedOf(events),
    stdout: stdText(events, 'stdout'),
    stderr: stdText(events, 'stderr'),
  };
}

async function produce(w: TestWorker, taskId: string, channelId: string, text: string) {
  const out = `/${taskId}/out`;
  const result = await run(
    w,
    taskId,
    taskDesc(`printf ${text} > "$LZY_MOUNT${out}"`, [{ slot: slot(out, 'OUTPUT'), channelId }]),
  );
  expect(result.finished?.rc).toBe(0);
}

describe('pylzy start-up on the worker', () => {
  it('imports shipped modules and google.rpc before LOCAL_MODULES is appended (protobuf 3.19)', async () => {
    const cm = new ChannelManagerDouble();
    cleanup.defer(() => cm.stop());
    const env = await pythonWorkerEnv(cleanup, tools);
    const w = await startTestWorker(cleanup, {
      ...env,
      LZY_CHANNEL_MANAGER_ADDRESS: await cm.start(log),
    });
    const localModules = await shippedModules(PYLZY_LIKE_INIT);
    const command = `${COMMAND_PREFIX}${await payload([], { who: '/c1/ops.who' }, '/c1/join.return_0')}`;
    await produce(w, 'p-who', 'ch-who', 'world');
    const result = await run(
      w,
      't-pb319',
      pythonTaskDesc(command, pylzyYaml(tools.minor, ['protobuf==3.19.6']), {
        localModules,
        slots: [
          { slot: slot('/c1/ops.who', 'INPUT'), channelId: 'ch-who' },
          { slot: slot('/c1/join.return_0', 'OUTPUT'), channelId: 'ch-out' },
        ],
      }),
    );
    expect(result.finished, result.stderr).toEqual({ rc: 0, description: 'Success' });
    // google.rpc came from the overlay, protobuf (namespace `google` too) from the base env.
    expect(result.stderr).toMatch(/adding googleapis-common-protos==1\.\d+/);
    const [sysPathLast, yamlFile, rpcDir] = result.stdout.trim().split('\n');
    const localModulesDir = sysPathLast?.split(' ')[1] ?? '';
    expect(localModulesDir).toMatch(/local-modules\/set-[0-9a-f]+$/);
    expect(yamlFile).toBe(`yaml ${localModulesDir}/yaml/__init__.py`);
    expect(rpcDir).toMatch(
      new RegExp(
        `^google\\.rpc ${env.LZY_WORKER_ENV_CACHE_DIR}/[0-9a-f]{24}/lib/python${tools.minor}/site-packages/google/rpc$`,
      ),
    );
  });

  it('gives repeated input paths their own files and rewrites the payload to read them', async () => {
    const cm = new ChannelManagerDouble();
    cleanup.defer(() => cm.stop());
    const env = await pythonWorkerEnv(cleanup, tools);
    const w = await startTestWorker(cleanup, {
      ...env,
      LZY_CHANNEL_MANAGER_ADDRESS: await cm.start(log),
    });
    for (const [taskId, text] of [
      ['p-a', 'A'],
      ['p-b', 'B'],
      ['p-c', 'C'],
    ] as const)
      await produce(w, taskId, `ch-${text}`, text);
    // pylzy's join(a, b, a, k=c) on three results of one op: one path for all four inputs.
    const shared = '/c2/produce.return_0';
    const command = `${COMMAND_PREFIX}${await payload([shared, shared, shared], { k: shared }, '/c2/join.return_0')}`;
    const input = (channelId: string) => ({ slot: slot(shared, 'INPUT'), channelId });
    const result = await run(
      w,
      't-reduce',
      pythonTaskDesc(command, pylzyYaml(tools.minor, []), {
        localModules: await shippedModules('import yaml\n'),
        slots: [
          input('ch-A'),
          input('ch-B'),
          input('ch-A'),
          input('ch-C'),
          { slot: slot('/c2/join.return_0', 'OUTPUT'), channelId: 'ch-joined' },
        ],
      }),
    );
    expect(result.finished, result.stderr).toEqual({ rc: 0, description: 'Success' });
    expect(await readFile(path.join(w.mountDir, 't-reduce', 'c2', 'join.return_0'), 'utf8')).toBe(
      'A,B,A;k=C',
    );
  });

  it('refuses repeated input paths for a command that is not the start-up command', async () => {
    const w = await startTestWorker(cleanup);
    const input = (channelId: string) => ({ slot: slot('/c3/f.return_0', 'INPUT'), channelId });
    await expect(
      initAndExecute(w, {
        taskId: 't-refused',
        desc: taskDesc('cat "$LZY_MOUNT/c3/f.return_0"', [input('one'), input('two')]),
      }),
    ).rejects.toThrow(/input slot \/c3\/f\.return_0 is declared 2 times for different data/);
  });
});
