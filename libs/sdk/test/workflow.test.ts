import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CleanupStack } from '@lzy/testing';
import { LzyExecutionError, whiteboard, whiteboards, workflow } from '../src/index.ts';
import type { ClientConfig, ProgressEvent, StdSink } from '../src/index.ts';
import {
  byteStream,
  chatty,
  digest,
  echoStream,
  failing,
  flakyOnce,
  generateStream,
  liveMemorySampler,
  misnamed,
  needsHugePool,
  passBytes,
  square,
  streamDigest,
  sum,
} from './fixtures/ops.ts';
import { measure, produce } from '../../../examples/ts/big-data.ts';

/** Ops through the whole local suite (in this process), workers as child processes. */
describe('workflows through the local suite', () => {
  const cleanup = new CleanupStack();
  let config: ClientConfig;
  const quiet: StdSink = { stdout: () => undefined, stderr: () => undefined };

  beforeAll(async () => {
    const { startSdkSuite } = await import('./sdk-suite.ts');
    config = await startSdkSuite(cleanup);
  });
  afterAll(() => cleanup.close());

  it('fans 10 squares into a sum (385) and keeps it on a whiteboard found by name and by id', async () => {
    const progress: ProgressEvent[] = [];
    const { total, whiteboardId } = await workflow(
      'fan-out',
      async (wf) => {
        const squares = Array.from({ length: 10 }, (_, i) => square(i + 1));
        const total = sum(...squares);
        const wb = wf.whiteboard('fan-out', { tags: ['test'] });
        wb.set('sum', total);
        return { total: await total, whiteboardId: wb.id };
      },
      { config, std: quiet, onProgress: (event) => progress.push(event) },
    );
    expect(total).toBe(385);
    expect(progress.at(-1)?.ops.map((op) => op.state)).toEqual(Array(11).fill('done'));

    const listed = await whiteboards({ name: 'fan-out', tags: ['test'] }, { config });
    expect(listed.map((wb) => [wb.id, wb.status, wb.fields])).toEqual([
      [whiteboardId, 'FINALIZED', ['sum']],
    ]);
    const stored = await whiteboard(whiteboardId, { config });
    expect(await stored.get('sum')).toBe(385);
  });

  it('reduces 200 results of one op in one op (map then reduce)', async () => {
    const total = await workflow(
      'map-reduce',
      async () => await sum(...Array.from({ length: 200 }, (_, i) => square(i + 1))),
      { config, std: quiet },
    );
    expect(total).toBe((200 * 201 * 401) / 6);
  }, 600_000);

  it("fails the workflow with the op's own error message", async () => {
    const run = workflow('failing', async () => await failing('no thanks'), {
      config,
      std: quiet,
    });
    await expect(run).rejects.toThrow(LzyExecutionError);
    await expect(run).rejects.toThrow(/op refused: no thanks/);
  });

  it('runs an op that asked for retries again after it failed, and says so on stderr', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lzy-flaky-'));
    cleanup.defer(() => rm(dir, { recursive: true, force: true }));
    const stderr: string[] = [];
    const result = await workflow('flaky', async () => await flakyOnce(join(dir, 'marker')), {
      config,
      std: { stdout: () => undefined, stderr: (text) => stderr.push(text) },
    });
    expect(result).toBe('second run ok');
    expect(stderr.join('')).toMatch(/flaky: the first run fails/);
    expect(stderr.join('')).toMatch(
      /\[LZY\] op 'flakyOnce' \(task [^)]+\): attempt 1 of 2 failed \(exit code \d+: [^]*\); running it again/,
    );
  });

  it('relays what an op prints to the output hook while the workflow runs', async () => {
    const printed: string[] = [];
    await workflow(
      'chatty',
      async () => {
        expect(await chatty('hello from the op')).toBe(17);
        await expect
          .poll(() => printed.join(''), { timeout: 30_000 })
          .toContain('hello from the op');
      },
      { config, std: { stdout: (text) => printed.push(text), stderr: () => undefined } },
    );
  });

  it('moves a 4 MB Buffer through two ops byte-exact', async () => {
    const data = randomBytes(4 * 1024 * 1024);
    const back = await workflow('bytes', async () => await passBytes(passBytes(data)), {
      config,
      std: quiet,
    });
    expect(Buffer.isBuffer(back)).toBe(true);
    expect(Buffer.compare(back, data)).toBe(0);
  });

  it('runs each call at once in eager mode and reads results of earlier graphs', async () => {
    const result = await workflow(
      'eager',
      async (wf) => {
        const nine = square(3);
        await wf.barrier();
        return await digest(Buffer.from(String(await sum(nine, 1))));
      },
      { config, std: quiet, eager: true },
    );
    expect(result.length).toBe(2);
  });

  it('refuses an op needing a pool the installation lacks, naming the pool', async () => {
    await expect(
      workflow('huge', async () => await needsHugePool(), { config, std: quiet }),
    ).rejects.toThrow(/requires pool 'xxl'.*available pools: s/);
  });

  it('refuses an op not exported under its name before running anything', async () => {
    await expect(
      workflow('misnamed', async () => await misnamed(), { config, std: quiet }),
    ).rejects.toThrow(/must be exported as `export const somethingElse/);
  });

  it('runs example (b): 256 MiB from one op to the next, measured there', async () => {
    const size = 256 * 1024 * 1024;
    const result = await workflow('big-data', async () => await measure(produce(size)), {
      config,
      std: quiet,
    });
    expect(result.length).toBe(size);
    // The same op called outside a workflow runs here: the bytes the worker hashed.
    const local = await produce(size);
    expect(result.sha256).toBe(createHash('sha256').update(local).digest('hex'));
  });

  /** 128 MiB: a buffered copy anywhere on the path could not hide under the 64 MiB bounds. */
  const STREAM_BYTES = 128 * 1024 * 1024;
  const MEMORY_BOUND_BYTES = 64 * 1024 * 1024;

  async function sha256Of(stream: Readable): Promise<{ length: number; sha256: string }> {
    const hash = createHash('sha256');
    let length = 0;
    for await (const chunk of stream) {
      hash.update(chunk as Buffer);
      length += (chunk as Buffer).length;
    }
    return { length, sha256: hash.digest('hex') };
  }

  it('streams a 128 MiB Readable argument through an op and back, memory bounded in the client', async () => {
    const expected = await sha256Of(byteStream(STREAM_BYTES));
    const sampler = liveMemorySampler();
    let back: { length: number; sha256: string };
    try {
      back = await workflow(
        'stream-echo',
        async () => {
          const result = await echoStream(byteStream(STREAM_BYTES));
          expect(result).toBeInstanceOf(Readable);
          return sha256Of(result);
        },
        { config, std: quiet },
      );
    } finally {
      expect(sampler.stop()).toBeLessThan(MEMORY_BOUND_BYTES);
    }
    expect(back).toEqual(expected);
  }, 300_000);

  it('streams a 128 MiB Readable result from one op to the next, memory bounded in the op', async () => {
    const expected = await sha256Of(byteStream(STREAM_BYTES));
    const stats = await workflow(
      'stream-op-to-op',
      async () => await streamDigest(generateStream(STREAM_BYTES)),
      { config, std: quiet },
    );
    expect({ length: stats.length, sha256: stats.sha256 }).toEqual(expected);
    expect(stats.peakBytes).toBeLessThan(MEMORY_BOUND_BYTES);
  }, 300_000);
});
