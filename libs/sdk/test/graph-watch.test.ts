import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSuite } from '@lzy/local-suite';
import { CleanupStack } from '@lzy/testing';
import { LzyExecutionError, workflow } from '../src/index.ts';
import type { ClientConfig, ProgressEvent, StdSink } from '../src/index.ts';
import { failing, square, sum } from './fixtures/ops.ts';
import { startOlderLzyProxy } from './fixtures/older-lzy-proxy.ts';

const quiet: StdSink = { stdout: () => undefined, stderr: () => undefined };

/**
 * How graph status reaches the SDK, counted where it is served: lzy-service's /metrics
 * (lzy_grpc_server_handled_total, every status code).
 */
describe('graph status: WatchGraph when served, GraphStatus polling otherwise', () => {
  const cleanup = new CleanupStack();
  let config: ClientConfig;
  let suite: LocalSuite;

  beforeAll(async () => {
    const { startSdkLocalSuite } = await import('./sdk-suite.ts');
    ({ config, suite } = await startSdkLocalSuite(cleanup, {
      prefix: 'sdk_watch',
      lzyServiceEnv: { LZY_METRICS_PORT: '0' },
    }));
  });
  afterAll(() => cleanup.close());

  /** Calls of `service/method` lzy-service handled so far. */
  async function handled(service: string, method: string): Promise<number> {
    const address = suite.metricsAddresses['lzy-service'];
    if (address === undefined) throw new Error('lzy-service serves no /metrics');
    const text = await (await fetch(`http://${address}/metrics`)).text();
    const prefix = `lzy_grpc_server_handled_total{service="${service}",method="${method}",`;
    return text
      .split('\n')
      .filter((line) => line.startsWith(prefix))
      .reduce((total, line) => total + Number(line.split(' ').at(-1)), 0);
  }
  const graphStatusCalls = () => handled('ai.lzy.v1.workflow.LzyWorkflowService', 'GraphStatus');
  const watchGraphCalls = () => handled('ai.lzy.v1.workflow.LzyWorkflowWatchService', 'WatchGraph');

  it('follows WatchGraph and makes no GraphStatus call, progress events as before', async () => {
    const [statusBefore, watchBefore] = [await graphStatusCalls(), await watchGraphCalls()];
    const progress: ProgressEvent[] = [];
    const total = await workflow(
      'watched',
      async () => {
        const first = await square(3); // a graph of its own, then a second one
        return await sum(first, square(4));
      },
      { config, std: quiet, onProgress: (event) => progress.push(event) },
    );
    expect(total).toBe(25);
    expect(await graphStatusCalls()).toBe(statusBefore);
    expect(await watchGraphCalls()).toBe(watchBefore + 2);
    expect(progress.at(-1)?.ops.map((op) => op.state)).toEqual(['done', 'done']);
  });

  it("fails the workflow with the op's error, learnt from the stream", async () => {
    const statusBefore = await graphStatusCalls();
    const run = workflow('watched-failing', async () => await failing('no thanks'), {
      config,
      std: quiet,
    });
    await expect(run).rejects.toThrow(LzyExecutionError);
    await expect(run).rejects.toThrow(/op refused: no thanks/);
    expect(await graphStatusCalls()).toBe(statusBefore);
  });

  it('polls GraphStatus and completes against a server without WatchGraph', async () => {
    const proxy = await startOlderLzyProxy(config.endpoint);
    try {
      const [statusBefore, watchBefore] = [await graphStatusCalls(), await watchGraphCalls()];
      const total = await workflow(
        'polled',
        async () => {
          const first = await square(3);
          return await sum(first, square(4));
        },
        { config: { ...config, endpoint: proxy.address }, std: quiet },
      );
      expect(total).toBe(25);
      expect(await graphStatusCalls()).toBeGreaterThan(statusBefore);
      expect(await watchGraphCalls()).toBe(watchBefore);
    } finally {
      await proxy.stop();
    }
  });
});
