/** Snapshot progress of a portal slot (portal.proto SnapshotStatus). */
export type SnapshotStatus = 'NOT_IN_SNAPSHOT' | 'INITIALIZING' | 'SYNCING' | 'SYNCED' | 'FAILED';

/** ai.lzy.v1.common.SlotStatus.State. */
export type SlotState = 'UNBOUND' | 'PREPARING' | 'OPEN' | 'SUSPENDED' | 'CLOSED' | 'DESTROYED';

export interface SlotStatusView {
  slotName: string;
  state: SlotState;
  snapshotStatus: SnapshotStatus;
  /** Why the snapshot FAILED; '' otherwise. */
  description: string;
}

/** A slot is terminal when nothing more will happen to it (WatchSlots ends then). */
export function isTerminal(status: SlotStatusView): boolean {
  return (
    status.snapshotStatus === 'SYNCED' ||
    status.snapshotStatus === 'FAILED' ||
    status.state === 'CLOSED' ||
    status.state === 'DESTROYED'
  );
}
