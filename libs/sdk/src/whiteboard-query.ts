import { lzyWhiteboard } from '@lzy/proto';
import { loadClientConfig } from './config.ts';
import type { ClientConfig } from './config.ts';
import { DataStore } from './data-store.ts';
import { LzyClients } from './lzy-clients.ts';
import { reconnectPolicy } from './reconnect.ts';

export interface WhiteboardQuery {
  /** Exact name. */
  name?: string;
  /** The whiteboard must carry all of them. */
  tags?: string[];
  /** Created at or after (inclusive). */
  from?: Date;
  /** Created at or before (inclusive). */
  to?: Date;
}

export interface WhiteboardInfo {
  id: string;
  name: string;
  tags: string[];
  fields: string[];
  status: 'CREATED' | 'FINALIZED' | 'UNKNOWN';
  createdAt: Date | undefined;
  /** Where its fields are stored. */
  uri: string;
}

export interface StoredWhiteboard extends WhiteboardInfo {
  /** Reads a field's value from storage. @throws NotFound if the field was never written. */
  get(field: string): Promise<unknown>;
}

export interface QueryOptions {
  /** Default: loadClientConfig(process.env). */
  config?: ClientConfig;
  /** How long a call rides out an unavailable LZY (see WorkflowOptions.reconnectTimeoutMs). */
  reconnectTimeoutMs?: number;
}

/** The caller's whiteboards matching `query` (LzyWhiteboardService.List). */
export async function whiteboards(
  query: WhiteboardQuery = {},
  options: QueryOptions = {},
): Promise<WhiteboardInfo[]> {
  const clients = await LzyClients.connect(
    options.config ?? loadClientConfig(),
    reconnectPolicy(options.reconnectTimeoutMs),
  );
  try {
    const { whiteboards: service } = clients;
    const response = await clients.call(service.list.bind(service), {
      name: query.name ?? '',
      tags: query.tags ?? [],
      createdTimeBounds: { from: query.from, to: query.to },
    });
    return response.whiteboards.map(infoOf);
  } finally {
    clients.close();
  }
}

/**
 * One whiteboard by id (LzyWhiteboardService.Get); `get(field)` reads its values with the
 * user's storage credentials (GetStorageCredentials).
 * @throws NotFound for an unknown id or one the caller may not read.
 */
export async function whiteboard(
  id: string,
  options: QueryOptions = {},
): Promise<StoredWhiteboard> {
  const clients = await LzyClients.connect(
    options.config ?? loadClientConfig(),
    reconnectPolicy(options.reconnectTimeoutMs),
  );
  try {
    const { whiteboards: service, workflows } = clients;
    const { whiteboard: found } = await clients.call(service.get.bind(service), {
      whiteboardId: id,
    });
    const { storage } = await clients.call(workflows.getStorageCredentials.bind(workflows), {});
    const info = infoOf(found ?? lzyWhiteboard.Whiteboard.create({ id }));
    return {
      ...info,
      get: async (field) => {
        const data = new DataStore(storage ?? { uri: '', credentials: undefined });
        try {
          return await data.get(`${info.uri}/${field}`);
        } finally {
          data.close();
        }
      },
    };
  } finally {
    clients.close();
  }
}

function infoOf(wb: lzyWhiteboard.Whiteboard): WhiteboardInfo {
  const { CREATED, FINALIZED } = lzyWhiteboard.Whiteboard_Status;
  return {
    id: wb.id,
    name: wb.name,
    tags: wb.tags,
    fields: wb.fields.map((field) => field.name),
    status: wb.status === CREATED ? 'CREATED' : wb.status === FINALIZED ? 'FINALIZED' : 'UNKNOWN',
    createdAt: wb.createdAt,
    uri: wb.storage?.uri ?? '',
  };
}
