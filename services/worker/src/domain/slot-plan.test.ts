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
    slotAssignments: slots.map(([slotName, , channelId]) => ({ slotName, channelId })),
  };
}

const summary = (planned: ReturnType<typeof planSlots>) =>
  planned.map((p) => [p.direction, p.channelId, p.filePath, p.slotUri]);

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
    expect(planned.map((p) => [p.direction, p.channelId])).toEqual([
      ['OUTPUT', 'mine'],
      ['INPUT', 'theirs'],
    ]);
    expect(planned[1]?.slotUri).toMatch(/\?input$/);
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
  });

  it('rejects one path for two different inputs or two outputs, and a slot without a channel', () => {
    const twoInputs = taskDesc([
      ['/c/a', INPUT, 'one'],
      ['/c/a', INPUT, 'two'],
    ]);
    expect(() => planSlots(twoInputs, where)).toThrow(/two different inputs/);
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
