import { closeDatabase, createDatabase, migrateToLatest } from '@lzy/db';
import { createChannelClient } from '@lzy/grpc';
import type { Authenticator } from '@lzy/grpc';
import { createLogger } from '@lzy/logging';
import { channelManager } from '@lzy/proto';
import type { TemplateSpec } from '@lzy/testing';
import { loadChannelManagerConfig, startChannelManager } from '../src/index.ts';
import type { RunningChannelManager } from '../src/index.ts';
import { channelManagerMigrations } from '../src/db/migrations/0001_channel.ts';

export const channelManagerTemplate: TemplateSpec = {
  name: 'tpl_lzy_channel_manager_v1',
  migrate: async (url) => {
    const db = createDatabase({ url, poolMax: 1 });
    try {
      await migrateToLatest(db, channelManagerMigrations);
    } finally {
      await closeDatabase(db);
    }
  },
};

/**
 * Test double of our Authenticator port: the token is `<subjectId>.test.token` (JWT-shaped, as
 * the bootstrap requires); `lzy-internal` is the services' identity, `vm-<user>-<n>` a VM working
 * for `<user>` (as iam would answer), any other `vm-…` a VM of no recorded user.
 */
export const tokenIsSubject: Authenticator = {
  authenticate: (authorization) => {
    const id = authorization.slice('Bearer '.length).split('.')[0] ?? '';
    if (!id.startsWith('vm-')) return Promise.resolve({ id, type: 'USER' });
    const ownerUserId = /^vm-([a-z0-9]+)-\d+$/.exec(id)?.[1];
    return Promise.resolve({
      id,
      type: 'VM',
      ...(ownerUserId === undefined ? {} : { ownerUserId }),
    });
  },
};

/**
 * @param options.checkSenders check WORKER senders (a health check of their address); off by
 *   default, since most tests bind made-up addresses.
 * @param options.metrics serve /metrics on a free port (`metricsPort`).
 */
export async function startForTest(
  dbUrl: string,
  options: { checkSenders?: boolean; metrics?: boolean } = {},
): Promise<RunningChannelManager> {
  const config = loadChannelManagerConfig({
    LZY_PORT: '0',
    LZY_DB_URL: dbUrl,
    LZY_LOG_LEVEL: 'silent',
    LZY_SHUTDOWN_GRACE_MS: '1000',
    LZY_CHECK_WORKER_SENDERS: String(options.checkSenders === true),
    ...(options.metrics === true ? { LZY_METRICS_PORT: '0' } : {}),
  });
  const service = await startChannelManager(config, {
    log: createLogger({ service: 'channel-manager-test', level: 'silent' }),
    authenticator: tokenIsSubject,
  });
  await service.ready;
  return service;
}

export function clientAs(port: number, subjectId: string) {
  return createChannelClient(channelManager.ChannelManagerServiceClient, `127.0.0.1:${port}`, {
    callCredentials: () => Promise.resolve(`${subjectId}.test.token`),
    retry: false,
  });
}

/** The service's `lzy_db_statements_total` now (its /metrics). */
export async function statementsRun(metricsPort: number | undefined): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort ?? 0}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('lzy_db_statements_total{'));
  return Number(line?.split(' ').at(-1) ?? 0);
}
