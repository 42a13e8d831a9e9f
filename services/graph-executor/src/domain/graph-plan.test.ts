import { InvalidArgument } from '@lzy/errors';
import { commonSlot } from '@lzy/proto';
import { describe, expect, it } from 'vitest';
import { planGraph } from './graph-plan.ts';
import type { GraphTaskInput } from './graph-plan.ts';

const { INPUT, OUTPUT } = commonSlot.Slot_Direction;

/** A task reading channels `reads` and writing channels `writes` (slot names = channel names). */
function task(id: string, reads: string[], writes: string[]): GraphTaskInput {
  const slots = [
    ...reads.map((c) => ({ name: `in-${c}`, media: commonSlot.Slot_Media.FILE, direction: INPUT })),
    ...writes.map((c) => ({
      name: `out-${c}`,
      media: commonSlot.Slot_Media.FILE,
      direction: OUTPUT,
    })),
  ];
  return {
    id,
    taskDesc: {
      operation: { name: `op-${id}`, command: 'true', description: '', slots },
      slotAssignments: slots.map((s) => ({
        slotName: s.name,
        channelId: s.name.slice(s.name.indexOf('-') + 1),
        lzyTsSenderUri: '',
      })),
    },
  };
}

describe('planGraph', () => {
  it('finds producers from slot assignments (diamond)', () => {
    const plan = planGraph([
      task('a', ['input'], ['x']),
      task('b', ['x'], ['y']),
      task('c', ['x'], ['z']),
      task('d', ['y', 'z'], ['out']),
    ]);
    expect(Object.fromEntries(plan.map((t) => [t.id, t.producers]))).toEqual({
      a: [],
      b: ['a'],
      c: ['a'],
      d: ['b', 'c'],
    });
  });

  it('rejects a cycle naming its tasks', () => {
    expect(() => planGraph([task('a', ['z'], ['x']), task('b', ['x'], ['z'])])).toThrow(
      /cycle: .*\(a\).*\(b\)|cycle: .*\(b\).*\(a\)/,
    );
  });

  it('rejects a task reading its own output', () => {
    expect(() => planGraph([task('a', ['x'], ['x'])])).toThrow(InvalidArgument);
  });

  it('tells apart an input and an output slot of the same name by their order (f(f(x)))', () => {
    const slot = (direction: commonSlot.Slot_Direction) => ({
      name: '/call-2/f.return_0',
      media: commonSlot.Slot_Media.FILE,
      direction,
    });
    const second: GraphTaskInput = {
      id: 'second',
      taskDesc: {
        operation: {
          name: 'f',
          command: 'true',
          description: '',
          slots: [slot(INPUT), slot(OUTPUT)],
        },
        slotAssignments: [
          { slotName: '/call-2/f.return_0', channelId: 'first-result', lzyTsSenderUri: '' },
          { slotName: '/call-2/f.return_0', channelId: 'second-result', lzyTsSenderUri: '' },
        ],
      },
    };
    const plan = planGraph([
      task('first', ['x'], ['first-result']),
      second,
      task('third', ['second-result'], []),
    ]);
    expect(Object.fromEntries(plan.map((t) => [t.id, t.producers]))).toEqual({
      first: [],
      second: ['first'],
      third: ['second'],
    });
    second.taskDesc!.slotAssignments.push({
      slotName: '/call-2/f.return_0',
      channelId: 'c',
      lzyTsSenderUri: '',
    });
    expect(() => planGraph([second])).toThrow(/assigned more channels than it is declared/);
  });

  it('rejects two writers of one channel', () => {
    expect(() => planGraph([task('a', [], ['x']), task('b', [], ['x'])])).toThrow(
      /written by two tasks: a and b/,
    );
  });

  it('rejects an empty graph and duplicate ids', () => {
    expect(() => planGraph([])).toThrow(InvalidArgument);
    expect(() => planGraph([task('a', [], []), task('a', [], [])])).toThrow(/twice/);
  });

  it('rejects an assignment of an undeclared slot', () => {
    const t = task('a', [], ['x']);
    t.taskDesc!.slotAssignments.push({ slotName: 'ghost', channelId: 'c', lzyTsSenderUri: '' });
    expect(() => planGraph([t])).toThrow(/ghost/);
  });

  it('plans a chain of 20,000 tasks and finds a cycle closing it (no recursion limit)', () => {
    const n = 20_000;
    const chain = Array.from({ length: n }, (_, i) =>
      task(`t${i}`, i === 0 ? ['seed'] : [`c${i - 1}`], [`c${i}`]),
    );
    const planned = planGraph(chain);
    expect(planned.at(-1)?.producers).toEqual([`t${n - 2}`]);
    chain[0] = task('t0', [`c${n - 1}`], ['c0']);
    expect(() => planGraph(chain)).toThrow(/cycle: .*\(t0\)/);
  });
});
