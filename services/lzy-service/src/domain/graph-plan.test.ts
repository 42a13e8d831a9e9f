import { commonSlot } from '@lzy/proto';
import type { lzyWorkflow } from '@lzy/proto';
import { describe, expect, it } from 'vitest';
import { planGraph, uriDigest } from './graph-plan.ts';

const slot = (path: string, storageUri: string) => ({ path, storageUri });
const operation = (
  name: string,
  inputSlots: ReturnType<typeof slot>[],
  outputSlots: ReturnType<typeof slot>[],
): lzyWorkflow.Operation => ({
  name,
  description: '',
  command: 'run',
  inputSlots,
  outputSlots,
  dockerImage: '',
  env: {
    $case: 'python',
    value: { yaml: 'name: py39', localModules: [{ name: 'm', url: 'https://u' }] },
  },
  poolSpecName: 's',
});
const storage = { uri: 's3://bucket', credentials: undefined };

describe('planGraph', () => {
  const graph: lzyWorkflow.Graph = {
    name: '',
    parentGraphId: '',
    zone: '',
    dataDescriptions: [],
    operations: [
      operation('a', [slot('/a/arg', 's3://bucket/arg')], [slot('/a/ret', 's3://bucket/x')]),
      operation('b', [slot('/b/arg', 's3://bucket/x')], [slot('/b/ret', 's3://bucket/y')]),
    ],
  };
  const plan = planGraph({
    executionId: 'e1',
    graphId: 'g1',
    graph,
    zone: 'z',
    storage,
    producedEarlier: new Set(),
    portalAddress: '10.0.0.5:7000',
  });

  it('makes one channel per data item named after the execution and the URI digest', () => {
    expect(plan.channels.sort()).toEqual(
      ['s3://bucket/x', 's3://bucket/y', 's3://bucket/arg'].map((u) => `e1/${uriDigest(u)}`).sort(),
    );
  });

  it('persists every output through a portal receiver and serves stored inputs by a sender', () => {
    const kinds = plan.portalSlots.map((s) => [s.storageUri, s.kind, s.storage.uri]);
    expect(kinds).toEqual([
      ['s3://bucket/x', 'receiver', 's3://bucket/x'],
      ['s3://bucket/y', 'receiver', 's3://bucket/y'],
      ['s3://bucket/arg', 'sender', 's3://bucket/arg'],
    ]);
    expect(plan.outputUris).toEqual(['s3://bucket/x', 's3://bucket/y']);
  });

  it('wires the producer output and the consumer input to the same channel', () => {
    const [a, b] = plan.tasks;
    const channelOf = (t: typeof a, path: string) =>
      t?.desc.slotAssignments.find((s) => s.slotName === path)?.channelId;
    expect(channelOf(a, '/a/ret')).toBe(channelOf(b, '/b/arg'));
    expect(b?.desc.operation?.slots.map((s) => s.direction)).toEqual([
      commonSlot.Slot_Direction.INPUT,
      commonSlot.Slot_Direction.OUTPUT,
    ]);
    expect(a?.desc.operation?.requirements).toEqual({ poolLabel: 's', zone: 'z' });
    expect(a?.id).toBe('g1-0');
  });

  it("keeps an input and an output of the same path apart: f(f(x)) reads f's result, writes its own", () => {
    const own = planGraph({
      executionId: 'e1',
      graphId: 'g3',
      graph: {
        ...graph,
        operations: [
          operation(
            'f',
            [slot('/c1/f.x', 's3://bucket/x1')],
            [slot('/c1/f.return_0', 's3://bucket/r1')],
          ),
          operation(
            'f',
            [slot('/c2/f.return_0', 's3://bucket/r1')],
            [slot('/c2/f.return_0', 's3://bucket/r2')],
          ),
        ],
      },
      zone: 'z',
      storage,
      producedEarlier: new Set(),
      portalAddress: '',
    });
    const second = own.tasks[1]?.desc;
    const { INPUT, OUTPUT } = commonSlot.Slot_Direction;
    expect(second?.operation?.slots.map((s) => [s.name, s.direction])).toEqual([
      ['/c2/f.return_0', INPUT],
      ['/c2/f.return_0', OUTPUT],
    ]);
    expect(second?.slotAssignments).toEqual([
      {
        slotName: '/c2/f.return_0',
        channelId: `e1/${uriDigest('s3://bucket/r1')}`,
        lzyTsSenderUri: '',
      },
      {
        slotName: '/c2/f.return_0',
        channelId: `e1/${uriDigest('s3://bucket/r2')}`,
        lzyTsSenderUri: '',
      },
    ]);
    expect(own.tasks[0]?.desc.slotAssignments[1]?.channelId).toBe(
      `e1/${uriDigest('s3://bucket/r1')}`,
    );
    expect(own.outputUris).toEqual(['s3://bucket/r1', 's3://bucket/r2']);
  });

  it('serves an output of an earlier graph on a separate channel', () => {
    const later = planGraph({
      executionId: 'e1',
      graphId: 'g2',
      graph: { ...graph, operations: [operation('c', [slot('/c/arg', 's3://bucket/y')], [])] },
      zone: 'z',
      storage,
      producedEarlier: new Set(['s3://bucket/y']),
      portalAddress: '10.0.0.5:7000',
    });
    expect(later.channels).toEqual([`e1/${uriDigest('s3://bucket/y')}-stored`]);
    expect(later.tasks[0]?.desc.slotAssignments[0]?.lzyTsSenderUri).toBe(
      `slot://10.0.0.5:7000/portal/stored-${uriDigest('s3://bucket/y')}`,
    );
  });

  it("names a stored input's portal sender in its task, and no sender for produced data", () => {
    const [a, b] = plan.tasks;
    const portalSender = plan.portalSlots.find((s) => s.kind === 'sender');
    expect(a?.desc.slotAssignments.map((s) => [s.slotName, s.lzyTsSenderUri])).toEqual([
      ['/a/arg', `slot://10.0.0.5:7000/portal/${portalSender?.slotName ?? '?'}`],
      ['/a/ret', ''],
    ]);
    // b's input is a's output: its sender is the producer's worker, known only when a exits.
    expect(b?.desc.slotAssignments.map((s) => s.lzyTsSenderUri)).toEqual(['', '']);
  });
});
