import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { S3BlobStore } from '@lzy/blob';
import { NotFound } from '@lzy/errors';
import { serverStream, unaryCall } from '@lzy/grpc';
import { commonSlot, slots, worker } from '@lzy/proto';
import { CleanupStack, s3Config, startServiceProcess, testBucket } from '@lzy/testing';
import { ChannelManagerDouble } from './doubles/channel-manager-double.ts';
import {
  finishedOf,
  initAndExecute,
  internalClient,
  internalKeys,
  log,
  slot,
  startTestWorker,
  stdText,
  taskDesc,
  tempDir,
  vmClient,
  watchAll,
} from './worker-harness.ts';
import type { TestWorker } from './worker-harness.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** A /proc/<pid>/status memory field (VmRSS, VmHWM = peak RSS) in KiB. */
async function memoryKb(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (match?.[1] === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]);
}

const cleanup = new CleanupStack();
afterEach(() => cleanup.close());

async function channelManagerDouble(): Promise<{ cm: ChannelManagerDouble; address: string }> {
  const cm = new ChannelManagerDouble();
  const address = await cm.start(log);
  cleanup.defer(() => cm.stop());
  return { cm, address };
}

describe('worker slots', () => {
  it('downloads an input from the producing worker completely before the command starts', async () => {
    const { cm, address } = await channelManagerDouble();
    const env = { LZY_CHANNEL_MANAGER_ADDRESS: address };
    const consumer = await startTestWorker(cleanup, env);
    const producer = await startTestWorker(cleanup, env);

    // The consumer starts first: it must wait for the sender, then read it all.
    const input = slot('/c2/in', 'INPUT');
    await initAndExecute(consumer, {
      taskId: 't-consumer',
      desc: taskDesc('cat "$LZY_MOUNT/c2/in"; wc -c < "$LZY_MOUNT/c2/in"', [
        { slot: input, channelId: 'ch1' },
      ]),
    });
    const consumed = watchAll(consumer, 't-consumer');
    await expect.poll(() => cm.calls).toContain('bind /c2/in');

    const output = slot('/c1/out', 'OUTPUT');
    const produce = 'for i in $(seq 1 20000); do echo "row $i"; done > "$LZY_MOUNT/c1/out"';
    await initAndExecute(producer, {
      taskId: 't-producer',
      desc: taskDesc(produce, [{ slot: output, channelId: 'ch1' }]),
    });
    expect(finishedOf(await watchAll(producer, 't-producer'))?.rc).toBe(0);

    const events = await consumed;
    expect(finishedOf(events)?.rc).toBe(0);
    const expected = Array.from({ length: 20000 }, (_, i) => `row ${i + 1}\n`).join('');
    expect(stdText(events, 'stdout')).toBe(`${expected}${Buffer.byteLength(expected)}\n`);
    await expect.poll(() => cm.calls).toContain('unbind /c2/in');
    expect(cm.senderOf('ch1')?.slot.slotUri).toBe(
      `slot://${producer.running.address}/t-producer/c1/out`,
    );
  });

  it('streams a 256 MB output through ReadSlot with bounded memory and resumes by offset', async () => {
    const { cm, address } = await channelManagerDouble();
    const { publicKeyPem, privateKeyPem } = await internalKeys();
    // A worker process of its own, so its memory is measured apart from the reading test.
    const processWorker = await startServiceProcess(MAIN, {
      LZY_PORT: '0',
      LZY_LOG_LEVEL: 'info',
      LZY_CHANNEL_MANAGER_ADDRESS: address,
      LZY_WORKER_MOUNT_DIR: await tempDir(cleanup, 'big'),
      LZY_WORKER_TRUSTED_PUBLIC_KEYS: JSON.stringify({ 'lzy-internal': publicKeyPem }),
      LZY_INTERNAL_PRIVATE_KEY: privateKeyPem,
    });
    cleanup.defer(async () => void (await processWorker.stop('SIGTERM')));
    const producer = {
      running: { address: `127.0.0.1:${processWorker.port}` },
      client: await internalClient(
        worker.WorkerServiceClient,
        `127.0.0.1:${processWorker.port}`,
        cleanup,
      ),
    } as TestWorker;
    const sizeBytes = 256 * 1024 * 1024;
    const command = `head -c ${sizeBytes} /dev/urandom > "$LZY_MOUNT/c1/big"; sha256sum "$LZY_MOUNT/c1/big"`;
    await initAndExecute(producer, {
      taskId: 't-big',
      desc: taskDesc(command, [{ slot: slot('/c1/big', 'OUTPUT'), channelId: 'big' }]),
    });
    const events = await watchAll(producer, 't-big');
    expect(finishedOf(events)?.rc).toBe(0);
    const expectedSha = stdText(events, 'stdout').split(' ')[0];
    const slotUri = cm.senderOf('big')?.slot.slotUri ?? '';

    const client = await internalClient(
      slots.SlotsServiceClient,
      producer.running.address,
      cleanup,
    );
    const rssBefore = await memoryKb(processWorker.pid, 'VmRSS');
    const hash = createHash('sha256');
    let received = 0;
    let eos = -1;
    for await (const message of serverStream(client.readSlot.bind(client), {
      slotUri,
      offset: 0,
    })) {
      if (message.event?.$case === 'chunk') {
        expect(message.event.value.offset).toBe(received);
        expect(message.event.value.data.length).toBeLessThanOrEqual(1024 * 1024);
        hash.update(message.event.value.data);
        received += message.event.value.data.length;
      } else if (message.event?.$case === 'eos') eos = message.event.value.sizeBytes;
    }
    expect(received).toBe(sizeBytes);
    expect(eos).toBe(sizeBytes);
    expect(hash.digest('hex')).toBe(expectedSha);
    const peakGrowthKb = (await memoryKb(processWorker.pid, 'VmHWM')) - rssBefore;
    // Node frees 1 MiB buffers lazily (V8 collects after ~64 MiB of external growth), so the
    // peak settles near 90 MiB whatever the size; far below the 256 MiB a whole-file buffer needs.
    expect(peakGrowthKb * 1024).toBeLessThan(sizeBytes / 2);

    const tail: Buffer[] = [];
    const from = sizeBytes - 10;
    for await (const message of serverStream(client.readSlot.bind(client), {
      slotUri,
      offset: from,
    })) {
      if (message.event?.$case === 'chunk') tail.push(message.event.value.data);
    }
    expect(Buffer.concat(tail).length).toBe(10);

    const status = await unaryCall(client.getSlotStatus.bind(client), { slotUri });
    expect(status.status?.state).toBe(commonSlot.SlotStatus_State.OPEN);
    expect(status.status?.pointer).toBe(sizeBytes);
  });

  it('uploads an exposed output to presigned S3 part URLs without the credentials', async () => {
    const { cm, address } = await channelManagerDouble();
    const producer = await startTestWorker(cleanup, { LZY_CHANNEL_MANAGER_ADDRESS: address });
    const sizeBytes = 12 * 1024 * 1024 + 7;
    const command = `head -c ${sizeBytes} /dev/urandom > "$LZY_MOUNT/c1/up"; sha256sum "$LZY_MOUNT/c1/up"`;
    await initAndExecute(producer, {
      taskId: 't-up',
      desc: taskDesc(command, [{ slot: slot('/c1/up', 'OUTPUT'), channelId: 'up' }]),
    });
    const events = await watchAll(producer, 't-up');
    expect(finishedOf(events)?.rc).toBe(0);
    const slotUri = cm.senderOf('up')?.slot.slotUri ?? '';
    const client = await internalClient(
      slots.SlotsServiceClient,
      producer.running.address,
      cleanup,
    );
    const status = await unaryCall(client.getSlotStatus.bind(client), { slotUri });
    expect(status.status?.pointer).toBe(sizeBytes);

    // The test plays the portal: it holds the credentials, the worker gets part URLs only.
    const store = new S3BlobStore({
      ...s3Config(),
      bucket: await testBucket(),
      forcePathStyle: true,
      partSizeBytes: 5 * 1024 * 1024,
    });
    cleanup.defer(() => store.close());
    await store.putFromSender('copy', sizeBytes, (parts, signal) =>
      serverStream(
        client.uploadSlot.bind(client),
        { slotUri, parts: [...parts], parallelParts: 2 },
        { signal },
      ),
    );
    const stored = createHash('sha256');
    for await (const piece of await store.get('copy')) stored.update(piece as Buffer);
    expect(stored.digest('hex')).toBe(stdText(events, 'stdout').split(' ')[0]);

    const unknown = serverStream(client.uploadSlot.bind(client), {
      slotUri: `${slotUri}-none`,
      parts: [{ partNumber: 1, offset: 0, sizeBytes: 1, url: 'http://127.0.0.1:1/x' }],
      parallelParts: 1,
    });
    await expect(unknown.next()).rejects.toThrow(NotFound);
  });

  it('does not expose outputs of a failed command', async () => {
    const { cm, address } = await channelManagerDouble();
    const producer = await startTestWorker(cleanup, { LZY_CHANNEL_MANAGER_ADDRESS: address });
    await initAndExecute(producer, {
      taskId: 't-fail',
      desc: taskDesc('echo partial > "$LZY_MOUNT/c1/out"; exit 1', [
        { slot: slot('/c1/out', 'OUTPUT'), channelId: 'ch-fail' },
      ]),
    });
    expect(finishedOf(await watchAll(producer, 't-fail'))?.rc).toBe(1);
    expect(cm.senderOf('ch-fail')).toBeUndefined();
  });

  it('reads an input from the sender its task names (a stored input) without binding it', async () => {
    const { cm, address } = await channelManagerDouble();
    const env = { LZY_CHANNEL_MANAGER_ADDRESS: address };
    const producer = await startTestWorker(cleanup, env);
    const consumer = await startTestWorker(cleanup, env);
    await initAndExecute(producer, {
      taskId: 't-planned-p',
      desc: taskDesc('seq 1 500 > "$LZY_MOUNT/p/out"', [
        { slot: slot('/p/out', 'OUTPUT'), channelId: 'ch-stored' },
      ]),
    });
    expect(finishedOf(await watchAll(producer, 't-planned-p'))?.rc).toBe(0);
    const sender = `slot://${producer.running.address}/t-planned-p/p/out`;
    await initAndExecute(consumer, {
      taskId: 't-planned-c',
      desc: taskDesc('wc -l < "$LZY_MOUNT/c/in"', [
        { slot: slot('/c/in', 'INPUT'), channelId: 'ch-stored', plannedSender: sender },
      ]),
    });
    const events = await watchAll(consumer, 't-planned-c');
    expect(finishedOf(events)?.rc).toBe(0);
    expect(stdText(events, 'stdout')).toBe('500\n');
    expect(cm.calls).toEqual(['bind /p/out']);
  });

  it('falls back to the channel-manager when the planned sender cannot serve the input', async () => {
    const { cm, address } = await channelManagerDouble();
    const env = { LZY_CHANNEL_MANAGER_ADDRESS: address };
    const producer = await startTestWorker(cleanup, env);
    const consumer = await startTestWorker(cleanup, env);
    await initAndExecute(producer, {
      taskId: 't-fallback-p',
      desc: taskDesc('seq 1 300 > "$LZY_MOUNT/p/out"', [
        { slot: slot('/p/out', 'OUTPUT'), channelId: 'ch-fb' },
      ]),
    });
    expect(finishedOf(await watchAll(producer, 't-fallback-p'))?.rc).toBe(0);
    // A slot the producer does not serve: its ReadSlot answers NOT_FOUND.
    const gone = `slot://${producer.running.address}/t-fallback-p/p/missing`;
    await initAndExecute(consumer, {
      taskId: 't-fallback-c',
      desc: taskDesc('wc -l < "$LZY_MOUNT/c/in"', [
        { slot: slot('/c/in', 'INPUT'), channelId: 'ch-fb', plannedSender: gone },
      ]),
    });
    const events = await watchAll(consumer, 't-fallback-c');
    expect(finishedOf(events)?.rc).toBe(0);
    expect(stdText(events, 'stdout')).toBe('300\n');
    expect(cm.calls).toContain('bind /c/in');
  });

  it('copies an input produced by an earlier task on the same worker without binding it', async () => {
    const { cm, address } = await channelManagerDouble();
    const w = await startTestWorker(cleanup, { LZY_CHANNEL_MANAGER_ADDRESS: address });
    await initAndExecute(w, {
      taskId: 't-local-p',
      desc: taskDesc('seq 1 1000 > "$LZY_MOUNT/p/out"', [
        { slot: slot('/p/out', 'OUTPUT'), channelId: 'ch-local' },
      ]),
    });
    expect(finishedOf(await watchAll(w, 't-local-p'))?.rc).toBe(0);
    // The consumer changes its copy: the producer's output (still served) must stay intact.
    const consume = 'wc -l < "$LZY_MOUNT/c/in"; echo changed > "$LZY_MOUNT/c/in"';
    await initAndExecute(w, {
      taskId: 't-local-c',
      desc: taskDesc(consume, [{ slot: slot('/c/in', 'INPUT'), channelId: 'ch-local' }]),
    });
    const events = await watchAll(w, 't-local-c');
    expect(finishedOf(events)?.rc).toBe(0);
    expect(stdText(events, 'stdout')).toBe('1000\n');
    expect(cm.calls).toEqual(['bind /p/out']);

    const client = await internalClient(slots.SlotsServiceClient, w.running.address, cleanup);
    const produced: Buffer[] = [];
    for await (const message of serverStream(client.readSlot.bind(client), {
      slotUri: cm.senderOf('ch-local')?.slot.slotUri ?? '',
      offset: 0,
    })) {
      if (message.event?.$case === 'chunk') produced.push(message.event.value.data);
    }
    const expected = Array.from({ length: 1000 }, (_, i) => `${i + 1}\n`).join('');
    expect(Buffer.concat(produced).toString()).toBe(expected);
  });

  it("serves an output to a VM of the task's user and refuses a VM of another user, or of none", async () => {
    const { cm, address } = await channelManagerDouble();
    const w = await startTestWorker(cleanup, { LZY_CHANNEL_MANAGER_ADDRESS: address });
    await initAndExecute(w, {
      taskId: 't-owned',
      desc: taskDesc('echo secret > "$LZY_MOUNT/o/out"', [
        { slot: slot('/o/out', 'OUTPUT'), channelId: 'ch-owned' },
      ]),
    }); // Init as user u1
    expect(finishedOf(await watchAll(w, 't-owned'))?.rc).toBe(0);
    const slotUri = cm.senderOf('ch-owned')?.slot.slotUri ?? '';
    const read = async (client: slots.SlotsServiceClient) => {
      const data: Buffer[] = [];
      for await (const message of serverStream(client.readSlot.bind(client), {
        slotUri,
        offset: 0,
      }))
        if (message.event?.$case === 'chunk') data.push(message.event.value.data);
      return Buffer.concat(data).toString();
    };

    const u1Vm = await vmClient(slots.SlotsServiceClient, w.running.address, 'vm-u1-1', cleanup);
    expect(await read(u1Vm)).toBe('secret\n');
    const bobVm = await vmClient(slots.SlotsServiceClient, w.running.address, 'vm-bob-1', cleanup);
    await expect(read(bobVm)).rejects.toThrow(/not of the user VM vm-bob-1 works for/);
    await expect(unaryCall(bobVm.getSlotStatus.bind(bobVm), { slotUri })).rejects.toThrow(
      /not of the user VM vm-bob-1 works for/,
    );
    const orphan = await vmClient(slots.SlotsServiceClient, w.running.address, 'vm-x', cleanup);
    await expect(read(orphan)).rejects.toThrow(/works for no recorded user/);
  });
});
