import { InvalidArgument } from '@lzy/errors';
import { commonSlot } from '@lzy/proto';
import type { commonOperation } from '@lzy/proto';
import { describe, expect, it } from 'vitest';
import { planSlots } from './slot-plan.ts';

const { INPUT, OUTPUT } = commonSlot.Slot_Direction;
const where = { taskDir: '/mnt/t1', address: '127.0.0.1:7000', taskId: 't1' };

/** A task desc from (name, direction, channel) triples, assignments in slot order. */
function taskDesc(
  slots: Array<[string, commonSlot.Slot_Direction, string]>,
): commonOperation.TaskDesc {
  return {
    operation: {
      name: 'f',
      description: '',
      command: 'true',
      slots: slots.map(([name, direction]) => ({
        name,
        direction,
        media: commonSlot.Slot_Media.FILE,
        contentType: undefined,
      })),
      env: undefined,
      requirements: undefined,
      stdout: undefined,
      stderr: undefined,
    },
    slotAssignments: slots.map(([slotName, , channelId]) => ({
      slotName,
      channelId,
      lzyTsSenderUri: '',
    })),
  };
}

const summary = (plan: ReturnType<typeof planSlots>) =>
  plan.slots.map((p) => [p.direction, p.channelId, p.filePath, p.slotUri]);

describe('planSlots', () => {
  it('pairs each slot with its channel, file under the task directory and slot URI', () => {
    const planned = planSlots(
      taskDesc([
        ['/c1/f.x', INPUT, 'ch-x'],
        ['/c1/f.return_0', OUTPUT, 'ch-r'],
      ]),
      where,
    );
    expect(summary(planned)).toEqual([
      ['INPUT', 'ch-x', '/mnt/t1/c1/f.x', 'slot://127.0.0.1:7000/t1/c1/f.x'],
      ['OUTPUT', 'ch-r', '/mnt/t1/c1/f.return_0', 'slot://127.0.0.1:7000/t1/c1/f.return_0'],
    ]);
  });

  it('keeps an input and an output of the same path apart (f(f(x))): one file, two slots', () => {
    const planned = planSlots(
      taskDesc([
        ['/c2/f.return_0', INPUT, 'first-result'],
        ['/c2/f.return_0', OUTPUT, 'second-result'],
      ]),
      where,
    );
    expect(summary(planned)).toEqual([
      [
        'INPUT',
        'first-result',
        '/mnt/t1/c2/f.return_0',
        'slot://127.0.0.1:7000/t1/c2/f.return_0?input',
      ],
      [
        'OUTPUT',
        'second-result',
        '/mnt/t1/c2/f.return_0',
        'slot://127.0.0.1:7000/t1/c2/f.return_0',
      ],
    ]);
  });

  it('matches assignments of one name in order even when the output is declared first', () => {
    const planned = planSlots(
      taskDesc([
        ['/c2/f.return_0', OUTPUT, 'mine'],
        ['/c2/f.return_0', INPUT, 'theirs'],
      ]),
      where,
    );
    expect(planned.slots.map((p) => [p.direction, p.channelId])).toEqual([
      ['OUTPUT', 'mine'],
      ['INPUT', 'theirs'],
    ]);
    expect(planned.slots[1]?.slotUri).toMatch(/\?input$/);
  });

  it('plans the same input passed twice once', () => {
    const planned = planSlots(
      taskDesc([
        ['/c3/g.return_0', INPUT, 'ch-g'],
        ['/c3/g.return_0', INPUT, 'ch-g'],
        ['/c3/h.return_0', OUTPUT, 'ch-h'],
      ]),
      where,
    );
    expect(summary(planned).map(([direction, channel]) => [direction, channel])).toEqual([
      ['INPUT', 'ch-g'],
      ['OUTPUT', 'ch-h'],
    ]);
    expect(planned.repeatedInputs.size).toBe(0);
  });

  it('gives each different input of one path its own file and says which occurrence reads which', () => {
    // pylzy's total(a, b, a, c): every input is /c4/square.return_0.
    const planned = planSlots(
      taskDesc([
        ['/c4/square.return_0', INPUT, 'a'],
        ['/c4/square.return_0', INPUT, 'b'],
        ['/c4/square.return_0', INPUT, 'a'],
        ['/c4/square.return_0.input-2', INPUT, 'x'],
        ['/c4/square.return_0', INPUT, 'c'],
        ['/c4/total.return_0', OUTPUT, 'out'],
      ]),
      where,
    );
    expect(summary(planned)).toEqual([
      ['INPUT', 'a', '/mnt/t1/c4/square.return_0', 'slot://127.0.0.1:7000/t1/c4/square.return_0'],
      [
        'INPUT',
        'b',
        '/mnt/t1/c4/square.return_0.input-1',
        'slot://127.0.0.1:7000/t1/c4/square.return_0.input-1',
      ],
      [
        'INPUT',
        'x',
        '/mnt/t1/c4/square.return_0.input-2',
        'slot://127.0.0.1:7000/t1/c4/square.return_0.input-2',
      ],
      // .input-2 is a declared name: the next free one.
      [
        'INPUT',
        'c',
        '/mnt/t1/c4/square.return_0.input-3',
        'slot://127.0.0.1:7000/t1/c4/square.return_0.input-3',
      ],
      ['OUTPUT', 'out', '/mnt/t1/c4/total.return_0', 'slot://127.0.0.1:7000/t1/c4/total.return_0'],
    ]);
    expect([...planned.repeatedInputs]).toEqual([
      [
        '/c4/square.return_0',
        [
          '/c4/square.return_0',
          '/c4/square.return_0.input-1',
          '/c4/square.return_0',
          '/c4/square.return_0.input-3',
        ],
      ],
    ]);
  });

  it('rejects one path for two outputs, and a slot without a channel', () => {
    const twoOutputs = taskDesc([
      ['/c/a', OUTPUT, 'one'],
      ['/c/a', OUTPUT, 'two'],
    ]);
    expect(() => planSlots(twoOutputs, where)).toThrow(/two different outputs/);
    const unassigned = taskDesc([['/c/a', INPUT, 'one']]);
    unassigned.slotAssignments = [];
    expect(() => planSlots(unassigned, where)).toThrow(InvalidArgument);
  });
});
