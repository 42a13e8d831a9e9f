import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

/** deploy/ of the repository. */
export const DEPLOY_DIR = fileURLToPath(new URL('..', import.meta.url));
/** The chart under test. */
export const CHART_DIR = fileURLToPath(new URL('../helm/lzy', import.meta.url));
/** The repository root (docker/Dockerfile, .dockerignore). */
export const REPO_DIR = fileURLToPath(new URL('../..', import.meta.url));

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd?: string;
  /** The child's whole environment; default: this process's. */
  readonly env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin, which is then closed. */
  readonly input?: string;
}

/** Runs a command to its end and returns its exit code and output (never throws on exit != 0). */
export function run(
  command: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code: code ?? (signal === null ? 1 : 128),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    if (opts.input !== undefined && child.stdin !== null) {
      // A child that exits without reading all of its input must not crash the test (EPIPE).
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
  });
}

/** Like run(), but throws with the command and its stderr when it exits != 0; returns stdout. */
export async function runOk(
  command: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<string> {
  const result = await run(command, args, opts);
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.code}\n${result.stderr}\n${result.stdout}`.trim(),
    );
  }
  return result.stdout;
}

/** A Kubernetes-safe unique name: `<prefix>-<8 hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
