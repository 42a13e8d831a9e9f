/**
 * README's quick start, the way a user runs it: a fresh copy of the tree, `pnpm start` in an
 * environment holding only what a user's shell holds (HOME, PATH without this run's
 * node_modules, LANG; LZY_HOME and LZY_RANDOM_PORTS so the test never touches the user's own
 * suite or ports), the TypeScript example it runs, then a fresh venv with `pip install ./python`
 * and examples/python/fan_out.py unchanged, then a stand-in of the unchanged pylzy 1.0.1 client
 * in its default mode, then Ctrl-C.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CleanupStack, pollUntil } from '@lzy/testing';
import { isAlive, processTree } from './proc-table.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** PATH as the user's shell has it: this run's PATH without pnpm's node_modules/.bin entries. */
function userPath(): string {
  return (process.env.PATH ?? '')
    .split(':')
    .filter((dir) => dir !== '' && !dir.includes('node_modules'))
    .join(':');
}

/** The tracked and new files of the tree (what a fresh clone of this change holds). */
async function copyTree(to: string): Promise<void> {
  const listed = spawnSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  for (const file of listed.stdout.split('\0')) {
    if (file === '') continue;
    const target = join(to, file);
    await mkdir(dirname(target), { recursive: true });
    await cp(join(ROOT, file), target, { force: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err; // deleted in the working tree
    });
  }
}

/** Collects a child's output and lets a test wait for a pattern in it. */
function capture(child: ChildProcess): {
  text(): string;
  waitFor(re: RegExp, ms: number): Promise<void>;
} {
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return {
    text: () => out,
    waitFor: (re, ms) =>
      pollUntil(() => (re.test(out) ? true : undefined), {
        timeoutMs: ms,
        description: `${re.source} in:\n${out.slice(-4000)}`,
      }).then(() => undefined),
  };
}

/** Runs a command to its end in `env`; rejects with its output unless it exits 0. */
async function run(
  argv: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<string> {
  const child = spawn(argv[0]!, argv.slice(1), { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = capture(child);
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${argv.join(' ')} exited with ${code}:\n${output.text()}`);
  return output.text();
}

describe("README's quick start on a fresh copy, in a user's environment", () => {
  it('pnpm start runs the TS example, the Python example runs against it, Ctrl-C stops everything', async () => {
    await using cleanup = new CleanupStack();
    const work = await mkdtemp(join(tmpdir(), 'lzy-quick-start-'));
    cleanup.defer(() => rm(work, { recursive: true, force: true }));
    const tree = join(work, 'lzy-ts');
    await copyTree(tree);
    const lzyHome = join(work, 'lzy-home');
    const env = {
      HOME: process.env.HOME,
      PATH: userPath(),
      LANG: 'C.UTF-8',
      LZY_HOME: lzyHome,
      LZY_RANDOM_PORTS: 'true',
    };

    // `pnpm start` on a terminal (script(1) gives it a pseudo-terminal), so Ctrl-C is a key
    // press as in a user's shell.
    const suite = spawn('script', ['-qefc', 'pnpm start', '/dev/null'], {
      cwd: tree,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const exited = once(suite, 'exit') as Promise<[number | null, string | null]>;
    cleanup.defer(async () => {
      if (suite.exitCode !== null || suite.signalCode !== null) return;
      for (const p of await processTree(suite.pid!)) process.kill(p.pid, 'SIGKILL');
      await exited;
    });
    const terminal = capture(suite);
    await terminal.waitFor(/^385$/m, 480_000);
    await terminal.waitFor(/fan-out\.ts exited with 0/, 60_000);
    // A short human summary, not the services' JSON log (that goes to the log file).
    expect(terminal.text()).toMatch(/LZY is up in [\d.]+ s/);
    expect(terminal.text()).toContain(`logs:            ${join(lzyHome, 'logs', 'lzy.log')}`);
    expect(terminal.text()).not.toMatch(/^\{"level"/m);
    expect(await readFile(join(lzyHome, 'logs', 'lzy.log'), 'utf8')).toMatch(/"msg":"started"/);

    // The Python path of README: a fresh venv, our SDK from the copy, the example unchanged.
    const venv = join(work, 'venv');
    await run(['python3', '-m', 'venv', venv], { cwd: tree, env });
    const venvEnv = { ...env, PATH: `${join(venv, 'bin')}:${env.PATH}`, VIRTUAL_ENV: venv };
    await run(['pip', 'install', '--quiet', './python'], { cwd: tree, env: venvEnv });
    const python = await run(['python', 'examples/python/fan_out.py'], {
      cwd: tree,
      env: { ...venvEnv, FETCH_STATUS_PERIOD_SEC: '0.5' },
    });
    expect(python).toMatch(/whiteboard \S+: total=385 count=10/);

    // The unchanged pylzy 1.0.1 client in its default mode (a stand-in that sends exactly what
    // spec §4.2 says it sends: its pins, lzy, ai, yaml, jwt, typing_extensions.py as local
    // modules), configured only by pylzy's variables from the client config pnpm start wrote.
    const client = JSON.parse(await readFile(join(lzyHome, 'client.json'), 'utf8')) as {
      endpoint: string;
      whiteboardEndpoint: string;
      user: string;
      keyPath: string;
    };
    const pylzy = await run(
      [
        join(ROOT, 'python/.venv/bin/python'),
        join(ROOT, 'python/tests/protocol/standin_client.py'),
      ],
      {
        cwd: tree,
        env: {
          ...env,
          LZY_ENDPOINT: client.endpoint,
          LZY_WHITEBOARD_ENDPOINT: client.whiteboardEndpoint,
          LZY_USER: client.user,
          LZY_KEY_PATH: client.keyPath,
          FETCH_STATUS_PERIOD_SEC: '0.5',
          LZY_PYPROTO_DIR: join(work, 'pyproto'),
        },
      },
    );
    expect(pylzy.trimEnd().split('\n').at(-1)).toBe('385');

    // Ctrl-C: exit 0 with a goodbye, and nothing of the suite left running or on disk.
    const started = await processTree(suite.pid!);
    expect(started.some((p) => p.cmdline.includes('services/worker/src/main.ts'))).toBe(true);
    suite.stdin.write('\x03'); // Ctrl-C
    const [code] = await exited;
    expect(code).toBe(0);
    expect(terminal.text().trimEnd()).toMatch(/LZY stopped\. Bye\.$/);
    expect(terminal.text()).not.toContain('ELIFECYCLE');
    await pollUntil(
      async () => {
        const alive = [];
        for (const p of started) if (await isAlive(p.pid)) alive.push(p.cmdline);
        return alive.length === 0 ? true : undefined;
      },
      { timeoutMs: 30_000, description: 'every process of the suite gone' },
    );
    // Each VM's output is in logs/vms/<vm>.log, and its scratch directory is gone.
    const vmIds = (await readdir(join(lzyHome, 'logs', 'vms'))).map((n) => n.replace(/\.log$/, ''));
    expect(vmIds.length).toBeGreaterThanOrEqual(2); // a portal and a worker at least
    const scratch = await readdir(tmpdir());
    expect(scratch.filter((name) => vmIds.some((id) => name === `lzy-vm-${id}`))).toEqual([]);
  }, 900_000);
});
