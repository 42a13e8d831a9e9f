import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { loadTracingConfig } from '@lzy/config';
import { startTracing } from '@lzy/grpc';
import type { SpanLine } from '@lzy/grpc';
import { parseSpanLines } from './span-profile.ts';

/** The `service.name` of the bench process's spans: the suite's services and the SDK in it. */
export const BENCH_PROCESS = 'bench';

/** A trace file the bench process and every VM process of its suite append their spans to. */
export interface BenchTracing {
  file: string;
  /** Exports what this process buffered and reads every span of the file. */
  readSpans(): Promise<SpanLine[]>;
  /**
   * Reads the file until `isComplete(spans)` (VM processes export about once a second), at most
   * `timeoutMs`; the last read either way, with whether it was complete.
   */
  waitForSpans(
    isComplete: (spans: readonly SpanLine[]) => boolean,
    timeoutMs: number,
  ): Promise<{ spans: SpanLine[]; complete: boolean }>;
  /** Stops recording; deletes the file unless LZY_TRACE_FILE named it. */
  stop(): Promise<void>;
}

/**
 * Records this process's spans as JSON lines to LZY_TRACE_FILE (a new temporary file when
 * unset), and sets LZY_TRACE_FILE in process.env so that the VMs of a suite started after this
 * (vmHostEnv passes it on) write theirs to the same file. undefined when nothing is recorded
 * (OTEL_SDK_DISABLED=true, or a provider registered already).
 */
export async function startBenchTracing(): Promise<BenchTracing | undefined> {
  const given = process.env.LZY_TRACE_FILE;
  const dir = given === undefined ? await mkdtemp(join(tmpdir(), 'lzy-bench-trace-')) : undefined;
  const file = given ?? join(dir ?? '', 'spans.jsonl');
  if (given === undefined) await writeFile(file, '');
  const config = { ...loadTracingConfig({ ...process.env, LZY_TRACE_FILE: file }) };
  const tracing = startTracing({ ...config, serviceName: BENCH_PROCESS }, BENCH_PROCESS);
  const removeDir = () =>
    dir === undefined ? Promise.resolve() : rm(dir, { recursive: true, force: true });
  if (!tracing.recording || config.traceFile === undefined) {
    await removeDir();
    return undefined;
  }
  process.env.LZY_TRACE_FILE = file;
  const readSpans = async () => {
    await tracing.flush();
    return parseSpanLines(await readFile(file, 'utf8'));
  };
  return {
    file,
    readSpans,
    waitForSpans: async (isComplete, timeoutMs) => {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const spans = await readSpans();
        if (isComplete(spans)) return { spans, complete: true };
        if (performance.now() > deadline) return { spans, complete: false };
        await delay(200);
      }
    },
    stop: async () => {
      await tracing.shutdown();
      if (given === undefined) delete process.env.LZY_TRACE_FILE;
      await removeDir();
    },
  };
}
