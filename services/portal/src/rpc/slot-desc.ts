import { InvalidArgument } from '@lzy/errors';
import { commonSlot, portal } from '@lzy/proto';
import type { OpenSlotSpec } from '../domain/open-slot-checks.ts';
import type { SnapshotLocation } from '../domain/ports.ts';
import type { StdStreamName } from '../domain/std-log.ts';
import type { SlotState, SnapshotStatus } from '../domain/slot-status.ts';

/** `s3://bucket/key` → bucket and key. @throws InvalidArgument for anything else. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (match?.[1] === undefined || match[2] === undefined)
    throw new InvalidArgument(`storage URI ${JSON.stringify(uri)} is not s3://bucket/key`);
  return { bucket: match[1], key: match[2] };
}

function locationOf(
  desc: portal.PortalSlotDesc,
  snapshot: portal.PortalSlotDesc_Snapshot,
): SnapshotLocation {
  const config = snapshot.storageConfig;
  const uri = desc.storageUri !== '' ? desc.storageUri : (config?.uri ?? '');
  const creds = config?.credentials;
  if (creds !== undefined && creds.$case !== 's3')
    throw new InvalidArgument(`slot ${desc.slot?.name ?? ''}: only S3 storage is supported`);
  return {
    uri,
    ...parseS3Uri(uri),
    endpoint: creds?.value.endpoint ?? '',
    accessKeyId: creds?.value.accessToken ?? '',
    secretAccessKey: creds?.value.secretToken ?? '',
  };
}

/**
 * PortalSlotDesc → OpenSlotSpec. Direction is the portal's own: INPUT receives a task output and
 * stores it, OUTPUT serves a stored object (portal.proto OpenSlots).
 * @throws InvalidArgument for a missing name/kind, an unknown direction or a bad storage URI.
 */
export function toOpenSlotSpec(desc: portal.PortalSlotDesc): OpenSlotSpec {
  const name = desc.slot?.name ?? '';
  if (name === '') throw new InvalidArgument('every slot needs slot.name');
  const fingerprint = Buffer.from(portal.PortalSlotDesc.encode(desc).finish()).toString('base64');
  const base = { name, fingerprint, channelId: desc.channelId };
  const kind = desc.kind;
  switch (kind?.$case) {
    case 'snapshot': {
      const d = desc.slot?.direction;
      if (d !== commonSlot.Slot_Direction.INPUT && d !== commonSlot.Slot_Direction.OUTPUT)
        throw new InvalidArgument(`slot ${name}: direction must be INPUT or OUTPUT`);
      const direction = d === commonSlot.Slot_Direction.INPUT ? 'INPUT' : 'OUTPUT';
      if (desc.channelId === '') throw new InvalidArgument(`slot ${name}: channel_id is required`);
      return {
        ...base,
        kind: { type: 'snapshot', direction, location: locationOf(desc, kind.value) },
      };
    }
    case 'stdout':
      return { ...base, kind: { type: 'std', taskId: kind.value.taskId, stream: 'STDOUT' } };
    case 'stderr':
      return { ...base, kind: { type: 'std', taskId: kind.value.taskId, stream: 'STDERR' } };
    case undefined:
      throw new InvalidArgument(`slot ${name}: one of snapshot, stdout, stderr is required`);
  }
}

const SNAPSHOT_STATUS: Record<SnapshotStatus, portal.SnapshotStatus> = {
  NOT_IN_SNAPSHOT: portal.SnapshotStatus.SNAPSHOT_STATUS_NOT_IN_SNAPSHOT,
  INITIALIZING: portal.SnapshotStatus.SNAPSHOT_STATUS_INITIALIZING,
  SYNCING: portal.SnapshotStatus.SNAPSHOT_STATUS_SYNCING,
  SYNCED: portal.SnapshotStatus.SNAPSHOT_STATUS_SYNCED,
  FAILED: portal.SnapshotStatus.SNAPSHOT_STATUS_FAILED,
};

export function toProtoSnapshotStatus(status: SnapshotStatus): portal.SnapshotStatus {
  return SNAPSHOT_STATUS[status];
}

export function toProtoSlotState(state: SlotState): commonSlot.SlotStatus_State {
  return commonSlot.SlotStatus_State[state];
}

/** @throws InvalidArgument for UNSPECIFIED or unknown values. */
export function fromProtoStdStream(stream: portal.StdStream): StdStreamName {
  if (stream === portal.StdStream.STD_STREAM_STDOUT) return 'STDOUT';
  if (stream === portal.StdStream.STD_STREAM_STDERR) return 'STDERR';
  throw new InvalidArgument('stream must be STD_STREAM_STDOUT or STD_STREAM_STDERR');
}

export function toProtoStdStream(stream: StdStreamName): portal.StdStream {
  return stream === 'STDOUT'
    ? portal.StdStream.STD_STREAM_STDOUT
    : portal.StdStream.STD_STREAM_STDERR;
}
