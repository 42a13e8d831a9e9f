import type { Kysely } from 'kysely';
import { isDomainError } from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import type { Clock } from '@lzy/operations';
import type { AllocatorDatabase } from '../db/schema.ts';
import type { VmStore } from '../db/vm-store.ts';
import type { VmBackend, VmIdentityIssuer, VmLaunch } from './ports.ts';
import type { VmReaper } from './vm-reaper.ts';

export interface VmLauncherDeps {
  readonly db: Kysely<AllocatorDatabase>;
  readonly vms: VmStore;
  readonly backend: VmBackend;
  readonly identity: VmIdentityIssuer;
  readonly reaper: VmReaper;
  readonly clock: Clock;
  readonly log: Logger;
  /** Environment every VM gets besides its own id, token and key (addresses, LZY_HOST…). */
  readonly vmEnv: () => Readonly<Record<string, string>>;
}

/** A VM row committed as ALLOCATING, to be started. */
export interface PendingLaunch extends Omit<VmLaunch, 'secretEnv'> {
  readonly ott: string;
}

/**
 * Starts VMs after Allocate committed their rows (not durable: a local process does not survive
 * the allocator anyway, see VmReaper.recover): creates the VM's IAM subject, then the process or pod.
 * Any failure deletes the VM, which fails its Allocate operation with the reason.
 */
export class VmLauncher {
  readonly #deps: VmLauncherDeps;
  readonly #log: Logger;
  readonly #running = new Set<Promise<void>>();

  constructor(deps: VmLauncherDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'vm-launcher' });
  }

  /** Starts the VM in the background; failures delete it. */
  launch(pending: PendingLaunch): void {
    const running = this.#launch(pending).finally(() => this.#running.delete(running));
    this.#running.add(running);
  }

  async #launch(pending: PendingLaunch): Promise<void> {
    const { db, vms, backend, identity, reaper, clock } = this.#deps;
    const { ott, ...launch } = pending;
    const vmId = launch.id;
    try {
      const { privateKeyPem } = await identity.issue(vmId, launch.ownerUserId);
      const env = {
        ...launch.env,
        ...this.#deps.vmEnv(),
        LZY_VM_ID: vmId,
        // Whose calls the VM serves: only VMs of this user may read its slots (worker, portal).
        LZY_VM_OWNER_USER_ID: launch.ownerUserId,
      };
      const secretEnv = { LZY_VM_OTT: ott, LZY_VM_PRIVATE_KEY: privateKeyPem };
      if (!(await this.#stillAllocating(vmId))) {
        await identity.revoke(vmId); // deleted meanwhile, maybe before the subject existed
        return;
      }
      const { pid } = await backend.start({ ...launch, env, secretEnv });
      this.#log.info({ vmId, pid, pool: launch.pool.label }, 'vm started');
      await vms.update(db, vmId, { pid: pid ?? null }, new Date(clock.now()));
      // Deleted while starting: the reaper found nothing to kill yet.
      if (!(await this.#stillAllocating(vmId, ['RUNNING']))) await backend.kill(launch);
    } catch (err) {
      this.#log.error({ err, vmId }, 'could not start vm');
      const detail = err instanceof Error ? err.message : String(err);
      const message = `Could not start VM ${vmId}: ${detail}`;
      await reaper
        .delete(vmId, {
          reason: message,
          error: { code: isDomainError(err) ? err.code : 'INTERNAL', message },
        })
        .catch((e: unknown) => this.#log.error({ err: e, vmId }, 'could not delete failed vm'));
    }
  }

  async #stillAllocating(vmId: string, alsoOk: string[] = []): Promise<boolean> {
    const vm = await this.#deps.vms.find(this.#deps.db, vmId);
    return vm !== undefined && (vm.status === 'ALLOCATING' || alsoOk.includes(vm.status));
  }

  /** Waits for launches in progress (stop). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#running]);
  }
}
