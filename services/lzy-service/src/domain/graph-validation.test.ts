import { InvalidArgument } from '@lzy/errors';
import type { lzyWorkflow } from '@lzy/proto';
import { describe, expect, it } from 'vitest';
import { validateGraph } from './graph-validation.ts';
import type { VmPool } from './ports.ts';

const pool = (label: string, zones: string[]): VmPool => ({
  label,
  cpuType: 'Intel Cascade Lake',
  cpuCount: 2,
  gpuType: 'NO_GPU',
  gpuCount: 0,
  ramGb: 2,
  zones,
});
const pools = [pool('s', ['a', 'b']), pool('m', ['b'])];

function op(
  name: string,
  inputs: string[],
  outputs: string[],
  poolName = 's',
): lzyWorkflow.Operation {
  const slot = (uri: string) => ({ path: `/${name}/${uri}`, storageUri: uri });
  return {
    name,
    description: '',
    command: 'true',
    inputSlots: inputs.map(slot),
    outputSlots: outputs.map(slot),
    dockerImage: '',
    env: undefined,
    poolSpecName: poolName,
  };
}
const graph = (operations: lzyWorkflow.Operation[], zone = ''): lzyWorkflow.Graph => ({
  name: '',
  parentGraphId: '',
  operations,
  dataDescriptions: [],
  zone,
});

describe('validateGraph', () => {
  it('rejects a graph without operations', () => {
    expect(() => validateGraph(graph([]), pools)).toThrow(InvalidArgument);
  });

  it('rejects an output URI used twice in one request', () => {
    expect(() => validateGraph(graph([op('a', [], ['x']), op('b', [], ['x'])]), pools)).toThrow(
      /'x' appears twice/,
    );
  });

  it('rejects a cycle in the dataflow', () => {
    const cyclic = graph([op('a', ['y'], ['x']), op('b', ['x'], ['y'])]);
    expect(() => validateGraph(cyclic, pools)).toThrow(/cycle/);
  });

  it('checks a chain of 100,000 ops without overflowing the stack', () => {
    const chain = Array.from({ length: 100_000 }, (_, i) =>
      op(`o${i}`, i === 0 ? [] : [`u${i - 1}`], [`u${i}`]),
    );
    expect(validateGraph(graph(chain), pools)).toBe('a');
    const closed = [...chain.slice(1), op('o0', ['u99999'], ['u0'])];
    expect(() => validateGraph(graph(closed), pools)).toThrow(/cycle/);
  });

  it('names an unknown pool', () => {
    expect(() => validateGraph(graph([op('a', [], ['x'], 'huge')]), pools)).toThrow(/'huge'/);
  });

  it('picks a zone offering every requested pool', () => {
    expect(validateGraph(graph([op('a', [], ['x'], 's'), op('b', ['x'], ['y'], 'm')]), pools)).toBe(
      'b',
    );
  });

  it('rejects a requested zone lacking a pool', () => {
    expect(() => validateGraph(graph([op('a', [], ['x'], 'm')], 'a'), pools)).toThrow(/Zone 'a'/);
  });
});

describe('validateGraph: LZY-TS requirements', () => {
  const withRequirements = (
    requirements: Partial<lzyWorkflow.Operation_Requirements>,
  ): lzyWorkflow.Graph =>
    graph([
      {
        ...op('train', [], ['x']),
        lzyTsRequirements: {
          cpuCount: 1,
          ramGb: 0,
          gpuCount: 0,
          maxAttempts: 0,
          retryOnFailure: false,
          ...requirements,
        },
      },
    ]);

  it('accepts needs within the VM of the pool', () => {
    expect(validateGraph(withRequirements({ cpuCount: 2, ramGb: 2, maxAttempts: 10 }), pools)).toBe(
      'a',
    );
  });

  it.each([
    [{ cpuCount: 3 }, /needs 3 CPU.*more than a VM of pool 's' has \(2 CPU/],
    [{ gpuCount: 1 }, /needs 1 CPU, 0 GB RAM, 1 GPU/],
    [{ cpuCount: -1 }, /cpuCount must be a non-negative number, got -1/],
    [{ ramGb: Number.NaN }, /ramGb must be a non-negative number, got NaN/],
    [{ maxAttempts: 11 }, /maxAttempts is 11; at most 10 runs/],
  ])('refuses %j naming the op and the limit', (requirements, message) => {
    const check = () => validateGraph(withRequirements(requirements), pools);
    expect(check).toThrow(InvalidArgument);
    expect(check).toThrow(message);
    expect(check).toThrow(/Operation 'train'/);
  });
});
