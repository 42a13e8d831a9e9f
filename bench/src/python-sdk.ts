/**
 * The four workloads through our Python SDK (python/, `lzy`), driven by bench/python/bench_sdk.py
 * in the Python test venv (python/.venv from scripts/setup-python.sh, or LZY_BENCH_PYTHON):
 * - warm no-op op in a chain of BENCH_CHAIN_N (20) ops, per op (bar 15 ms); baseline a bare
 *   `python -c pass` of the ops' interpreter + one PG commit;
 * - BENCH_FANOUT_N (1000) ops + one reduce op, ops/s (bar 200); baseline as many bare python
 *   spawns, 8 at a time;
 * - BENCH_BYTES (256 MiB) `bytes` op → op with the S3 copy written, MiB/s = S / (T(S) − T(1 byte))
 *   (bar 600); baselines loopback TCP and a disk file copy;
 * - suite start → first result (bar 3 s): a second, fresh suite (its op environment already in
 *   the worker's cache, as for a returning user) and a new Python process running one op; baseline
 *   PostgreSQL + S3 start alone.
 * The SDK polls graph status every FETCH_STATUS_PERIOD_SEC (pylzy's knob, default 1 s); the
 * bench sets it to BENCH_PY_POLL_S (0.05 s: the TypeScript SDK's longest poll period), since the
 * poll period otherwise dominates a chain's time.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ClientConfig } from '@lzy/sdk';
import { bareSpawnsMs, barePython, spawnAndCommitMs } from './baselines.ts';
import { startBenchSuite } from './bench-suite.ts';
import type { BenchSuite } from './bench-suite.ts';
import { printLine, timed } from './report.ts';
import { diskCopyMiBs, loopbackMiBs } from './transfer-baselines.ts';

const REPO_DIR = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../python/bench_sdk.py', import.meta.url));
const MiB = 1024 * 1024;
const POOL_VMS = 8;

interface PythonSetup {
  /** The client's interpreter (the venv with `lzy`). */
  python: string;
  /** Its base interpreter: what workers run the ops with. */
  basePython: string;
  minor: string;
}

function pythonSetup(): PythonSetup {
  const python = process.env.LZY_BENCH_PYTHON ?? `${REPO_DIR}python/.venv/bin/python`;
  if (!existsSync(python)) {
    throw new Error(
      `no Python with our SDK at ${python}: run \`bash scripts/setup-python.sh\` (or set LZY_BENCH_PYTHON)`,
    );
  }
  const [basePython = '', minor = ''] = execFileSync(
    python,
    [
      '-c',
      'import sys; print(sys._base_executable, f"{sys.version_info[0]}.{sys.version_info[1]}")',
    ],
    { encoding: 'utf8' },
  )
    .trim()
    .split(' ');
  return { python, basePython, minor };
}

/** Runs bench_sdk.py; resolves with its JSON lines and the process's wall time. */
async function runScript(
  setup: PythonSetup,
  args: string[],
  config: ClientConfig,
): Promise<{ lines: Array<Record<string, number | string>>; wallMs: number; output: string }> {
  let stdout = '';
  let stderr = '';
  const wallMs = await timed(
    () =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(setup.python, [SCRIPT, ...args], {
          env: {
            ...process.env,
            LZY_ENDPOINT: config.endpoint,
            LZY_WHITEBOARD_ENDPOINT: config.whiteboardEndpoint,
            LZY_USER: config.user,
            LZY_KEY_PATH: config.keyPath,
            FETCH_STATUS_PERIOD_SEC: process.env.BENCH_PY_POLL_S ?? '0.05',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('error', reject);
        child.on('close', (code) =>
          code === 0
            ? resolve()
            : reject(
                new Error(
                  `bench_sdk.py ${args.join(' ')} exited ${code}:\n${stderr.split('\n').slice(-30).join('\n')}`,
                ),
              ),
        );
      }),
  );
  // The ops' relayed output shares stdout (with colour codes and no final newline): a result
  // line may follow some of it on the same line.
  const lines = stdout
    .split('\n')
    .map((line) => line.slice(Math.max(0, line.indexOf('{"kind"'))))
    .filter((line) => line.startsWith('{"kind"'))
    .map((line) => JSON.parse(line) as Record<string, number | string>);
  return { lines, wallMs, output: `${stdout}\n${stderr}` };
}

function lineOf(
  run: { lines: Array<Record<string, number | string>>; output: string },
  kind: string,
) {
  const line = run.lines.find((l) => l.kind === kind);
  if (line === undefined)
    throw new Error(
      `bench_sdk.py printed no ${kind} result; its output:\n${run.output.slice(-3000)}`,
    );
  return (field: string) => Number(line[field]);
}

async function benchWorkloads(setup: PythonSetup, suite: BenchSuite): Promise<void> {
  const chainN = Number(process.env.BENCH_CHAIN_N ?? 20);
  const fanOutN = Number(process.env.BENCH_FANOUT_N ?? 1000);
  const sizeBytes = Number(process.env.BENCH_BYTES ?? 256 * MiB);
  const run = await runScript(
    setup,
    ['workloads', '--chain', `${chainN}`, '--fan-out', `${fanOutN}`, '--bytes', `${sizeBytes}`],
    suite.config,
  );
  const bare = barePython(setup.basePython);

  const chain = lineOf(run, 'chain');
  printLine({
    name: `python: warm op in a chain of ${chainN} (per op)`,
    ours: chain('ms') / chainN,
    baseline: await spawnAndCommitMs(suite.scratchDbUrl, chainN, bare),
    baselineName: 'python spawn + PG commit',
    unit: 'ms',
    higherIsBetter: false,
    target: 15,
  });
  process.stdout.write(
    `  first op of the chain's workflow (cold VMs): ${chain('warm_up_ms').toFixed(0)} ms\n`,
  );

  const fanOut = lineOf(run, 'fan-out');
  const ops = fanOutN + 1;
  printLine({
    name: `python: fan-out of ${fanOutN} ops + reduce`,
    ours: ops / (fanOut('ms') / 1000),
    baseline: ops / ((await bareSpawnsMs(ops, POOL_VMS, bare)) / 1000),
    baselineName: `bare python spawns, ${POOL_VMS} at a time`,
    unit: 'ops/s',
    higherIsBetter: true,
    target: 200,
  });

  const opToOp = lineOf(run, 'op-to-op');
  // The fixed cost of two ops is taken out, unless the size is too small to stand out of the
  // noise (the big graph was not slower than the 1-byte one): then the whole graph's time counts.
  const bigMs = opToOp('ms');
  const fixedOut = bigMs > opToOp('small_ms');
  const ours = sizeBytes / MiB / ((fixedOut ? bigMs - opToOp('small_ms') : bigMs) / 1000);
  const line = { unit: 'MiB/s', higherIsBetter: true, target: 600 };
  const name = `python: op→op ${sizeBytes / MiB} MiB bytes (S3 copy written${fixedOut ? '' : ', fixed cost included'})`;
  printLine({
    name,
    ours,
    baseline: await loopbackMiBs(sizeBytes),
    baselineName: 'loopback TCP',
    ...line,
  });
  printLine({
    name,
    ours,
    baseline: await diskCopyMiBs(sizeBytes),
    baselineName: 'disk file copy',
    ...line,
  });
  process.stdout.write(
    `  ${sizeBytes / MiB} MiB graph ${opToOp('ms').toFixed(0)} ms, 1-byte graph ${opToOp('small_ms').toFixed(0)} ms\n`,
  );
}

async function benchFirstResult(
  setup: PythonSetup,
  extraEnv: Parameters<typeof startBenchSuite>[0],
) {
  const started = performance.now();
  const suite = await startBenchSuite(extraEnv);
  try {
    const upMs = performance.now() - started;
    const { wallMs } = await runScript(setup, ['first'], suite.config);
    const line = { unit: 'ms', higherIsBetter: false, target: 3000 };
    const name = 'python: suite start to first result';
    const ours = upMs + wallMs;
    printLine({ name, ours, baseline: 3000, baselineName: 'bar', ...line });
    printLine({
      name,
      ours,
      baseline: suite.phasesMs.postgres + suite.phasesMs.s3,
      baselineName: 'PostgreSQL + S3 start alone',
      ...line,
    });
    const phases = Object.entries(suite.phasesMs).map(([phase, ms]) => `${phase} ${ms.toFixed(0)}`);
    process.stdout.write(
      `  phases (ms): ${phases.join(', ')}, python process with one op ${wallMs.toFixed(0)}\n`,
    );
  } finally {
    await suite.stop();
  }
}

export async function benchPythonSdk(): Promise<void> {
  const setup = pythonSetup();
  const extraEnv = {
    allocator: { LZY_WORKER_PYTHONS: JSON.stringify({ [setup.minor]: setup.basePython }) },
  };
  const suite = await startBenchSuite(extraEnv);
  try {
    await benchWorkloads(setup, suite);
  } finally {
    await suite.stop();
  }
  await benchFirstResult(setup, extraEnv);
}

if (import.meta.main) await benchPythonSdk();
