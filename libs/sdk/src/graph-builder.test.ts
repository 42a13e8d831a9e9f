import { describe, expect, it } from 'vitest';
import { buildGraph, dataUri } from './graph-builder.ts';
import type { GraphCall } from './graph-builder.ts';
import { opCommand, shellQuote } from './op-command.ts';
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
