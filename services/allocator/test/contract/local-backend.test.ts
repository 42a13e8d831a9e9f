import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { closeDatabase, createDatabase } from '@lzy/db';
import { usePostgres } from '@lzy/testing';
import type { AllocatorDatabase } from '../../src/db/schema.ts';
import { isAlive, log, startTestAllocator, workerWorkload } from '../harness.ts';
import { describeAllocatorContract } from './allocator-contract.ts';
import type { BackendHarness } from './allocator-contract.ts';

const pg = usePostgres();

/** The VM's process id, as the allocator stored it once the process started. */
async function pidOf(vmId: string): Promise<number | undefined> {
  const db = createDatabase<AllocatorDatabase>({ url: pg.url, applicationName: 'test', log });
  try {
    const row = await db.selectFrom('vm').select('pid').where('id', '=', vmId).executeTakeFirst();
    return row?.pid ?? undefined;
  } finally {
    await closeDatabase(db);
  }
}

function parseEnviron(environ: string): Record<string, string> {
  return Object.fromEntries(
    environ
      .split('\0')
      .filter((entry) => entry.includes('='))
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
}

const processHarness = {
  async exists(vmId: string) {
    const pid = await pidOf(vmId);
    return pid !== undefined && isAlive(pid);
  },
  async killUnderneath(vmId: string) {
    const pid = await pidOf(vmId);
    if (pid === undefined) throw new Error(`VM ${vmId} has no process`);
    process.kill(pid, 'SIGKILL');
  },
  killedReason: /process exited with signal SIGKILL/,
};

/**
 * VMs are fake-vm processes started for them, that wait to be registered
 * (FAKE_VM_SKIP_REGISTER); their environment is what /proc shows.
 */
const direct: BackendHarness = {
  ...processHarness,
  start: (env) => startTestAllocator(pg.url, { LZY_ALLOCATOR_LOCAL_STANDBY_VMS: '0', ...env }),
  workloads: () => [workerWorkload({ FAKE_VM_SKIP_REGISTER: '1' })],
  async vmEnv(vmId) {
    const pid = await pidOf(vmId);
    if (pid === undefined) throw new Error(`VM ${vmId} has no process yet`);
    return parseEnviron(await readFile(`/proc/${pid}/environ`, 'utf8'));
  },
};

describeAllocatorContract('local processes', direct);

/**
 * VMs are standby fake-vm processes handed their VM; the environment they were given is what
 * they write to FAKE_VM_ENV_DIR (their /proc environ is the standby's).
 */
let envDir = '';
beforeAll(async () => {
  envDir = await mkdtemp(join(tmpdir(), 'lzy-fake-vm-env-'));
});
afterAll(() => rm(envDir, { recursive: true, force: true }));

const standby: BackendHarness = {
  ...processHarness,
  start: (env) => startTestAllocator(pg.url, { LZY_ALLOCATOR_LOCAL_STANDBY_VMS: '1', ...env }),
  workloads: () => [workerWorkload({ FAKE_VM_SKIP_REGISTER: '1', FAKE_VM_ENV_DIR: envDir })],
  async vmEnv(vmId) {
    return JSON.parse(await readFile(join(envDir, `${vmId}.json`), 'utf8')) as Record<
      string,
      string
    >;
  },
};

describeAllocatorContract('local processes that were standbys', standby);
