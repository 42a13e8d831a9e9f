import type { ColumnType, Generated } from 'kysely';

/** Row shapes of the whiteboard database (migrations/). */
export interface WhiteboardTable {
  id: string;
  owner_id: string;
  name: string;
  namespace: string;
  status: string;
  storage_name: string;
  storage_description: string;
  storage_uri: string;
  /** pg returns bigint as a string. */
  created_at_seconds: ColumnType<string, number, number>;
  created_at_nanos: number;
  registered_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface WhiteboardFieldTable {
  whiteboard_id: string;
  position: number;
  name: string;
  data_format: string;
  scheme_format: string;
  scheme_content: string;
  metadata: ColumnType<Record<string, string>, string, string>;
}

export interface WhiteboardTagTable {
  whiteboard_id: string;
  position: number;
  tag: string;
}

export interface WhiteboardDatabase {
  whiteboard: WhiteboardTable;
  whiteboard_field: WhiteboardFieldTable;
  whiteboard_tag: WhiteboardTagTable;
}
