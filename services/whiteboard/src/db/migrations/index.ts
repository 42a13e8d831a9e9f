import type { Migration } from '@lzy/db';
import { whiteboardMigration } from './0001_whiteboard.ts';

/** Every migration of the whiteboard database, applied in name order at start-up. */
export const whiteboardMigrations: Readonly<Record<string, Migration>> = {
  '0001_whiteboard': whiteboardMigration,
};
