import { describe, expect, it } from 'vitest';
import { choosePool } from './pools.ts';

const pool = (poolSpecName: string, cpuCount: number, ramGb: number) => ({
  poolSpecName,
  cpuType: 'Intel Cascade Lake',
  cpuCount,
  gpuType: 'NO_GPU',
  gpuCount: 0,
  ramGb,
  zones: ['local'],
});
const POOLS = [pool('m', 4, 8), pool('s', 2, 2)];

describe('choosePool', () => {
  it('takes the named pool', () => {
    expect(choosePool('f', { pool: 'm' }, POOLS)).toBe('m');
  });

  it('names a missing pool and the available ones', () => {
    expect(() => choosePool('f', { pool: 'xl' }, POOLS)).toThrow(
      /op 'f' requires pool 'xl'.*available pools: m \(cpu 4, ram 8 GB.*s \(cpu 2/,
    );
  });

  it('picks the smallest pool meeting the requirements', () => {
    expect(choosePool('f', {}, POOLS)).toBe('s');
    expect(choosePool('f', { ramGb: 4 }, POOLS)).toBe('m');
    expect(() => choosePool('f', { cpuCount: 16 }, POOLS)).toThrow(/no pool fits op 'f'/);
  });
});
