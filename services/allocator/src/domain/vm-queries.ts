import type { Kysely } from 'kysely';
import { NotFound } from '@lzy/errors';
import type { AllocatorDatabase } from '../db/schema.ts';
import type { VmStore } from '../db/vm-store.ts';
import type { VmEvents } from './vm-events.ts';
import type { Vm } from './vm.ts';

export interface VmQueriesDeps {
  readonly db: Kysely<AllocatorDatabase>;
  readonly vms: VmStore;
  readonly events: VmEvents;
}

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

/** Read side: GetVm, ListVms, WatchVm. */
export class VmQueries {
  readonly #deps: VmQueriesDeps;

  constructor(deps: VmQueriesDeps) {
    this.#deps = deps;
  }

  /** @throws NotFound */
  async get(vmId: string): Promise<Vm> {
    const vm = await this.#deps.vms.find(this.#deps.db, vmId);
    if (vm === undefined) throw new NotFound(`VM ${vmId} not found`);
    return vm;
  }

  /** A page of VMs ordered by id; the page token is the last id of the previous page. */
  async list(options: {
    sessionId: string | undefined;
    pageSize: number;
    pageToken: string | undefined;
  }): Promise<{ vms: Vm[]; nextPageToken: string | undefined }> {
    const limit = Math.min(
      options.pageSize > 0 ? options.pageSize : DEFAULT_PAGE_SIZE,
      MAX_PAGE_SIZE,
    );
    const vms = await this.#deps.vms.list(this.#deps.db, {
      ...(options.sessionId === undefined ? {} : { sessionId: options.sessionId }),
      ...(options.pageToken === undefined ? {} : { afterId: options.pageToken }),
      limit,
    });
    return { vms, nextPageToken: vms.length === limit ? vms[vms.length - 1]?.id : undefined };
  }

  /**
   * The VM now, then after each change of status, endpoints or metadata (pushed by VmEvents;
   * quick successive changes may be coalesced into the latest); ends after DEAD.
   * @throws NotFound; the signal's reason when it aborts.
   */
  async *watch(vmId: string, signal: AbortSignal): AsyncGenerator<Vm, void, undefined> {
    let dirty = true;
    let wake: (() => void) | undefined;
    const unsubscribe = this.#deps.events.subscribe(vmId, () => {
      dirty = true;
      wake?.();
    });
    try {
      let last: string | undefined;
      for (;;) {
        if (!dirty) await waitForWake(signal, (w) => (wake = w));
        dirty = false;
        const vm = await this.get(vmId);
        const version = JSON.stringify([vm.status, vm.endpoints, vm.metadata]);
        if (version !== last) {
          last = version;
          yield vm;
        }
        if (vm.status === 'DEAD') return;
      }
    } finally {
      unsubscribe();
    }
  }
}

function waitForWake(signal: AbortSignal, setWake: (wake: () => void) => void): Promise<void> {
  signal.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    setWake(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
