import { FailedPrecondition } from '@lzy/errors';
import { describe, expect, it } from 'vitest';
import { checkOpenSlots } from './open-slot-checks.ts';
import type { OpenSlotSpec } from './open-slot-checks.ts';
import type { SnapshotStoragePort } from './ports.ts';

function snapshot(name: string, direction: 'INPUT' | 'OUTPUT', key: string): OpenSlotSpec {
  const location = {
    uri: `s3://b/${key}`,
    bucket: 'b',
    key,
    endpoint: '',
    accessKeyId: '',
    secretAccessKey: '',
  };
  return {
    name,
    fingerprint: name,
    channelId: name,
    kind: { type: 'snapshot', direction, location },
  };
}

/** Storage holding `existing` keys that records how many look-ups were in flight at most. */
function storageWith(existing: string[]) {
  const seen = { inFlight: 0, maxInFlight: 0, lookups: 0 };
  const storage = {
    senderUploadMinBytes: 0,
    sizeOf: async (at: { key: string }) => {
      seen.lookups += 1;
      seen.maxInFlight = Math.max(seen.maxInFlight, ++seen.inFlight);
      await Promise.resolve();
      seen.inFlight -= 1;
      return existing.includes(at.key) ? 1 : undefined;
    },
  } as unknown as SnapshotStoragePort;
  return { storage, seen };
}

describe('checkOpenSlots', () => {
  it("looks up a big graph's objects 16 at a time, skipping outputs this portal receives", async () => {
    const outputs = Array.from({ length: 100 }, (_, i) => snapshot(`o${i}`, 'INPUT', `out/${i}`));
    const { storage, seen } = storageWith(['in/arg']);
    await checkOpenSlots(
      [...outputs, snapshot('arg', 'OUTPUT', 'in/arg'), snapshot('o7-again', 'OUTPUT', 'out/7')],
      [],
      storage,
    );
    expect(seen.maxInFlight).toBe(16);
    expect(seen.lookups).toBe(101);
  });

  it('refuses an output that exists and a stored input that does not, naming the object', async () => {
    const { storage } = storageWith(['out/3']);
    const outputs = Array.from({ length: 40 }, (_, i) => snapshot(`o${i}`, 'INPUT', `out/${i}`));
    await expect(checkOpenSlots(outputs, [], storage)).rejects.toThrow(
      new FailedPrecondition('s3://b/out/3 already exists: snapshots are write-once'),
    );
    await expect(
      checkOpenSlots([snapshot('arg', 'OUTPUT', 'in/none')], [], storage),
    ).rejects.toThrow('s3://b/in/none does not exist in storage');
  });
});
