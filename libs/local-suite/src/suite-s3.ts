import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Logger } from '@lzy/logging';
import { freePort, pollUntil, versitygwPath } from '@lzy/testing';
import type { S3Config } from '@lzy/testing';
import { processIdentity, stopProcess } from './proc-identity.ts';

export interface SuiteS3Options {
  /** The objects (kept across restarts). */
  dir: string;
  /** Where `s3.json` (port, pid and start time of the server) is kept: `$LZY_HOME/run`. */
  runDir: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  log: Logger;
  readyTimeoutMs?: number;
}

export interface SuiteS3 extends S3Config {
  /** Stops the server (SIGTERM, SIGKILL after 15 s) and waits; the objects stay. Idempotent. */
  stop(): Promise<void>;
}

/** What `s3.json` holds: the server a suite started, to find it again after a crash. */
interface S3Record {
  port: number;
  pid: number;
  startTicks: number;
}

const REGION = 'us-east-1';
const START_ATTEMPTS = 3;
const STOP_GRACE_MS = 15_000;
const OUTPUT_TAIL = 8 * 1024;

/**
 * The suite's S3 server (versitygw, posix backend in `dir`) on the port it had last time.
 * The port is sticky because the endpoint is stored: executions keep their StorageConfig and a
 * portal or client that lived through a suite crash still uses it. A server a killed suite left
 * running (named by `s3.json`, checked to be versitygw serving `dir` before any signal) is
 * stopped first. Another port is taken only when the old one is in use by someone else.
 * @throws Error naming scripts/install-versitygw.sh when the binary is missing.
 */
export async function startSuiteS3(options: SuiteS3Options): Promise<SuiteS3> {
  const bin = versitygwPath();
  try {
    await access(bin, constants.X_OK);
  } catch (err) {
    throw new Error(
      `versitygw (the S3 server) is not at ${bin}: run scripts/install-versitygw.sh ` +
        '(needs Go; builds it into the cache once) or set LZY_VERSITYGW_BIN',
      { cause: err },
    );
  }
  await mkdir(options.dir, { recursive: true });
  await mkdir(iamDirOf(options), { recursive: true });
  await mkdir(options.runDir, { recursive: true });
  const recordPath = join(options.runDir, 's3.json');
  const previous = await readRecord(recordPath);
  if (previous !== undefined) await stopOrphan(previous, options);
  let port = previous?.port ?? (await freePort());
  for (let attempt = 1; ; attempt++) {
    const server = new VersitygwProcess(bin, port, options);
    try {
      await server.ready(options.readyTimeoutMs ?? 30_000);
    } catch (err) {
      await server.stop();
      if (attempt < START_ATTEMPTS && server.output.includes('address already in use')) {
        options.log.warn(
          { port },
          'the S3 port of the last run is taken: the S3 endpoint changes, so executions that ' +
            'were running lose their storage',
        );
        port = await freePort();
        continue;
      }
      throw err;
    }
    const identity = await processIdentity(server.pid);
    if (identity !== undefined) {
      const record: S3Record = { port, pid: server.pid, startTicks: identity.startTicks };
      await writeFile(recordPath, `${JSON.stringify(record)}\n`);
    }
    let stopping: Promise<void> | undefined;
    return {
      endpoint: `http://127.0.0.1:${port}`,
      region: REGION,
      ...options.credentials,
      stop: () => (stopping ??= server.stop()),
    };
  }
}

/**
 * versitygw as `startS3` (libs/testing) runs it: global flags, then the posix backend. Its
 * internal IAM lives beside the objects (`<dir>-iam`): the storage service makes one account per
 * LZY user there, so users' keys survive a restart of the suite.
 */
function versitygwArgs(port: number, options: SuiteS3Options): string[] {
  const { accessKeyId, secretAccessKey } = options.credentials;
  return [
    ...['--port', `127.0.0.1:${port}`, '--access', accessKeyId, '--secret', secretAccessKey],
    ...['--iam-dir', iamDirOf(options), '--quiet', 'posix', options.dir],
  ];
}

function iamDirOf(options: SuiteS3Options): string {
  return `${options.dir}-iam`;
}

/** Stops the server of `s3.json` when it still runs: the very process, versitygw on our dir. */
async function stopOrphan(record: S3Record, options: SuiteS3Options): Promise<void> {
  const found = await processIdentity(record.pid);
  if (found === undefined || found.startTicks !== record.startTicks) return;
  const [program, ...args] = found.argv;
  const posix = args.indexOf('posix');
  if (basename(program ?? '') !== 'versitygw' || args[posix + 1] !== options.dir) return;
  options.log.warn(
    { pid: record.pid, dir: options.dir },
    'stopping the S3 server a killed suite left running',
  );
  const stopped = await stopProcess(found, {
    steps: [
      { signal: 'SIGTERM', graceMs: STOP_GRACE_MS },
      { signal: 'SIGKILL', graceMs: 5_000 },
    ],
  });
  if (!stopped)
    throw new Error(`the S3 server (pid ${record.pid}) left by a killed suite does not stop`);
}

async function readRecord(path: string): Promise<S3Record | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<S3Record>;
    const { port, pid, startTicks } = parsed;
    if (typeof port !== 'number' || typeof pid !== 'number' || typeof startTicks !== 'number')
      return undefined;
    return { port, pid, startTicks };
  } catch {
    return undefined;
  }
}

/** The server child: its output tail (for errors), readiness, stop, and kill on our exit. */
class VersitygwProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  readonly #exitedSignal = new AbortController();
  readonly #endpoint: string;
  #output = '';
  readonly #killOnExit = () => void this.#child.kill('SIGKILL');

  constructor(bin: string, port: number, options: SuiteS3Options) {
    this.#endpoint = `http://127.0.0.1:${port}`;
    this.#child = spawn(bin, versitygwArgs(port, options), { stdio: ['ignore', 'pipe', 'pipe'] });
    const append = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
    };
    this.#child.stdout?.on('data', append);
    this.#child.stderr?.on('data', append);
    this.#exited = new Promise((resolve) => {
      const done = (why: string) => {
        process.off('exit', this.#killOnExit);
        this.#exitedSignal.abort(new Error(`versitygw ${why}; output:\n${this.#output}`));
        resolve();
      };
      this.#child.once('exit', (code, signal) => done(`exited (${signal ?? `code ${code}`})`));
      this.#child.once('error', (err) => done(`failed to start: ${err.message}`));
    });
    process.on('exit', this.#killOnExit);
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get output(): string {
    return this.#output;
  }

  /** Resolves once versitygw itself answers HTTP on its port (not whoever else holds it). */
  async ready(timeoutMs: number): Promise<void> {
    await pollUntil(
      async () => {
        const response = await fetch(this.#endpoint, { signal: AbortSignal.timeout(2_000) });
        await response.body?.cancel();
        return response.headers.get('server') === 'VERSITYGW' ? true : undefined;
      },
      {
        timeoutMs,
        intervalMs: 50,
        signal: this.#exitedSignal.signal,
        description: `versitygw answers on ${this.#endpoint}`,
      },
    );
  }

  async stop(): Promise<void> {
    if (this.#exitedSignal.signal.aborted) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.#exited;
    clearTimeout(timer);
  }
}
