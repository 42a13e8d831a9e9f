/**
 * Site page loads (issue 14 bar: under 1 s on the local suite with 1,000 executions and a
 * 1,000-op graph). A local suite (PostgreSQL, versitygw, every service in this process) plus a
 * site; lzy-service's tables are seeded directly (running 1,000 real ops would take minutes and
 * measure the scheduler, not the pages): user `big` gets 1,000 executions, one with a 1,000-op
 * fan-in graph; user `small` one execution with a 1-op graph. Headless Chromium (Debian's) opens
 * each page BENCH_SITE_RUNS times (default 5); ours = median time from navigation to the content
 * drawn, baseline = the same page for `small` in the same run.
 * `pnpm --filter @lzy/bench run site-pages`
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { generateRsaKeyPair } from '@lzy/auth';
import {
  SUITE_SERVICES,
  databaseNameOf,
  ensureLocalUser,
  startLocalSuite,
  suiteServiceEnv,
  vmHostEnv,
} from '@lzy/local-suite';
import type { SuiteInfra } from '@lzy/local-suite';
import { createLogger } from '@lzy/logging';
import { loadSiteConfig, startSite } from '@lzy/site';
import type { RunningSite } from '@lzy/site';
import { startPostgres, startS3 } from '@lzy/testing';
import { median, printLine } from './report.ts';

const RUNS = Number(process.env.BENCH_SITE_RUNS ?? 5);
const BIG_EXECUTIONS = 1_000;
const BIG_GRAPH_OPS = 1_000;

interface Seeded {
  userId: string;
  graphExecutionId: string;
}

/** Executions (newest last) and one graph of `ops` ops: ops-1 producers feeding one consumer. */
async function seed(
  db: pg.Client,
  userId: string,
  executions: number,
  ops: number,
): Promise<Seeded> {
  const storage = JSON.stringify({ uri: 's3://bench', credentials: undefined });
  const start = Date.now() - executions * 60_000;
  let graphExecutionId = '';
  await db.query('BEGIN');
  for (let i = 0; i < executions; i++) {
    const id = randomUUID();
    const created = new Date(start + i * 60_000);
    const done = i < executions - 1;
    await db.query(
      `INSERT INTO execution (execution_id, user_id, workflow_name, status, internal_storage,
         storage_config, created_at, finished_at)
       VALUES ($1, $2, $3, $4, true, $5, $6, $7)`,
      [
        id,
        userId,
        `wf-${i % 40}`,
        done ? 'COMPLETED' : 'RUN',
        storage,
        created,
        done ? new Date(created.getTime() + 30_000) : null,
      ],
    );
    graphExecutionId = id;
  }
  const graphId = randomUUID();
  const producers = Array.from({ length: ops - 1 }, (_, i) => ({
    taskId: `${graphId}-${i}`,
    name: 'square',
    description: '',
    poolLabel: 's',
    zone: 'local',
    inputs: [],
    outputs: [{ path: `/c${i}/return`, channelId: `${graphExecutionId}/c${i}` }],
  }));
  const consumer = {
    taskId: `${graphId}-${ops - 1}`,
    name: 'sum',
    description: '',
    poolLabel: 's',
    zone: 'local',
    inputs: producers.map((p, i) => ({ path: `/sum/arg${i}`, channelId: p.outputs[0]!.channelId })),
    outputs: [],
  };
  const all = [...producers, consumer];
  const view = {
    executor: {
      state: 'EXECUTING',
      description: '',
      completedTaskIds: producers.slice(0, Math.floor(producers.length / 2)).map((p) => p.taskId),
      executingTaskIds: producers.slice(Math.floor(producers.length / 2)).map((p) => p.taskId),
    },
    slots: {},
  };
  await db.query(
    `INSERT INTO graph (execution_id, graph_id, request_hash, submitted, output_slots, view, created_at)
     VALUES ($1, $2, $3, true, '{}', $4, now())`,
    [graphExecutionId, graphId, randomUUID(), JSON.stringify(view)],
  );
  await db.query(
    `INSERT INTO monitor_graph (execution_id, graph_id, ops, op_count, created_at)
     VALUES ($1, $2, $3, $4, now())`,
    [graphExecutionId, graphId, JSON.stringify(all), all.length],
  );
  await db.query('COMMIT');
  return { userId, graphExecutionId };
}

/** Median ms from navigation to `ready` resolving, over RUNS loads. */
async function pageLoadMs(
  page: Page,
  url: string,
  ready: (page: Page) => Promise<unknown>,
): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const t = performance.now();
    await page.goto(url);
    await ready(page);
    times.push(performance.now() - t);
  }
  return median(times);
}

async function signedInPage(browser: Browser, site: RunningSite, login: string): Promise<Page> {
  const page = await (
    await browser.newContext({ viewport: { width: 1400, height: 1000 } })
  ).newPage();
  await page.goto(await site.loginLink(login));
  await page.getByRole('heading', { name: 'Executions' }).waitFor();
  return page;
}

const dir = await mkdtemp(join(tmpdir(), 'lzy-bench-site-'));
const stops: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
try {
  const cluster = await startPostgres();
  stops.push(() => cluster.stop());
  await Promise.all(SUITE_SERVICES.map((s) => cluster.createDatabase(databaseNameOf(s))));
  const s3 = await startS3({ dir: join(dir, 's3') });
  stops.push(() => s3.stop());
  const internalKeys = await generateRsaKeyPair();
  const infra: SuiteInfra = {
    host: '127.0.0.1',
    logLevel: 'silent',
    dbUrlFor: (service) => cluster.urlFor(databaseNameOf(service)),
    s3: {
      endpoint: s3.endpoint,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    },
    internalKeys,
    vmEnv: vmHostEnv(process.env),
  };
  const suite = await startLocalSuite({ randomPorts: true, infra });
  stops.push(() => suite.stop());
  const site = await startSite(loadSiteConfig(suiteServiceEnv('site', infra, suite.addresses, 0)), {
    log: createLogger({ service: 'site', level: 'silent' }),
  });
  stops.push(() => site.stop());
  const userIdOf = async (login: string) =>
    ensureLocalUser({
      iamAddress: suite.addresses.iam,
      internalPrivateKeyPem: internalKeys.privateKeyPem,
      login,
      publicKeyPem: (await generateRsaKeyPair()).publicKeyPem,
      clock: { now: () => Date.now() },
    });
  const db = new pg.Client({ connectionString: cluster.urlFor(databaseNameOf('lzy-service')) });
  await db.connect();
  stops.push(() => db.end());
  const big = await seed(db, await userIdOf('big'), BIG_EXECUTIONS, BIG_GRAPH_OPS);
  const small = await seed(db, await userIdOf('small'), 1, 1);

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  stops.push(() => browser.close());
  const listReady = (rows: number) => (page: Page) =>
    page
      .locator('table.executions tbody tr')
      .nth(rows - 1)
      .waitFor();
  const graphReady = (page: Page) => page.locator('.op-node').first().waitFor();
  const bigPage = await signedInPage(browser, site, 'big');
  const smallPage = await signedInPage(browser, site, 'small');
  const base = { unit: 'ms', higherIsBetter: false, target: 1_000 };
  printLine({
    ...base,
    name: `executions page, ${BIG_EXECUTIONS} executions (first 50 drawn)`,
    ours: await pageLoadMs(bigPage, `${site.url}/`, listReady(50)),
    baseline: await pageLoadMs(smallPage, `${site.url}/`, listReady(1)),
    baselineName: '1 execution',
  });
  const executionUrl = (id: string) => `${site.url}/executions/${encodeURIComponent(id)}`;
  printLine({
    ...base,
    name: `execution page, ${BIG_GRAPH_OPS}-op graph (drawn)`,
    ours: await pageLoadMs(bigPage, executionUrl(big.graphExecutionId), graphReady),
    baseline: await pageLoadMs(smallPage, executionUrl(small.graphExecutionId), graphReady),
    baselineName: '1-op graph',
  });
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
}
