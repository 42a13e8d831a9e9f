import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FailedPrecondition } from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import { isRunning, processIdentity } from './proc-identity.ts';
import type { SuiteService } from './suite-env.ts';

/**
 * `$LZY_HOME/run`: what one suite process leaves for the next one of the same home. `suite.json`
 * names the running suite (pid and start time: a reused pid is not taken for it), `ports.json`
 * the services' ports of the last run (reused, so client.json and the addresses VMs hold stay
 * valid across a restart), `s3.json` the S3 server (suite-s3.ts).
 */
export interface SuiteRunDir {
  readonly path: string;
  /** Ports of the last run, by service ({} on a first start). */
  readonly lastPorts: Partial<Record<SuiteService, number>>;
  savePorts(ports: Readonly<Record<SuiteService, number>>): Promise<void>;
  /** Removes suite.json: a clean stop. Idempotent. */
  release(): Promise<void>;
}

interface SuiteRecord {
  pid: number;
  startTicks: number;
}

/**
 * Claims `$LZY_HOME` for this process. Orphans of a killed suite are cleaned up by whoever
 * started them (database, S3 server, allocator); this only guarantees that the suite that left
 * them is really gone, so nothing of a live suite is ever stopped.
 * @throws FailedPrecondition when another live suite runs with this home.
 */
export async function claimRunDir(home: string, log: Logger): Promise<SuiteRunDir> {
  const path = join(home, 'run');
  await mkdir(path, { recursive: true });
  const suiteFile = join(path, 'suite.json');
  const previous = await readJson<SuiteRecord>(suiteFile);
  if (previous !== undefined && previous.pid !== process.pid && (await isRunning(previous))) {
    throw new FailedPrecondition(
      `another LZY suite (pid ${previous.pid}) runs with LZY_HOME ${home}; stop it first, or ` +
        'use another LZY_HOME',
    );
  }
  if (previous !== undefined) {
    log.warn(
      { pid: previous.pid, home },
      'the last suite of this home did not stop cleanly; taking over what it left running',
    );
  }
  const self = await processIdentity(process.pid);
  const record: SuiteRecord = { pid: process.pid, startTicks: self?.startTicks ?? 0 };
  await writeFile(suiteFile, `${JSON.stringify(record)}\n`);
  const portsFile = join(path, 'ports.json');
  let released: Promise<void> | undefined;
  return {
    path,
    lastPorts: (await readJson<Partial<Record<SuiteService, number>>>(portsFile)) ?? {},
    savePorts: (ports) => writeFile(portsFile, `${JSON.stringify(ports)}\n`),
    release: () => (released ??= rm(suiteFile, { force: true })),
  };
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
