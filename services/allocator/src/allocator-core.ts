import type { Kysely } from 'kysely';
import type { Logger } from '@lzy/logging';
import type { Clock, OperationStore } from '@lzy/operations';
import type { AllocatorConfig } from './config.ts';
import type { AllocatorDatabase } from './db/schema.ts';
import { SessionStore } from './db/session-store.ts';
import { VmStore } from './db/vm-store.ts';
import { Allocator } from './domain/allocator.ts';
import type { VmBackend, VmIdentityIssuer } from './domain/ports.ts';
import { VmAgentGate } from './domain/vm-agent-gate.ts';
import { VmEvents } from './domain/vm-events.ts';
import { VmLauncher } from './domain/vm-launcher.ts';
import { VmPools } from './domain/vm-pool.ts';
import { VmQueries } from './domain/vm-queries.ts';
import { VmReaper } from './domain/vm-reaper.ts';

export interface AllocatorCoreDeps {
  readonly config: AllocatorConfig;
  readonly db: Kysely<AllocatorDatabase>;
  readonly operations: OperationStore<AllocatorDatabase>;
  readonly backend: VmBackend;
  readonly identity: VmIdentityIssuer;
  readonly clock: Clock;
  readonly log: Logger;
  readonly instanceId: string;
  /** Environment of every VM besides its id, token and key; read when a VM starts. */
  readonly vmEnv: () => Readonly<Record<string, string>>;
}

/** The allocator's domain objects, wired (no I/O: nothing starts here). */
export interface AllocatorCore {
  readonly events: VmEvents;
  readonly pools: VmPools;
  readonly reaper: VmReaper;
  readonly launcher: VmLauncher;
  readonly allocator: Allocator;
  readonly gate: VmAgentGate;
  readonly queries: VmQueries;
}

export function buildAllocatorCore(deps: AllocatorCoreDeps): AllocatorCore {
  const { config, db, operations, backend, identity, clock, log } = deps;
  const vms = new VmStore();
  const sessions = new SessionStore();
  const events = new VmEvents();
  const pools = new VmPools(config.pools);
  // The reaper hands freed places to the allocator's queue; the allocator needs the reaper.
  const late: { allocator?: Allocator } = {};
  const reaper = new VmReaper({
    db,
    vms,
    operations,
    backend,
    identity,
    events,
    clock,
    log,
    sweepIntervalMs: config.sweepIntervalMs,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
    allocationTimeoutMs: config.allocationTimeoutMs,
    onGone: (poolLabel) => late.allocator?.drainQueue(poolLabel) ?? Promise.resolve(),
  });
  const launcher = new VmLauncher({
    db,
    vms,
    backend,
    identity,
    reaper,
    clock,
    log,
    vmEnv: deps.vmEnv,
  });
  const allocator = new Allocator({
    db,
    sessions,
    vms,
    operations,
    pools,
    launcher,
    backend,
    reaper,
    events,
    clock,
    instanceId: deps.instanceId,
    allocationTimeoutMs: config.allocationTimeoutMs,
  });
  late.allocator = allocator;
  const gate = new VmAgentGate({
    db,
    vms,
    operations,
    events,
    clock,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
  });
  const queries = new VmQueries({ db, vms, events });
  return { events, pools, reaper, launcher, allocator, gate, queries };
}
