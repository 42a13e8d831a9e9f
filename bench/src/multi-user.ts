/**
 * Concurrent workflows of many users (issue 12): U users (BENCH_MU_USERS, default 10), each its
 * own iam user and key pair, launch W workflows each (BENCH_MU_PER_USER, default 10) at once, as
 * separate client processes (multi-user-client.ts) against one suite; each graph is OPS ops
 * (BENCH_MU_OPS, default 5: 4 `inc` and a `sum` of them). Every process must exit 0 with the
 * right sum. Prints the total time (first launch to last exit), the peak RSS of the suite's
 * process tree (this process with the services, PostgreSQL, versitygw, and every VM process:
 * workers, their op hosts, portals; the client processes are not counted) sampled from /proc, and
 * the peak number of VM processes. Baselines (same run): one such workflow alone in one client
 * process (its user's first: portal and worker start cold, as in the concurrent run); the same
 * U·W client processes started at once that only load the SDK and exit (the client-side floor of
 * this machine); the suite tree's RSS at rest before the run.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBenchSuite } from './bench-suite.ts';
import type { BenchSuite } from './bench-suite.ts';
import { sampleTree, watchTreePeak } from './proc-tree.ts';
import { printLine, timed } from './report.ts';

const CLIENT = fileURLToPath(new URL('./multi-user-client.ts', import.meta.url));
const MiB = 1024 * 1024;

interface ClientRun {
  name: string;
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export async function benchMultiUser(
  suite: BenchSuite,
  users = Number(process.env.BENCH_MU_USERS ?? 10),
  perUser = Number(process.env.BENCH_MU_PER_USER ?? 10),
  ops = Number(process.env.BENCH_MU_OPS ?? 5),
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lzy-bench-mu-'));
  try {
    const configPaths: string[] = [];
    for (let u = 0; u < users; u++) {
      const path = join(dir, `user-${u}.json`);
      await writeFile(path, JSON.stringify(await suite.addUser(`bench-user-${u}`)));
      configPaths.push(path);
    }
    const restingRss = (await sampleTree(process.pid, new Set())).rssBytes;
    const clientPids = new Set<number>();

    // Baseline: one workflow alone (its user's first, so its portal and worker start cold, as
    // in the concurrent run).
    const aloneMs = await timed(async () => {
      assertOk([await runClient(configPaths[0] ?? '', 'mu-alone', ops, clientPids)], ops);
    });
    const bareMs = await timed(async () => {
      const runs = configPaths.flatMap((path) =>
        Array.from({ length: perUser }, () => runClient(path, '-', ops, clientPids)),
      );
      assertOk(await Promise.all(runs), undefined);
    });

    const peak = watchTreePeak(process.pid, clientPids);
    let runs: ClientRun[] = [];
    const totalMs = await timed(async () => {
      runs = await Promise.all(
        configPaths.flatMap((path, u) =>
          Array.from({ length: perUser }, (_, k) =>
            runClient(path, `mu-${u}-${k}`, ops, clientPids),
          ),
        ),
      );
    });
    const peakTree = await peak.stop();
    const failed = runs.filter((r) => r.code !== 0 || !isRightSum(r.stdout, ops));
    for (const run of failed.slice(0, 5)) {
      process.stderr.write(
        `  ${run.name}: exit ${run.code ?? run.signal}\n${tail(run.stderr)}${tail(run.stdout)}\n`,
      );
    }
    const count = users * perUser;
    const name = `${count} workflows of ${ops} ops, ${users} users, one client process each`;
    printLine({
      name,
      ours: totalMs,
      baseline: aloneMs,
      baselineName: 'one such workflow alone',
      unit: 'ms',
      higherIsBetter: false,
    });
    printLine({
      name,
      ours: totalMs,
      baseline: bareMs,
      baselineName: `${count} client processes that only load the SDK`,
      unit: 'ms',
      higherIsBetter: false,
    });
    printLine({
      name: `${name}: peak RSS of the suite process tree`,
      ours: peakTree.rssBytes / MiB,
      baseline: restingRss / MiB,
      baselineName: 'the same tree at rest before the run',
      unit: 'MiB',
      higherIsBetter: false,
    });
    process.stdout.write(
      `  peak processes in the suite tree: ${peakTree.processes}, VM processes (workers + portals): ` +
        `${peakTree.vms}, op hosts: ${peakTree.opHosts}; ${count - failed.length} of ${count} ` +
        `workflows completed with the right sum\n`,
    );
    if (failed.length > 0) throw new Error(`${failed.length} of ${count} workflows failed`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runClient(
  configPath: string,
  name: string,
  ops: number,
  pids: Set<number>,
): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLIENT, name, String(ops)], {
      env: { ...process.env, LZY_CLIENT_CONFIG: configPath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) pids.add(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ name, code, signal, stdout, stderr }));
  });
}

function isRightSum(stdout: string, ops: number): boolean {
  const incs = ops - 1;
  try {
    return (JSON.parse(stdout.trim()) as { sum: unknown }).sum === (incs * (incs + 1)) / 2;
  } catch {
    return false;
  }
}

function assertOk(runs: readonly ClientRun[], ops: number | undefined): void {
  for (const run of runs) {
    if (run.code !== 0 || (ops !== undefined && !isRightSum(run.stdout, ops))) {
      throw new Error(
        `client ${run.name} failed (exit ${run.code ?? run.signal}):\n${tail(run.stderr)}`,
      );
    }
  }
}

function tail(text: string): string {
  return text.split('\n').slice(-15).join('\n');
}

if (import.meta.main) {
  const suite: BenchSuite = await startBenchSuite();
  try {
    await benchMultiUser(suite);
  } finally {
    await suite.stop();
  }
}
