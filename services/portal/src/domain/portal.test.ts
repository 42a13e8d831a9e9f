import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@lzy/logging';
import { Portal } from './portal.ts';
import type { OpenSlotSpec } from './open-slot-checks.ts';
import type { ChannelManagerPort, SlotReaderPort, SnapshotStoragePort } from './ports.ts';

const location = (key: string) => ({
  uri: `s3://b/${key}`,
  bucket: 'b',
  key,
  endpoint: 'http://s3',
  accessKeyId: 'k',
  secretAccessKey: 's',
});

/** Storage holding one object, `inputs/arg` = "42". */
const storage: SnapshotStoragePort = {
  senderUploadMinBytes: 1 << 30,
  sizeOf: (at) => Promise.resolve(at.key === 'inputs/arg' ? 2 : undefined),
  get: () => Promise.resolve(Readable.from([Buffer.from('42')])),
  put: () => Promise.reject(new Error('not in this test')),
  putFromSender: () => Promise.reject(new Error('not in this test')),
};

/** A channel manager whose BindSlots answers when the test releases it. */
function heldChannels() {
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const channels: ChannelManagerPort = {
    bindSlots: () => held,
    watchSender: () => ({
      [Symbol.asyncIterator]: () => ({ next: () => new Promise<never>(() => undefined) }),
    }),
    hasSender: () => Promise.resolve(false),
  };
  return { channels, release };
}

const storedInput: OpenSlotSpec = {
  name: 'stored-arg',
  fingerprint: 'f',
  channelId: 'ch-arg',
  kind: { type: 'snapshot', direction: 'OUTPUT', location: location('inputs/arg') },
};

function portalWith(channels: ChannelManagerPort) {
  return new Portal({
    channels,
    reader: {} as SlotReaderPort,
    storage,
    slotUriOf: (name) => `slot://portal:1/portal/${name}`,
    log: createLogger({ service: 'portal-unit', level: 'silent' }),
    stdBufferBytes: 1 << 20,
    finishStdGraceMs: 1000,
  });
}

describe('Portal.readSlot', () => {
  it('waits for an OpenSlots still binding the slot instead of answering NOT_FOUND', async () => {
    const { channels, release } = heldChannels();
    const portal = portalWith(channels);
    const opening = portal.openSlots([storedInput]);
    const read = portal.readSlot(
      'slot://portal:1/portal/stored-arg',
      0,
      new AbortController().signal,
    );
    const first = read.next(); // a task reading its stored input before the portal opened it
    release();
    await opening;
    expect((await first).value).toMatchObject({ offset: 0, data: Buffer.from('42') });
    portal.stop();
  });

  it('answers NOT_FOUND for a slot no OpenSlots opens', async () => {
    const { channels } = heldChannels();
    const portal = portalWith(channels);
    void portal.openSlots([storedInput]).catch(() => undefined);
    const read = portal.readSlot('slot://portal:1/portal/other', 0, new AbortController().signal);
    await expect(read.next()).rejects.toThrow(/no readable portal slot/);
    portal.stop();
  });
});
