import { describe, expect, it } from 'vitest';
import { DAGRE_MAX_OPS, edgesOf, layoutGraph } from './graph-layout.ts';
import type { Op } from './ports.ts';

const op = (taskId: string, inputs: string[], outputs: string[]): Op => ({
  taskId,
  name: taskId,
  description: '',
  poolLabel: 's',
  zone: '',
  inputs: inputs.map((c) => ({ path: c, storageUri: '', channelId: c })),
  outputs: outputs.map((c) => ({ path: c, storageUri: '', channelId: c })),
});

describe('graph layout', () => {
  it('joins producers to consumers through their channels, once per pair', () => {
    const ops = [
      op('a', [], ['x', 'y']),
      op('b', ['x', 'y'], ['z']),
      op('c', ['z', 'from-portal'], []),
    ];
    expect(edgesOf(ops)).toEqual([
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
    ]);
  });

  it('puts every producer above its consumers, small graphs and big ones', () => {
    const small = [op('a', [], ['x']), op('b', [], ['y']), op('sum', ['x', 'y'], [])];
    const wide = Array.from({ length: DAGRE_MAX_OPS + 10 }, (_, i) => op(`sq${i}`, [], [`c${i}`]));
    const big = [
      ...wide,
      op(
        'sum',
        wide.map((_, i) => `c${i}`),
        [],
      ),
    ];
    for (const ops of [small, big]) {
      const layout = layoutGraph(ops);
      const y = (id: string) => layout.positions.get(id)?.y ?? Number.NaN;
      for (const edge of layout.edges) expect(y(edge.from)).toBeLessThan(y(edge.to));
      expect(layout.positions.size).toBe(ops.length);
    }
  });
});
