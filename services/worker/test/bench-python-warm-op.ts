/**
 * Per-op time of a warm no-op Python op through the worker, with the fork server and without
 * (a new interpreter per op, LZY_WORKER_FORK_SERVER=false). A measurement, not a test:
 *
 *   node services/worker/test/bench-python-warm-op.ts [ops per worker, default 30]
 *
 * Two in-process workers share one uv environment (our SDK's lzy/ai shipped as local modules,
 * cloudpickle pinned) and run the same op: our SDK's real start-up script and a cloudpickled
 * ProcessingRequest of `def noop(): return None` (python/.venv, scripts/setup-python.sh). Each
 * op is timed from Execute to the end of WatchExecution (its output written and bound); the
 * workers take turns so all see the same load. Baseline of the same run: a plain `bash -c` op
 * that writes its output (no Python), the worker's own path per op.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CleanupStack } from '@lzy/testing';
import { ChannelManagerDouble } from './doubles/channel-manager-double.ts';
import {
  moduleServer,
  pylzyYaml,
  pythonTaskDesc,
  pythonToolchain,
  pythonWorkerEnv,
} from './python-fixtures.ts';
import {
  finishedOf,
  initAndExecute,
  log,
  slot,
  startTestWorker,
  taskDesc,
  tempDir,
  watchAll,
} from './worker-harness.ts';
import type { TestWorker } from './worker-harness.ts';

const PYTHON_DIR = fileURLToPath(new URL('../../../python/', import.meta.url));
const SDK_PYTHON = path.join(PYTHON_DIR, '.venv', 'bin', 'python');
const COMMAND_PREFIX = `python -u $(python -c 'import site; print(site.getsitepackages()[0])')/lzy/api/v1/startup.py  `;
const OUTPUT = '/c/noop.return_0';

const PAYLOAD = `
import base64, cloudpickle, sys
from lzy.startup_request import ProcessingRequest
def noop():
    return None
request = ProcessingRequest(func=noop, args_paths=[], kwargs_paths={}, output_paths=[sys.argv[1]])
print(base64.b64encode(cloudpickle.dumps(request)).decode())
`;

async function sdkZip(cleanup: CleanupStack, top: 'lzy' | 'ai'): Promise<Buffer> {
  const out = path.join(await tempDir(cleanup, 'bench-zip'), `${top}.zip`);
  execFileSync(SDK_PYTHON, ['-m', 'zipfile', '-c', out, top], { cwd: PYTHON_DIR });
  return readFile(out);
}

async function timedOp(w: TestWorker, taskId: string, command: string, op: OpSpec | undefined) {
  const slots = [{ slot: slot(OUTPUT, 'OUTPUT'), channelId: `ch-${taskId}` }];
  const desc =
    op === undefined
      ? taskDesc(command, slots)
      : pythonTaskDesc(command, pylzyYaml(op.minor, [op.cloudpickle]), {
          localModules: op.localModules,
          slots,
        });
  const started = performance.now();
  await initAndExecute(w, { taskId, desc });
  const finished = finishedOf(await watchAll(w, taskId));
  const ms = performance.now() - started;
  if (finished?.rc !== 0) throw new Error(`${taskId} failed: ${JSON.stringify(finished)}`);
  return ms;
}

interface OpSpec {
  minor: string;
  cloudpickle: string;
  localModules: Array<{ name: string; uri: string }>;
}

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return `median ${at(0.5).toFixed(1)} ms, mean ${mean.toFixed(1)} ms, p90 ${at(0.9).toFixed(1)} ms`;
}

const n = Number(process.argv[2] ?? 30);
const cleanup = new CleanupStack();
try {
  const tools = pythonToolchain();
  const env = await pythonWorkerEnv(cleanup, tools);
  const cm = new ChannelManagerDouble();
  cleanup.defer(() => cm.stop());
  env.LZY_CHANNEL_MANAGER_ADDRESS = await cm.start(log);
  const forked = await startTestWorker(cleanup, env);
  const bash = await startTestWorker(cleanup, { ...env, LZY_WORKER_FORK_SERVER: 'false' });
  const server = await moduleServer(cleanup, {
    lzy: await sdkZip(cleanup, 'lzy'),
    ai: await sdkZip(cleanup, 'ai'),
  });
  const version = execFileSync(SDK_PYTHON, [
    '-c',
    'import cloudpickle; print(cloudpickle.__version__)',
  ])
    .toString()
    .trim();
  const op: OpSpec = {
    minor: tools.minor,
    cloudpickle: `cloudpickle==${version}`,
    localModules: Object.entries(server.urls).map(([name, uri]) => ({ name: `/sdk/${name}`, uri })),
  };
  const command = `${COMMAND_PREFIX}${execFileSync(SDK_PYTHON, ['-c', PAYLOAD, OUTPUT], { cwd: PYTHON_DIR }).toString().trim()}`;
  const plain = `printf x > "$LZY_MOUNT${OUTPUT}"`;
  const times = { forked: [] as number[], bash: [] as number[], plain: [] as number[] };
  for (let i = -2; i < n; i++) {
    // Two warm-up ops each: the environment, the overlay and the fork server are ready after.
    const runs = [
      ['forked', forked, command, op],
      ['bash', bash, command, op],
      ['plain', bash, plain, undefined],
    ] as const;
    for (const [name, w, cmd, spec] of runs) {
      const ms = await timedOp(w, `${name}-${i + 2}`, cmd, spec);
      if (i >= 0) times[name].push(ms);
    }
  }
  console.info(`warm no-op Python op through the worker, ${n} ops each (our SDK's start-up):`);
  console.info(`  new interpreter per op (LZY_WORKER_FORK_SERVER=false): ${summary(times.bash)}`);
  console.info(`  fork server:                                         ${summary(times.forked)}`);
  console.info(`  baseline, plain bash op writing its output:          ${summary(times.plain)}`);
} finally {
  await cleanup.close();
}
