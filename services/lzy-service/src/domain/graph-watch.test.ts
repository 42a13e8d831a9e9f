import { ChangeEvents } from '@lzy/events';
import { NotFound, Unavailable } from '@lzy/errors';
import { describe, expect, it } from 'vitest';
import type { TaskState } from '@lzy/tasks';
import { GraphWatch } from './graph-watch.ts';
import { initialView, userStatusOf } from './graph-view.ts';
import type { GraphView } from './graph-view.ts';

/** The tracker's part GraphWatch uses, with views set by the test. */
class TrackerFake {
  readonly events = new ChangeEvents();
  view: GraphView | undefined = initialView(['out']);

  subscribe(executionId: string, graphId: string) {
    return this.events.subscribe(`${executionId}/${graphId}`);
  }

  set(view: GraphView | undefined): void {
    this.view = view;
    this.events.notify('e/g');
  }
}

function executingView(tasks: Record<string, TaskState>): GraphView {
  return { executor: { state: 'EXECUTING', description: '', tasks }, slots: { out: 'PENDING' } };
}

const completedView: GraphView = {
  executor: { state: 'COMPLETED', description: '', tasks: {} },
  slots: { out: 'SYNCED' },
};

function setup() {
  const tracker = new TrackerFake();
  let openStreams = 0;
  const watch = new GraphWatch({
    tracker: { subscribe: (e, g) => tracker.subscribe(e, g), view: () => tracker.view },
    graphs: {
      status: () =>
        tracker.view === undefined
          ? Promise.reject(new NotFound("Cannot find active execution 'e'"))
          : Promise.resolve(userStatusOf(tracker.view)),
    },
    activity: {
      openStream: () => {
        openStreams += 1;
        return () => (openStreams -= 1);
      },
    },
  });
  const abort = new AbortController();
  const statuses = watch.watch('alice', 'e', 'g', abort.signal);
  return { tracker, watch, statuses, abort, openStreams: () => openStreams };
}

describe('GraphWatch', () => {
  it('sends the latest status once for a burst of changes, never a queue of them', async () => {
    const { tracker, statuses } = setup();
    expect((await statuses.next()).value).toEqual({ kind: 'waiting' });
    for (let i = 0; i < 100; i++) {
      const tasks = Object.fromEntries(
        Array.from({ length: i + 1 }, (_, t): [string, TaskState] => [
          `t${t}`,
          t < i ? 'SUCCEEDED' : 'EXECUTING',
        ]),
      );
      tracker.set(executingView(tasks));
    }
    const latest = (await statuses.next()).value;
    expect(latest).toMatchObject({ kind: 'executing', executing: ['t99'] });
    expect(latest).toHaveProperty('completed.length', 99);
    tracker.set(completedView);
    expect((await statuses.next()).value).toEqual({ kind: 'completed' });
    expect(await statuses.next()).toEqual({ done: true, value: undefined });
  });

  it('does not send a status again when a change leaves it as it was', async () => {
    const { tracker, statuses } = setup();
    await statuses.next();
    tracker.set(executingView({ t0: 'EXECUTING' }));
    expect((await statuses.next()).value).toMatchObject({ executing: ['t0'] });
    tracker.set(executingView({ t0: 'EXECUTING' })); // changed view, same user status
    tracker.events.notify('e/g');
    const pending = statuses.next();
    tracker.set(executingView({ t0: 'SUCCEEDED' }));
    expect((await pending).value).toMatchObject({ completed: ['t0'], executing: [] });
  });

  it("ends with GraphStatus's error once the execution is torn down", async () => {
    const { tracker, statuses, openStreams } = setup();
    await statuses.next();
    expect(openStreams()).toBe(1);
    const pending = statuses.next();
    tracker.set(undefined); // forget(): no view, and the execution is no longer active
    await expect(pending).rejects.toThrow(NotFound);
    expect(openStreams()).toBe(0);
  });

  it('ends open watches with UNAVAILABLE on stop and refuses new ones', async () => {
    const { watch, statuses, openStreams } = setup();
    await statuses.next();
    const pending = statuses.next();
    watch.stop();
    await expect(pending).rejects.toThrow(Unavailable);
    expect(openStreams()).toBe(0);
    const late = watch.watch('alice', 'e', 'g', new AbortController().signal);
    await expect(late.next()).rejects.toThrow(/stopping/);
  });

  it('returns quietly when the caller goes away', async () => {
    const { statuses, abort, openStreams } = setup();
    await statuses.next();
    const pending = statuses.next();
    abort.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(openStreams()).toBe(0);
  });
});
