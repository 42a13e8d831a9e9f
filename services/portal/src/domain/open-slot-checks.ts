import { FailedPrecondition } from '@lzy/errors';
import type { SnapshotLocation, SnapshotStoragePort } from './ports.ts';
import type { StdStreamName } from './std-log.ts';

/** One slot of OpenSlots, decoded. `fingerprint` identifies the whole description (idempotency). */
export interface OpenSlotSpec {
  name: string;
  fingerprint: string;
  channelId: string;
  kind:
    | { type: 'snapshot'; direction: 'INPUT' | 'OUTPUT'; location: SnapshotLocation }
    | { type: 'std'; taskId: string; stream: StdStreamName };
}

/**
 * Storage look-ups in flight at once while checking one OpenSlots: a graph of thousands of ops
 * opens as many slots, and one look-up after the other made OpenSlots the slowest step of
 * ExecuteGraph.
 */
const PARALLEL_CHECKS = 16;

/**
 * Checks the snapshot slots about to be opened against storage: an INPUT snapshot's object must
 * not exist yet (write-once), an OUTPUT snapshot's must exist unless this portal receives it
 * (`fresh` or `opened` has an INPUT snapshot of the same object).
 * @throws FailedPrecondition naming the first object that fails
 */
export async function checkOpenSlots(
  fresh: readonly OpenSlotSpec[],
  opened: readonly OpenSlotSpec[],
  storage: SnapshotStoragePort,
): Promise<void> {
  const receivedHere = new Set(
    [...fresh, ...opened].flatMap(({ kind }) =>
      kind.type === 'snapshot' && kind.direction === 'INPUT' ? [kind.location.uri] : [],
    ),
  );
  const check = async (location: SnapshotLocation, direction: 'INPUT' | 'OUTPUT') => {
    if (direction === 'OUTPUT' && receivedHere.has(location.uri)) return;
    const exists = (await storage.sizeOf(location)) !== undefined;
    if (direction === 'INPUT' && exists)
      throw new FailedPrecondition(`${location.uri} already exists: snapshots are write-once`);
    if (direction === 'OUTPUT' && !exists)
      throw new FailedPrecondition(`${location.uri} does not exist in storage`);
  };
  const pending = fresh.flatMap(({ kind }) => (kind.type === 'snapshot' ? [kind] : []));
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < pending.length) {
      const { location, direction } = pending[next++]!;
      await check(location, direction).catch((err: unknown) => {
        failed = true;
        throw err;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_CHECKS, pending.length) }, lane));
}
