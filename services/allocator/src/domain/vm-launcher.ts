import type { Kysely } from 'kysely';
import { InvalidArgument, isDomainError } from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import type { Clock } from '@lzy/operations';
import type { AllocatorDatabase } from '../db/schema.ts';
import type { VmStore } from '../db/vm-store.ts';
import type { VmBackend, VmIdentityIssuer } from './ports.ts';
import type { ClusterType, VmSpec } from './vm.ts';
import type { VmReaper } from './vm-reaper.ts';

export interface VmLauncherDeps {
  readonly db: Kysely<AllocatorDatabase>;
  readonly vms: VmStore;
  readonly backend: VmBackend;
  readonly identity: VmIdentityIssuer;
  readonly reaper: VmReaper;
  readonly clock: Clock;
  readonly log: Logger;
  /** main.ts of worker and portal VMs. */
  readonly mains: { readonly worker: string; readonly portal: string };
  /** Environment every VM gets besides its own id, token and key (addresses, LZY_HOST…). */
  readonly vmEnv: () => Readonly<Record<string, string>>;
}

/** A VM row committed as ALLOCATING, to be started. */
export interface PendingLaunch {
  readonly vmId: string;
  readonly ott: string;
  readonly mainPath: string;
  readonly args: readonly string[];
  /** The workloads' own env (Workload.env), below the VM variables. */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * Starts VMs after Allocate committed their rows (not durable: a local process does not survive
 * the allocator anyway, see VmReaper.recover): creates the VM's IAM subject, then the process.
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

  /**
   * The entry point of a VM: workload `worker` or `portal` (the first workload named one of
   * them); without workloads, by cluster type (WORKER → worker, SYSTEM → portal).
   * @throws InvalidArgument for workloads the local backend cannot run.
   */
  mainPathOf(spec: VmSpec, clusterType: ClusterType): { mainPath: string; args: string[] } {
    const { mains } = this.#deps;
    if (spec.workloads.length === 0) {
      return { mainPath: clusterType === 'WORKER' ? mains.worker : mains.portal, args: [] };
    }
    const known = spec.workloads.find((w) => w.name === 'worker' || w.name === 'portal');
    if (known === undefined || spec.workloads.length > 1) {
      const names = spec.workloads.map((w) => `'${w.name}'`).join(', ');
      throw new InvalidArgument(
        `The local allocator runs exactly one workload named 'worker' or 'portal', got ${names}`,
      );
    }
    return {
      mainPath: known.name === 'worker' ? mains.worker : mains.portal,
      args: [...known.args],
    };
  }

  /** Starts the VM in the background; failures delete it. */
  launch(pending: PendingLaunch): void {
    const running = this.#launch(pending).finally(() => this.#running.delete(running));
    this.#running.add(running);
  }

  async #launch(pending: PendingLaunch): Promise<void> {
    const { db, vms, backend, identity, reaper, clock } = this.#deps;
    const { vmId } = pending;
    try {
      const { privateKeyPem } = await identity.issue(vmId);
      const env = {
        ...pending.env,
        ...this.#deps.vmEnv(),
        LZY_VM_ID: vmId,
        LZY_VM_OTT: pending.ott,
        LZY_VM_PRIVATE_KEY: privateKeyPem,
      };
      if (!(await this.#stillAllocating(vmId))) {
        await identity.revoke(vmId); // deleted meanwhile, maybe before the subject existed
        return;
      }
      const { pid } = await backend.start({
        vmId,
        mainPath: pending.mainPath,
        args: pending.args,
        env,
      });
      this.#log.info({ vmId, pid, main: pending.mainPath }, 'vm process started');
      await vms.update(db, vmId, { pid: pid ?? null }, new Date(clock.now()));
      // Deleted while starting: the reaper found no process to kill yet.
      if (!(await this.#stillAllocating(vmId, ['RUNNING']))) await backend.kill(vmId);
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
