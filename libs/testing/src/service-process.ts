import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** A service main.ts running as its own process (as in production), started by the tests. */
export interface ServiceProcess {
  pid: number;
  /** gRPC port from the service's `started` log line. */
  port: number;
  metricsPort?: number;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ProcessExit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function spawnMain(mainPath: string, env: Record<string, string>): ChildProcess {
  // process.execPath is the Node that runs the tests (the pinned Node 24): same runtime as pnpm.
  return spawn(process.execPath, [mainPath], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

/**
 * Starts `node <mainPath>` with exactly `env` (plus PATH) and waits for its `started` log line.
 * @throws if the process exits or logs nothing within `timeoutMs`; the process is killed then.
 */
export async function startServiceProcess(
  mainPath: string,
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<ServiceProcess> {
  const child = spawnMain(mainPath, env);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  const started = new Promise<{ port: number; metricsPort?: number }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${mainPath} did not start in ${timeoutMs} ms\n${stderr}`)),
      timeoutMs,
    );
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number; metricsPort?: number };
        if (entry.msg === 'started' && typeof entry.port === 'number') {
          clearTimeout(timer);
          resolve({
            port: entry.port,
            ...(entry.metricsPort === undefined ? {} : { metricsPort: entry.metricsPort }),
          });
        }
      } catch {
        // not a JSON log line: ignore
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${mainPath} exited with ${code} before starting\n${stderr}`));
    });
  });
  try {
    const ports = await started;
    return {
      pid: child.pid!,
      ...ports,
      stderr: () => stderr,
      stop: async (signal = 'SIGTERM') => {
        child.kill(signal);
        return exitOf(child);
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

/** Runs `node <mainPath>` with `env` to its exit (e.g. a bad config); kills it after `timeoutMs`. */
export async function runServiceProcessToExit(
  mainPath: string,
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<ProcessExit> {
  const child = spawnMain(mainPath, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const code = await exitOf(child);
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}
