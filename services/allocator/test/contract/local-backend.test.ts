import { readFile } from 'node:fs/promises';
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

/** VMs are fake-vm processes that wait to be registered (FAKE_VM_SKIP_REGISTER). */
const local: BackendHarness = {
  start: (env) => startTestAllocator(pg.url, env),
  workloads: () => [workerWorkload({ FAKE_VM_SKIP_REGISTER: '1' })],
  async vmEnv(vmId) {
    const pid = await pidOf(vmId);
    if (pid === undefined) throw new Error(`VM ${vmId} has no process yet`);
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8');
    return Object.fromEntries(
      environ
        .split('\0')
        .filter((entry) => entry.includes('='))
        .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
    );
  },
  async exists(vmId) {
    const pid = await pidOf(vmId);
    return pid !== undefined && isAlive(pid);
  },
  async killUnderneath(vmId) {
    const pid = await pidOf(vmId);
    if (pid === undefined) throw new Error(`VM ${vmId} has no process`);
    process.kill(pid, 'SIGKILL');
  },
  killedReason: /process exited with signal SIGKILL/,
};

describeAllocatorContract('local processes', local);
