/**
 * Op → op bandwidth with the S3 copy written: `produceStream(S)` → a byte count (S =
 * BENCH_BYTES, default 256 MiB) on warm workers, while the producer's worker uploads the same
 * bytes to S3 (parts presigned by the portal); the graph completes only when that copy is
 * SYNCED. Ours = S / (T(S) − T(1 byte)): the fixed cost of two ops is taken out. Two placements:
 * both ops on one VM (the consumer copies the file locally) and on two VMs (the consumer reads
 * the producer over ReadSlot). Then BENCH_BIG_BYTES (default 4 GiB, 0 skips it) VM → VM, with
 * the peak memory of the suite's VM processes.
 *
 * Baselines (same run, same bytes): loopback TCP in this process, a local disk file copy, and
 * the S3 copy alone (a file PUT to the suite's S3 in parts of 16 MiB, 4 at once, as a worker
 * does): op → op cannot beat the last while it writes that copy.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PresignedUploader, S3BlobStore } from '@lzy/blob';
import type { PartSender } from '@lzy/blob';
import { workflow } from '@lzy/sdk';
import { startBenchSuite } from './bench-suite.ts';
import type { BenchSuite } from './bench-suite.ts';
import { countStream, countStreamOnOtherVm, produceStream } from './ops.ts';
import { cpuMsByKind, sampleVmMemory, suiteProcessStats } from './process-stats.ts';
import { median, printLine, timed } from './report.ts';

const quiet = { stdout: () => undefined, stderr: () => undefined };
const MiB = 1024 * 1024;
const PART_BYTES = 16 * MiB;
const PARALLEL_PARTS = 4;

type Consumer = typeof countStream;

export async function benchOpToOp(
  suite: BenchSuite,
  sizeBytes = Number(process.env.BENCH_BYTES ?? 256 * MiB),
  bigBytes = Number(process.env.BENCH_BIG_BYTES ?? 4096 * MiB),
  rounds = Number(process.env.BENCH_ROUNDS ?? 3),
): Promise<void> {
  const sameVm = await opToOpMiBs(suite, countStream, sizeBytes, { rounds });
  const otherVm = await opToOpMiBs(suite, countStreamOnOtherVm, sizeBytes, { rounds });
  const baselines = [
    { name: 'S3 copy alone', value: await medianOf(rounds, () => s3CopyMiBs(suite, sizeBytes)) },
    { name: 'loopback TCP', value: await medianOf(rounds, () => loopbackMiBs(sizeBytes)) },
    { name: 'disk file copy', value: await medianOf(rounds, () => diskCopyMiBs(sizeBytes)) },
  ];
  const line = { unit: 'MiB/s', higherIsBetter: true, target: 600 };
  for (const [placement, run] of [
    ['one VM', sameVm],
    ['VM → VM', otherVm],
  ] as const) {
    for (const baseline of baselines)
      printLine({
        name: `op→op ${sizeBytes / MiB} MiB, ${placement} (S3 copy written)`,
        ours: run.mibPerS,
        baseline: baseline.value,
        baselineName: baseline.name,
        ...line,
      });
    printCpu(placement, run);
  }
  const s3Alone = {
    name: `S3 copy alone, ${sizeBytes / MiB} MiB`,
    value: baselines[0]?.value ?? 0,
  };
  if (bigBytes > 0) await benchBig(suite, bigBytes, s3Alone);
}

/** The 4 GiB run: throughput VM → VM and the peak memory growth of each VM process. */
async function benchBig(
  suite: BenchSuite,
  sizeBytes: number,
  baseline: { name: string; value: number },
): Promise<void> {
  let sampler: ReturnType<typeof sampleVmMemory> | undefined;
  const run = await opToOpMiBs(suite, countStreamOnOtherVm, sizeBytes, {
    rounds: 1,
    onWarm: () => {
      sampler = sampleVmMemory();
    },
  });
  const grown = (await sampler?.stop()) ?? [];
  printLine({
    name: `op→op ${sizeBytes / MiB} MiB, VM → VM (S3 copy written)`,
    ours: run.mibPerS,
    baseline: baseline.value,
    baselineName: baseline.name,
    unit: 'MiB/s',
    higherIsBetter: true,
    target: 600,
  });
  const worst = grown.reduce((a, b) => (b.growthBytes > a.growthBytes ? b : a));
  const each = grown
    .map(
      (p) => `${p.kind} ${(p.peakBytes / MiB).toFixed(0)} (+${(p.growthBytes / MiB).toFixed(0)})`,
    )
    .join(', ');
  process.stdout.write(
    `  peak RSS of the VM processes, MiB (growth over the run): ${each}; ` +
      `largest growth ${(worst.growthBytes / MiB).toFixed(0)} MiB = ` +
      `${((100 * worst.growthBytes) / sizeBytes).toFixed(1)} % of the data\n`,
  );
  printCpu(`${sizeBytes / MiB} MiB VM → VM`, run);
}

/**
 * MiB/s of consumer(produceStream(S)) in a workflow of its own, 1-byte run subtracted.
 * `onWarm` runs once the workers and the portal are up, just before the timed runs.
 */
async function opToOpMiBs(
  suite: BenchSuite,
  consume: Consumer,
  sizeBytes: number,
  opts: { rounds: number; onWarm?: () => void },
): Promise<{ mibPerS: number; cpuMsPerRun: Map<string, number>; wallMs: number }> {
  const bigMs: number[] = [];
  const smallMs: number[] = [];
  const cpuMs = new Map<string, number>();
  await workflow(
    'bench-op-to-op',
    async () => {
      await consume(produceStream(1)); // warms the workers
      opts.onWarm?.();
      for (let round = 0; round < opts.rounds; round++) {
        smallMs.push(
          await timed(async () => {
            if ((await consume(produceStream(1))) !== 1) throw new Error('wrong length');
          }),
        );
        const before = await suiteProcessStats();
        const suiteBefore = process.cpuUsage();
        bigMs.push(
          await timed(async () => {
            if ((await consume(produceStream(sizeBytes))) !== sizeBytes)
              throw new Error('wrong length');
          }),
        );
        const suiteCpu = process.cpuUsage(suiteBefore);
        const used = cpuMsByKind(before, await suiteProcessStats());
        used.set('services + client', (suiteCpu.user + suiteCpu.system) / 1000);
        for (const [kind, ms] of used) cpuMs.set(kind, (cpuMs.get(kind) ?? 0) + ms / opts.rounds);
      }
    },
    { config: suite.config, std: quiet },
  );
  const wallMs = median(bigMs) - median(smallMs);
  return { mibPerS: sizeBytes / MiB / (wallMs / 1000), cpuMsPerRun: cpuMs, wallMs };
}

/** `  CPU per run: worker 0.41 s, s3 0.83 s, … (wall 1.10 s)`: who works while bytes move. */
function printCpu(label: string, run: { cpuMsPerRun: Map<string, number>; wallMs: number }) {
  const each = [...run.cpuMsPerRun]
    .sort((a, b) => b[1] - a[1])
    .map(([kind, ms]) => `${kind} ${(ms / 1000).toFixed(2)} s`)
    .join(', ');
  process.stdout.write(
    `  ${label}: CPU per run ${each} (wall ${(run.wallMs / 1000).toFixed(2)} s beyond a 1-byte run)\n`,
  );
}

/** The median of `rounds` runs of `measure` (this machine's load varies by the second). */
async function medianOf(rounds: number, measure: () => Promise<number>): Promise<number> {
  const values: number[] = [];
  for (let round = 0; round < rounds; round++) values.push(await measure());
  return median(values);
}

/** A file of `sizeBytes` PUT to the suite's S3 the way a worker uploads an output. */
async function s3CopyMiBs(suite: BenchSuite, sizeBytes: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'lzy-bench-s3-'));
  const bucket = `bench-baseline-${randomUUID().slice(0, 8)}`;
  await suite.s3.createBucket(bucket);
  const store = new S3BlobStore({
    ...suite.s3,
    bucket,
    forcePathStyle: true,
    partSizeBytes: PART_BYTES,
  });
  const uploader = new PresignedUploader();
  try {
    const path = join(dir, 'a');
    await writeFileOf(path, sizeBytes);
    const file = await open(path, 'r');
    try {
      const send: PartSender = async function* (parts, signal) {
        const queue = [...parts];
        const stored: Array<{ partNumber: number; etag: string }> = [];
        const lane = async () => {
          for (let part = queue.shift(); part !== undefined; part = queue.shift()) {
            const { offset } = part;
            const read = async (buffer: Buffer, position: number, length: number) =>
              (await file.read(buffer, 0, length, offset + position)).bytesRead;
            const etag = await uploader.put(part.url, { sizeBytes: part.sizeBytes, read }, signal);
            stored.push({ partNumber: part.partNumber, etag });
          }
        };
        await Promise.all(Array.from({ length: PARALLEL_PARTS }, lane));
        yield* stored;
      };
      const ms = await timed(() => store.putFromSender('baseline', sizeBytes, send));
      return sizeBytes / MiB / (ms / 1000);
    } finally {
      await file.close();
    }
  } finally {
    uploader.close();
    store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** `sizeBytes` in 1 MiB writes through a 127.0.0.1 TCP connection to a counting server. */
async function loopbackMiBs(sizeBytes: number): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const received = new Promise<void>((resolve) =>
      server.once('connection', (socket) => socket.on('end', resolve).resume()),
    );
    const chunk = Buffer.alloc(MiB, 1);
    const ms = await timed(async () => {
      const socket = connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      for (let left = sizeBytes; left > 0; left -= MiB) {
        if (!socket.write(left >= MiB ? chunk : chunk.subarray(0, left)))
          await new Promise<void>((resolve) => socket.once('drain', resolve));
      }
      socket.end();
      await received;
    });
    return sizeBytes / MiB / (ms / 1000);
  } finally {
    server.close();
  }
}

async function writeFileOf(path: string, sizeBytes: number): Promise<void> {
  const chunk = Buffer.alloc(MiB, 2);
  await pipeline(
    (function* () {
      for (let left = sizeBytes; left > 0; left -= MiB)
        yield left >= MiB ? chunk : chunk.subarray(0, left);
    })(),
    createWriteStream(path),
  );
}

/** Writes a file of `sizeBytes`, then times a stream copy of it to another file (fsync'd). */
async function diskCopyMiBs(sizeBytes: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'lzy-bench-copy-'));
  try {
    const from = join(dir, 'a');
    await writeFileOf(from, sizeBytes);
    const ms = await timed(() =>
      pipeline(createReadStream(from), createWriteStream(join(dir, 'b'), { flush: true })),
    );
    return sizeBytes / MiB / (ms / 1000);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const suite = await startBenchSuite();
  try {
    await benchOpToOp(suite);
  } finally {
    await suite.stop();
  }
}
