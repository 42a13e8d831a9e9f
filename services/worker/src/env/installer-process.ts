import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { EnvironmentError } from './environment-error.ts';

/** Where installer output goes (the op's stderr); awaited, so a slow consumer slows the installer. */
export type OutputSink = (data: Buffer) => Promise<void>;

export interface InstallerRun {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Receives stdout and stderr as they come; undefined = discard. */
  output: OutputSink | undefined;
  /** Written to the program's stdin, which is then closed; default: no stdin. */
  stdin?: string;
  /** Each stream apart, besides `output` (for programs that answer on stdout). */
  onStdout?: (data: Buffer) => void;
  onStderr?: (data: Buffer) => void;
  signal: AbortSignal;
}

const TAIL_BYTES = 8 * 1024;
const TAIL_LINES = 20;

/**
 * Runs one installer step (uv, the interpreter) to its end, streaming its output. Abort kills
 * its process group. Returns the exit code and the last lines of output (for the description).
 * @throws EnvironmentError when the program cannot be started; the signal's reason on abort
 */
export async function runInstaller(run: InstallerRun): Promise<{ rc: number; tail: string }> {
  run.signal.throwIfAborted();
  const child = spawn(run.file, run.args, {
    cwd: run.cwd,
    env: run.env,
    detached: true,
    stdio: [run.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  // A program that exits without reading its stdin must not fail us with EPIPE.
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(run.stdin);
  let tail = Buffer.alloc(0);
  const keep = (data: Buffer) => {
    const joined = Buffer.concat([tail, data]);
    tail = joined.subarray(Math.max(0, joined.length - TAIL_BYTES));
  };
  const pump = async (stream: Readable, each: ((data: Buffer) => void) | undefined) => {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      keep(chunk);
      each?.(chunk);
      await run.output?.(chunk);
    }
  };
  const kill = () => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  run.signal.addEventListener('abort', kill, { once: true });
  try {
    const exited = new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128 + 9)));
    });
    const [rc] = await Promise.all([
      exited,
      pump(child.stdout as Readable, run.onStdout),
      pump(child.stderr as Readable, run.onStderr),
    ]).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new EnvironmentError(`cannot run ${run.file}: it does not exist on this worker`);
      throw err;
    });
    run.signal.throwIfAborted();
    const lines = tail.toString('utf8').replace(/\n$/, '').split('\n');
    return { rc, tail: lines.slice(-TAIL_LINES).join('\n') };
  } finally {
    run.signal.removeEventListener('abort', kill);
  }
}
