import { describe, expect, it } from 'vitest';
import { buildGraph, dataUri } from './graph-builder.ts';
import type { GraphCall } from './graph-builder.ts';
import { opCommand, shellQuote } from './op-command.ts';
import { op } from './op.ts';
import type { OpMeta } from './op.ts';

const square: OpMeta = {
  name: 'square',
  moduleUrl: 'file:///home/me/my%20ops.ts',
  modulePath: "/home/me/it's ops.ts",
  exportName: 'square',
  options: { pool: 's' },
  fn: () => undefined,
};
const RUN = 's3://tmp-bucket-u/lzy_runs/wf/e1';
const RUNTIME = { nodePath: '/usr/bin/node', runnerPath: '/sdk/op-runner.ts' };

describe('buildGraph', () => {
  it('makes one operation per call wired to its producer by storage URI', () => {
    const first: GraphCall = {
      callId: 'c1',
      op: square,
      args: [{ kind: 'value', uri: dataUri(RUN, 'square', 'arg0', 'c1'), value: 3 }],
      returnUri: dataUri(RUN, 'square', 'return', 'c1'),
      poolName: 's',
    };
    const second: GraphCall = {
      callId: 'c2',
      op: square,
      args: [{ kind: 'result', uri: first.returnUri, producerCallId: 'c1' }],
      returnUri: dataUri(RUN, 'square', 'return', 'c2'),
      poolName: 'm',
    };
    const graph = buildGraph([first, second], RUNTIME);
    expect(graph.operations.map((op) => [op.name, op.poolSpecName])).toEqual([
      ['square', 's'],
      ['square', 'm'],
    ]);
    expect(graph.operations[0]?.inputSlots).toEqual([
      { path: '/c1/arg0', storageUri: `${RUN}/data/square.arg0.c1` },
    ]);
    expect(graph.operations[0]?.outputSlots).toEqual([
      { path: '/c1/return', storageUri: `${RUN}/data/square.return.c1` },
    ]);
    expect(graph.operations[1]?.inputSlots).toEqual([
      { path: '/c2/arg0', storageUri: `${RUN}/data/square.return.c1` },
    ]);
    expect(graph.dataDescriptions.map((d) => d.storageUri)).toEqual([
      `${RUN}/data/square.arg0.c1`,
      `${RUN}/data/square.return.c1`,
      `${RUN}/data/square.return.c2`,
    ]);
    expect(graph.operations[0]?.command).toBe(
      `'/usr/bin/node' '/sdk/op-runner.ts' '/home/me/it'\\''s ops.ts' 'square' 'c1' 1`,
    );
  });
});

describe('buildGraph: requirements', () => {
  it("sends the op's declared needs and retry options (1 CPU by default)", () => {
    const call = (options: OpMeta['options']): GraphCall => ({
      callId: 'c1',
      op: { ...square, options },
      args: [],
      returnUri: dataUri(RUN, 'square', 'return', 'c1'),
      poolName: 's',
    });
    expect(buildGraph([call({})], RUNTIME).operations[0]?.lzyTsRequirements).toEqual({
      cpuCount: 1,
      ramGb: 0,
      gpuCount: 0,
      maxAttempts: 0,
      retryOnFailure: false,
    });
    const declared = { cpuCount: 0.5, ramGb: 3, gpuCount: 1, maxAttempts: 5, retryOnFailure: true };
    expect(buildGraph([call(declared)], RUNTIME).operations[0]?.lzyTsRequirements).toEqual(
      declared,
    );
  });

  it('refuses bad needs and attempts when the op is declared', () => {
    const declare = (options: OpMeta['options']) =>
      op(square.moduleUrl, 'square', () => 1, options);
    expect(() => declare({ cpuCount: -1 })).toThrow(/cpuCount must be a non-negative number/);
    expect(() => declare({ maxAttempts: 0 })).toThrow(
      /maxAttempts must be a whole number from 1 to 10/,
    );
    expect(() => declare({ maxAttempts: 11 })).toThrow(/from 1 to 10, got 11/);
    expect(() => declare({ gpuCount: 0.5 })).toThrow(/gpuCount must be a whole number/);
    expect(() => declare({ cpuCount: 0.25, maxAttempts: 1 })).not.toThrow();
  });
});

describe('shellQuote', () => {
  it('keeps a word with quotes, spaces and $ literal', () => {
    expect(shellQuote(`a 'b' $HOME`)).toBe(`'a '\\''b'\\'' $HOME'`);
  });

  it('quotes every word of an op command', () => {
    const command = opCommand({
      nodePath: '/n',
      runnerPath: '/r',
      modulePath: '/m.ts',
      exportName: 'f',
      callId: 'id',
      argCount: 0,
    });
    expect(command).toBe(`'/n' '/r' '/m.ts' 'f' 'id' 0`);
  });
});
