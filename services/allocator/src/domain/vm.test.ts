import { describe, expect, it } from 'vitest';
import { specKey } from './vm.ts';

describe('specKey', () => {
  it('is equal for specs that differ only in key order', () => {
    const a = {
      initWorkloads: [],
      workloads: [
        {
          name: 'worker',
          image: '',
          env: { A: '1', B: '2' },
          args: [],
          ports: [],
          volumeMounts: [],
        },
      ],
      volumes: [],
    };
    const b = {
      volumes: [],
      workloads: [
        {
          args: [],
          ports: [],
          volumeMounts: [],
          env: { B: '2', A: '1' },
          image: '',
          name: 'worker',
        },
      ],
      initWorkloads: [],
    };
    expect(specKey(a)).toBe(specKey(b));
  });

  it('differs when an env value differs', () => {
    const w = (v: string) => ({
      initWorkloads: [],
      workloads: [
        { name: 'worker', image: '', env: { A: v }, args: [], ports: [], volumeMounts: [] },
      ],
      volumes: [],
    });
    expect(specKey(w('1'))).not.toBe(specKey(w('2')));
  });
});
