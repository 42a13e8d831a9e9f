import { describe, expect, it } from 'vitest';
import { InvalidArgument } from '@lzy/errors';
import { VmPools } from './vm-pool.ts';
import type { VmPoolSpec } from './vm-pool.ts';

const pool = (label: string, clusterType: 'WORKER' | 'SYSTEM'): VmPoolSpec => ({
  label,
  clusterType,
  cpuType: 'Intel Cascade Lake',
  cpuCount: 2,
  gpuType: 'NO_GPU',
  gpuCount: 0,
  ramGb: 2,
  zones: ['local'],
  maxVms: 0,
});
const pools = new VmPools([pool('s', 'WORKER'), pool('m', 'WORKER'), pool('portals', 'SYSTEM')]);

describe('VmPools.resolve', () => {
  it("picks the pool's first zone when none is asked for", () => {
    expect(pools.resolve('s', 'WORKER', '').zone).toBe('local');
  });

  it('names the unknown pool and lists the pools of the cluster', () => {
    expect(() => pools.resolve('xl', 'WORKER', '')).toThrow(InvalidArgument);
    expect(() => pools.resolve('xl', 'WORKER', '')).toThrow(
      "Unknown VM pool 'xl' in the WORKER cluster; available pools: s, m",
    );
  });

  it('does not find a system pool in the worker cluster', () => {
    expect(() => pools.resolve('portals', 'WORKER', '')).toThrow(/'portals'/);
  });

  it('refuses a zone the pool does not have', () => {
    expect(() => pools.resolve('s', 'WORKER', 'ru-central1-a')).toThrow(/no zone 'ru-central1-a'/);
  });
});
