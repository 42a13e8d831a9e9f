import path from 'node:path';
import { InvalidArgument } from '@lzy/errors';

/**
 * The file of a slot inside a task's directory (the task's LZY_MOUNT). Slot names come from the
 * client as `/<callId>/<entry>` (public-api §10: the op opens `$LZY_MOUNT<name>`); every segment
 * must be a plain name so a slot can never point outside the task directory.
 * @throws InvalidArgument for an empty name or a `.`/`..`/empty segment
 */
export function slotFilePath(taskDir: string, slotName: string): string {
  const segments = slotName.replace(/^\/+/, '').split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\0')))
    throw new InvalidArgument(
      `slot name ${JSON.stringify(slotName)} must be a path like /<callId>/<name> without empty, . or .. parts`,
    );
  return path.join(taskDir, ...segments);
}

/**
 * A worker slot's URI (common brief): `slot://<host:port>/<taskId>/<slotName>`; a name's leading
 * `/` is not doubled.
 */
export function workerSlotUri(address: string, taskId: string, slotName: string): string {
  return `slot://${address}/${taskId}/${slotName.replace(/^\/+/, '')}`;
}

/**
 * The `host:port` serving a slot URI (worker or portal).
 * @throws InvalidArgument if the URI is not `slot://<host:port>/…`
 */
export function slotServerAddress(slotUri: string): string {
  const match = /^slot:\/\/([^/]+)\//.exec(slotUri);
  if (match?.[1] === undefined)
    throw new InvalidArgument(`slot URI ${JSON.stringify(slotUri)} is not slot://<host:port>/…`);
  return match[1];
}
