import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClientWritableStream } from '@grpc/grpc-js';
import { serverStream, unaryCall } from '@lzy/grpc';
import { portal } from '@lzy/proto';
import { testBucket } from '@lzy/testing';
import { bufferContent } from './doubles/worker-slots-double.ts';
import { snapshotSlot, startPortalFixture } from './portal-fixture.ts';
import type { PortalFixture } from './portal-fixture.ts';

let fx: PortalFixture;
beforeEach(async () => {
  fx = await startPortalFixture();
});
afterEach(() => fx.cleanup.close());

/** A worker's WriteStd client stream; `done` settles with the call's outcome. */
function openWriteStd(): {
  stream: ClientWritableStream<portal.WriteStdRequest>;
  done: Promise<void>;
} {
  let stream!: ClientWritableStream<portal.WriteStdRequest>;
  const done = new Promise<void>((resolve, reject) => {
    stream = fx.portal.writeStd((err) => (err ? reject(err) : resolve()));
  });
  return { stream, done };
}

async function finishAndWatch(producersDone = false): Promise<boolean[]> {
  const op = await unaryCall(fx.portal.finish.bind(fx.portal), { producersDone });
  const seen: boolean[] = [];
  for await (const m of serverStream(fx.operations.watchOperation.bind(fx.operations), {
    operationId: op.id,
  }))
    seen.push(m.operation?.done ?? false);
  return seen;
}

describe('portal std and finish', () => {
  it('delivers WriteStd lines to a ReadStd subscriber live and ends the stream OK after Finish', async () => {
    const reader = serverStream(fx.portal.readStd.bind(fx.portal), { fromSeq: 0 });
    const writer = openWriteStd();
    writer.stream.write({
      taskId: 't1',
      stream: portal.StdStream.STD_STREAM_STDOUT,
      data: Buffer.from('hello\n'),
    });

    const first = await reader.next();
    expect(first.value).toEqual({
      seq: 1,
      taskId: 't1',
      stream: portal.StdStream.STD_STREAM_STDOUT,
      data: 'hello\n',
    });

    writer.stream.write({
      taskId: 't1',
      stream: portal.StdStream.STD_STREAM_STDERR,
      data: Buffer.from('oops'),
    });
    writer.stream.end();
    await writer.done;
    const finishing = finishAndWatch();
    const rest: portal.ReadStdResponse[] = [];
    for await (const m of reader) rest.push(m);
    expect(rest).toEqual([
      { seq: 2, taskId: 't1', stream: portal.StdStream.STD_STREAM_STDERR, data: 'oops' },
    ]);
    expect((await finishing).at(-1)).toBe(true);

    const late = openWriteStd();
    late.stream.end();
    await expect(late.done).rejects.toThrow(/FAILED_PRECONDITION|finished/);
  });

  it('completes Finish only after every output snapshot is SYNCED', async () => {
    const bucket = await testBucket();
    const senderUri = fx.worker.addSlot('task-f', 'out', bufferContent(Buffer.from('result')));
    await unaryCall(fx.portal.openSlots.bind(fx.portal), {
      slots: [snapshotSlot('/task-f/out', 'INPUT', 'ch-f', `s3://${bucket}/f`)],
    });
    const op = await unaryCall(fx.portal.finish.bind(fx.portal), { producersDone: false });
    expect(op.done).toBe(false);
    const again = await unaryCall(fx.portal.finish.bind(fx.portal), { producersDone: false });
    expect(again.id).toBe(op.id);

    const watch = serverStream(fx.operations.watchOperation.bind(fx.operations), {
      operationId: op.id,
    });
    const current = await watch.next();
    expect(current.value?.operation?.done).toBe(false);
    fx.channelManager.bindWorkerSender('ch-f', senderUri);
    for await (const m of watch) if (m.operation?.done) break;

    const status = await unaryCall(fx.portal.getSlotsStatus.bind(fx.portal), {
      slotNames: ['/task-f/out'],
    });
    expect(status.slots[0]?.snapshotStatus).toBe(portal.SnapshotStatus.SNAPSHOT_STATUS_SYNCED);
    await expect(
      unaryCall(fx.portal.openSlots.bind(fx.portal), {
        slots: [snapshotSlot('/late', 'INPUT', 'ch-late', `s3://${bucket}/late`)],
      }),
    ).rejects.toThrow(/finishing/);
  });

  it('finishes without an output whose producer never came, marking that snapshot FAILED', async () => {
    const bucket = await testBucket();
    await unaryCall(fx.portal.openSlots.bind(fx.portal), {
      slots: [snapshotSlot('/task-x/out', 'INPUT', 'ch-x', `s3://${bucket}/x`)],
    });
    expect(await finishAndWatch()).toContain(true);
    const status = await unaryCall(fx.portal.getSlotsStatus.bind(fx.portal), {
      slotNames: ['/task-x/out'],
    });
    expect(status.slots[0]?.snapshotStatus).toBe(portal.SnapshotStatus.SNAPSHOT_STATUS_FAILED);
    expect(status.slots[0]?.description).toContain('no op produced it');
  });
});

describe('portal Finish once every graph ended (producers_done)', () => {
  let slow: PortalFixture;
  // A grace far beyond the test's timeout: only the producers_done path can finish in time.
  beforeEach(async () => {
    slow = await startPortalFixture({ finishGraceMs: 600_000 });
  });
  afterEach(() => slow.cleanup.close());

  it('abandons at once a snapshot no op produced and still stores one whose sender is bound', async () => {
    const bucket = await testBucket();
    const senderUri = slow.worker.addSlot('task-p', 'out', bufferContent(Buffer.from('made')));
    await unaryCall(slow.portal.openSlots.bind(slow.portal), {
      slots: [
        snapshotSlot('/task-p/out', 'INPUT', 'ch-p', `s3://${bucket}/p`),
        snapshotSlot('/task-q/out', 'INPUT', 'ch-q', `s3://${bucket}/q`),
      ],
    });
    slow.channelManager.bindWorkerSender('ch-p', senderUri);
    const op = await unaryCall(slow.portal.finish.bind(slow.portal), { producersDone: true });
    const seen: boolean[] = [];
    for await (const m of serverStream(slow.operations.watchOperation.bind(slow.operations), {
      operationId: op.id,
    }))
      seen.push(m.operation?.done ?? false);
    expect(seen.at(-1)).toBe(true);
    const status = await unaryCall(slow.portal.getSlotsStatus.bind(slow.portal), {
      slotNames: ['/task-p/out', '/task-q/out'],
    });
    expect(status.slots.map((s) => s.snapshotStatus)).toEqual([
      portal.SnapshotStatus.SNAPSHOT_STATUS_SYNCED,
      portal.SnapshotStatus.SNAPSHOT_STATUS_FAILED,
    ]);
  }, 30_000);
});
