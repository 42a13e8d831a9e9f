import { InvalidArgument } from '@lzy/errors';
import type { ClusterType } from './vm.ts';

/** A labelled pool of identical VMs (reference §3.6), from configuration. */
export interface VmPoolSpec {
  readonly label: string;
  readonly clusterType: ClusterType;
  readonly cpuType: string;
  readonly cpuCount: number;
  readonly gpuType: string;
  readonly gpuCount: number;
  readonly ramGb: number;
  readonly zones: readonly string[];
  /** VMs of the pool that may exist at once (any status but DEAD); 0 = no cap. */
  readonly maxVms: number;
}

/** The pool catalogue: lookup with messages that tell the caller what exists. */
export class VmPools {
  readonly #pools: readonly VmPoolSpec[];

  constructor(pools: readonly VmPoolSpec[]) {
    this.#pools = pools;
  }

  /** Pools of one cluster type, or all of them. */
  list(clusterType?: ClusterType): VmPoolSpec[] {
    return this.#pools.filter((p) => clusterType === undefined || p.clusterType === clusterType);
  }

  /**
   * The pool `label` of `clusterType` (any type when undefined) and the zone to use (`zone`, or
   * the pool's first zone when empty).
   * @throws InvalidArgument naming the pool or zone and listing what is available.
   */
  resolve(
    label: string,
    clusterType: ClusterType | undefined,
    zone: string,
  ): { pool: VmPoolSpec; zone: string } {
    const candidates = this.list(clusterType);
    const pool = candidates.find((p) => p.label === label);
    if (pool === undefined) {
      const cluster = clusterType === undefined ? '' : ` in the ${clusterType} cluster`;
      const available = candidates.map((p) => p.label).join(', ') || 'none';
      throw new InvalidArgument(
        `Unknown VM pool '${label}'${cluster}; available pools: ${available}`,
      );
    }
    if (zone === '') return { pool, zone: pool.zones[0] ?? '' };
    if (!pool.zones.includes(zone)) {
      throw new InvalidArgument(
        `VM pool '${label}' has no zone '${zone}'; its zones: ${pool.zones.join(', ')}`,
      );
    }
    return { pool, zone };
  }
}
