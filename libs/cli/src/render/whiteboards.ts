import { lzyWhiteboard } from '@lzy/proto';
import { renderTable } from './table.ts';

type Whiteboard = lzyWhiteboard.Whiteboard;

/** What `lzy whiteboards --json` prints for one whiteboard: stable keys, ISO times. */
export interface WhiteboardJson {
  id: string;
  name: string;
  status: string;
  tags: string[];
  namespace: string;
  createdAt: string | null;
  storageUri: string | null;
  fields: Array<{ name: string; dataFormat: string; schemeFormat: string }>;
}

export function whiteboardToJson(whiteboard: Whiteboard): WhiteboardJson {
  return {
    id: whiteboard.id,
    name: whiteboard.name,
    status: statusOf(whiteboard),
    tags: [...whiteboard.tags],
    namespace: whiteboard.namespace,
    createdAt: whiteboard.createdAt?.toISOString() ?? null,
    storageUri: whiteboard.storage?.uri ?? null,
    fields: whiteboard.fields.map((field) => ({
      name: field.name,
      dataFormat: field.scheme?.dataFormat ?? '',
      schemeFormat: field.scheme?.schemeFormat ?? '',
    })),
  };
}

/** A JSON array (pretty-printed), one object per whiteboard in the server's order. */
export function renderWhiteboardsJson(whiteboards: readonly Whiteboard[]): string {
  return `${JSON.stringify(whiteboards.map(whiteboardToJson), null, 2)}\n`;
}

/** A table ID NAME STATUS TAGS CREATED FIELDS, or a line saying there are none. */
export function renderWhiteboardTable(whiteboards: readonly Whiteboard[]): string {
  if (whiteboards.length === 0) return 'no whiteboards\n';
  return renderTable(
    ['ID', 'NAME', 'STATUS', 'TAGS', 'CREATED', 'FIELDS'],
    whiteboards.map((whiteboard) => [
      whiteboard.id,
      whiteboard.name,
      statusOf(whiteboard),
      whiteboard.tags.join(',') || '-',
      whiteboard.createdAt?.toISOString() ?? '-',
      whiteboard.fields.map((field) => field.name).join(',') || '-',
    ]),
  );
}

function statusOf(whiteboard: Whiteboard): string {
  return lzyWhiteboard.whiteboard_StatusToJSON(whiteboard.status);
}
