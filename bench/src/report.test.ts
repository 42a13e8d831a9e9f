import { describe, expect, it } from 'vitest';
import { linearCost } from './report.ts';

describe('linearCost', () => {
  it('splits two chain times into the marginal cost per op and the fixed cost per graph', () => {
    // 100 ms per graph + 20 ms per op.
    const cost = linearCost({ ops: 5, ms: 200 }, { ops: 20, ms: 500 });
    expect(cost.perOpMs).toBeCloseTo(20);
    expect(cost.fixedMs).toBeCloseTo(100);
  });

  it('refuses two chains of the same length', () => {
    expect(() => linearCost({ ops: 5, ms: 1 }, { ops: 5, ms: 2 })).toThrow(/no slope/);
  });
});
