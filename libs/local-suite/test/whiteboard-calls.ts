import { randomUUID } from 'node:crypto';
import { unaryCall } from '@lzy/grpc';
import { lzyWhiteboard } from '@lzy/proto';
import type { SuiteUser } from './scenario-client.ts';

/** A whiteboard as pylzy registers it: one field, storage under the user's storage URI. */
export function newWhiteboard(name: string, storageUri: string): lzyWhiteboard.Whiteboard {
  const id = randomUUID();
  return {
    id,
    name,
    tags: [],
    fields: [
      {
        name: 'x',
        scheme: { dataFormat: 'plain', schemeFormat: 'no_schema', schemeContent: '', metadata: {} },
      },
    ],
    storage: { name: 'default', description: '', uri: `${storageUri}/whiteboards/${name}/${id}` },
    namespace: 'default',
    status: lzyWhiteboard.Whiteboard_Status.CREATED,
    createdAt: new Date(),
  };
}

export async function registerWhiteboard(
  user: SuiteUser,
  whiteboard: lzyWhiteboard.Whiteboard,
): Promise<void> {
  const w = user.whiteboards;
  await unaryCall(w.registerWhiteboard.bind(w), { whiteboard }, { metadata: user.metadata });
}

export async function getWhiteboard(
  user: SuiteUser,
  whiteboardId: string,
): Promise<lzyWhiteboard.Whiteboard | undefined> {
  const w = user.whiteboards;
  const response = await unaryCall(w.get.bind(w), { whiteboardId }, { metadata: user.metadata });
  return response.whiteboard;
}

/** Ids of every whiteboard `user` sees in List (no filter). */
export async function listWhiteboardIds(user: SuiteUser): Promise<string[]> {
  const w = user.whiteboards;
  const response = await unaryCall(
    w.list.bind(w),
    { name: '', tags: [], createdTimeBounds: undefined },
    { metadata: user.metadata },
  );
  return response.whiteboards.map((wb) => wb.id);
}
