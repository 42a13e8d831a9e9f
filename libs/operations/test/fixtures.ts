import { closeDatabase, createDatabase, migrateToLatest } from '@lzy/db';
import { createLogger } from '@lzy/logging';
import type { Logger } from '@lzy/logging';
import type { TemplateSpec } from '@lzy/testing';
import { operationTableMigration } from '../src/index.ts';
import type { Clock, OperationDatabase, PackedMessage } from '../src/index.ts';
import type { Kysely } from 'kysely';

/** Template database holding just the operation table, migrated once per run. */
export const operationTemplate: TemplateSpec = {
  name: 'tpl_lzy_operations_v1',
  migrate: async (url) => {
    const db = createDatabase({ url, poolMax: 1 });
    try {
      await migrateToLatest(db, { '0001_operation': operationTableMigration });
    } finally {
      await closeDatabase(db);
    }
  },
};

export const systemClock: Clock = { now: () => Date.now() };

export const silentLog: Logger = createLogger({ service: 'operations-test', level: 'silent' });

export function openDatabase(url: string): Kysely<OperationDatabase> {
  return createDatabase<OperationDatabase>({ url, poolMax: 4 });
}

export function packed(typeName: string, text: string): PackedMessage {
  return { typeName, value: new TextEncoder().encode(text) };
}

export function text(message: PackedMessage | undefined): string | undefined {
  return message === undefined ? undefined : new TextDecoder().decode(message.value);
}
