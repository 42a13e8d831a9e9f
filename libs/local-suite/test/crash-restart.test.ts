/**
 * Issue 12: the one-process suite survives SIGKILL. What a user does: `pnpm start` (the way
 * scripts/start.mjs runs the suite) on a fresh LZY_HOME, a TypeScript SDK workflow from another
 * process, the suite's main process killed with SIGKILL while op 3 of 6 runs, `pnpm start`
 * again with the same LZY_HOME: the workflow completes with the right result without running
 * the finished ops again, and once the suite stops nothing of that LZY_HOME is left running.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CleanupStack, pollUntil } from '@lzy/testing';
import { loadLocalSuiteConfig } from '../src/config.ts';
import { CHAIN_LENGTH } from './chain-workflow.ts';
import { childrenWith, listProcesses } from './proc-table.ts';
import type { ProcessInfo } from './proc-table.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const START = join(ROOT, 'scripts/start.mjs');
const CLIENT = fileURLToPath(new URL('./chain-workflow.ts', import.meta.url));
const SUITE_MAIN = 'libs/local-suite/src/main.ts';

/** A started program and its output so far. */
interface Program {
  child: ChildProcess;
  exited: Promise<[number | null, string | null]>;
  output(): string;
  waitFor(re: RegExp, timeoutMs: number): Promise<void>;
}

function startProgram(argv: string[], env: NodeJS.ProcessEnv): Program {
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return {
    child,
    exited,
    output: () => out,
    waitFor: (re, timeoutMs) =>
      pollUntil(() => (re.test(out) ? true : undefined), {
        timeoutMs,
        intervalMs: 50,
        signal: abortOnExit(child),
        description: `${re.source} in:\n${out.slice(-4000)}`,
      }).then(() => undefined),
  };
}

/** Aborts when `child` exits: a wait for its output then fails at once, with the output. */
function abortOnExit(child: ChildProcess): AbortSignal {
  const controller = new AbortController();
  child.once('exit', (code, signal) =>
    controller.abort(new Error(`${child.spawnfile} exited (${signal ?? code})`)),
  );
  return controller.signal;
}

/** Each op's executions, from the marker file (one line per op start). */
async function runsPerOp(marker: string): Promise<Map<number, number>> {
  const text = await readFile(marker, 'utf8').catch(() => '');
  const runs = new Map<number, number>();
  for (const line of text.split('\n').filter((l) => l !== ''))
    runs.set(Number(line), (runs.get(Number(line)) ?? 0) + 1);
  return runs;
}

/**
 * Live processes that belong to the suite of `home`: its PostgreSQL (by the cluster directory
 * on its command line), its S3 server (by the object directory) and its VMs (worker and portal
 * processes whose output goes to the home's VM logs).
 */
async function processesOfHome(home: string, postgresDir: string): Promise<ProcessInfo[]> {
  const mine: ProcessInfo[] = [];
  for (const p of await listProcesses()) {
    if (p.cmdline.includes(postgresDir) || p.cmdline.includes(join(home, 's3'))) mine.push(p);
    else if (/services\/(worker|portal)\/src\/main\.ts/.test(p.cmdline)) {
      const out = await readlink(`/proc/${p.pid}/fd/1`).catch(() => '');
      if (out.startsWith(join(home, 'logs'))) mine.push(p);
    }
  }
  return mine;
}

describe('the one-process suite killed with SIGKILL (issue 12)', () => {
  it('comes back on the same LZY_HOME and the running workflow completes without re-running finished ops', async () => {
    await using cleanup = new CleanupStack();
    const home = await mkdtemp(join(tmpdir(), 'lzy-crash-restart-'));
    const { postgresDir } = loadLocalSuiteConfig({ LZY_HOME: home });
    cleanup.defer(async () => {
      await rm(home, { recursive: true, force: true });
      if (postgresDir !== join(home, 'postgres'))
        await rm(dirname(postgresDir), { recursive: true, force: true });
    });
    // Whatever is left (a failed test) goes before the directories do.
    cleanup.defer(async () => {
      for (const p of await processesOfHome(home, postgresDir)) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    });
    const env = {
      ...process.env,
      LZY_HOME: home,
      LZY_RANDOM_PORTS: 'true',
      LZY_UP_EXAMPLE: '',
    };
    const startSuite = async () => {
      const suite = startProgram([process.execPath, START], env);
      cleanup.defer(async () => {
        if (suite.child.exitCode !== null || suite.child.signalCode !== null) return;
        suite.child.kill('SIGINT');
        await suite.exited;
      });
      await suite.waitFor(/LZY is up in/, 90_000);
      return suite;
    };

    const first = await startSuite();
    const marker = join(home, 'op-runs.txt');
    const client = startProgram([process.execPath, CLIENT, marker], env);
    cleanup.defer(async () => {
      if (client.child.exitCode === null && client.child.signalCode === null) {
        client.child.kill('SIGKILL');
        await client.exited;
      }
    });
    await pollUntil(async () => ((await runsPerOp(marker)).has(3) ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 50,
      description: `op 3 started; client output:\n${client.output()}`,
    });

    // SIGKILL the suite's own process (start.mjs runs it as a child): its PostgreSQL, S3
    // server and VMs are orphaned, the client loses its connection.
    const [main] = await childrenWith(first.child.pid!, SUITE_MAIN);
    expect(main).toBeDefined();
    const orphans = await processesOfHome(home, postgresDir);
    process.kill(main!.pid, 'SIGKILL');
    await first.exited;
    expect(orphans.some((p) => p.cmdline.includes('services/worker/src/main.ts'))).toBe(true);
    expect(orphans.some((p) => p.cmdline.includes(postgresDir))).toBe(true);

    const second = await startSuite();
    const [code] = await client.exited;
    expect(client.output()).toMatch(new RegExp(`^result ${CHAIN_LENGTH}$`, 'm'));
    expect(code).toBe(0);

    const runs = await runsPerOp(marker);
    expect(runs.get(1)).toBe(1);
    expect(runs.get(2)).toBe(1);
    expect(runs.get(3)).toBeGreaterThanOrEqual(1);
    expect(runs.get(3)).toBeLessThanOrEqual(2);
    for (let n = 4; n <= CHAIN_LENGTH; n++) expect(runs.get(n)).toBe(1);
    // The VMs lived through the crash: the new allocator adopted them.
    const log = await readFile(join(home, 'logs', 'lzy.log'), 'utf8');
    expect(log).toMatch(/"msg":"vm process adopted"/);

    second.child.kill('SIGINT');
    const [stopCode] = await second.exited;
    expect(stopCode).toBe(0);
    await pollUntil(
      async () => {
        const left = await processesOfHome(home, postgresDir);
        return left.length === 0 ? true : undefined;
      },
      { timeoutMs: 30_000, description: 'no process of the LZY_HOME left' },
    );
  }, 240_000);
});
