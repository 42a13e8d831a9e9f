import { fileURLToPath, pathToFileURL } from 'node:url';
import { InvalidArgument } from '@lzy/errors';
import { LzyResult } from './lzy-result.ts';
import { currentWorkflow } from './workflow-context.ts';

/** Where an op runs: a pool by name, or requirements the smallest matching pool must meet. */
export interface OpOptions {
  /** Pool label (`GetAvailablePools`), e.g. `s`. Wins over the requirements below. */
  pool?: string;
  /**
   * CPUs the op uses (default 1): ops of a workflow share a VM while their CPUs, RAM and GPUs
   * fit in it together, as Ray packs tasks by `num_cpus`. Also picks the pool (see choosePool).
   */
  cpuCount?: number;
  /** GB of RAM the op uses; reserved on its VM only when given. Pool choice assumes 1. */
  ramGb?: number;
  /** `NO_GPU` (default), `V100`, `A100`, `T4`, … (exact match). */
  gpuType?: string;
  gpuCount?: number;
  /**
   * Runs of the op at most, counting the first (default 3, at most 10). The op runs again when
   * its VM is lost or the worker failed internally; after its own failure (an exception, a
   * non-zero exit) only with `retryOnFailure`. The first complete run's result is the result.
   */
  maxAttempts?: number;
  /** Also run the op again after it failed itself (flaky network, spot GPUs); default false. */
  retryOnFailure?: boolean;
  /** Shown in the graph; free text. */
  description?: string;
  /**
   * Run the op inside this image (pylzy's `docker_image`): the worker runs it there with its mount
   * directory and its own node + SDK mounted, so the image needs glibc (e.g. Debian-based).
   */
  dockerImage?: string;
}

/** Everything the SDK knows about an op; also how the worker's runner finds its function. */
export interface OpMeta {
  readonly name: string;
  readonly moduleUrl: string;
  readonly modulePath: string;
  readonly exportName: string;
  readonly options: OpOptions;
  readonly fn: (...args: never[]) => unknown;
}

/** The marker on an op function; a registered symbol so two copies of the SDK agree. */
export const OP_META: unique symbol = Symbol.for('lzy.sdk.op') as never;

/** An argument of an op call: the value itself or a lazy result of another call. */
export type OpArgs<A extends unknown[]> = { [K in keyof A]: A[K] | LzyResult<A[K]> };

export type LzyOp<A extends unknown[], R> = ((...args: OpArgs<A>) => LzyResult<Awaited<R>>) & {
  readonly [OP_META]: OpMeta;
};

/**
 * Declares an op: `export const square = op(import.meta.url, 'square', async (x: number) => x * x,
 * { pool: 's' })`. The worker runs it by importing `moduleUrl` and calling export `exportName`,
 * so the op must be exported under exactly that name from that module (checked before the first
 * graph runs) and the module must not start a workflow when imported (guard the entry point with
 * `if (import.meta.main)`). Inside `workflow(...)` a call is recorded and returns a lazy
 * LzyResult; outside a workflow the function simply runs here.
 * @throws InvalidArgument for a module URL that is not a file: URL or an empty export name.
 */
export function op<A extends unknown[], R>(
  moduleUrl: string,
  exportName: string,
  fn: (...args: A) => R | Promise<R>,
  options: OpOptions = {},
): LzyOp<A, R> {
  if (!moduleUrl.startsWith('file:')) {
    throw new InvalidArgument(
      `op '${exportName}': pass import.meta.url (a file: URL), got '${moduleUrl}'`,
    );
  }
  if (!/^[A-Za-z_$][\w$]*$/.test(exportName)) {
    throw new InvalidArgument(`op export name '${exportName}' is not a JavaScript identifier`);
  }
  checkOptions(exportName, options);
  const meta: OpMeta = {
    name: exportName,
    moduleUrl,
    modulePath: fileURLToPath(moduleUrl),
    exportName,
    options,
    fn,
  };
  const call = (...args: OpArgs<A>): LzyResult<Awaited<R>> => {
    const workflow = currentWorkflow();
    if (workflow !== undefined) return workflow.record<Awaited<R>>(meta, args);
    const local = Promise.all(args).then(
      async (values): Promise<Awaited<R>> => await fn(...(values as A)),
    );
    return new LzyResult<Awaited<R>>(() => local, undefined);
  };
  return Object.assign(call, { [OP_META]: meta });
}

/** @throws InvalidArgument for needs that are not non-negative numbers or bad maxAttempts. */
function checkOptions(name: string, options: OpOptions): void {
  for (const key of ['cpuCount', 'ramGb', 'gpuCount'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      throw new InvalidArgument(`op '${name}': ${key} must be a non-negative number, got ${value}`);
    }
  }
  if (options.gpuCount !== undefined && !Number.isInteger(options.gpuCount)) {
    throw new InvalidArgument(`op '${name}': gpuCount must be a whole number`);
  }
  const attempts = options.maxAttempts;
  if (attempts !== undefined && !(Number.isInteger(attempts) && attempts >= 1 && attempts <= 10)) {
    throw new InvalidArgument(
      `op '${name}': maxAttempts must be a whole number from 1 to 10, got ${attempts}`,
    );
  }
}

/** The op behind a module export, if it is one. */
export function opMetaOf(value: unknown): OpMeta | undefined {
  if (typeof value !== 'function') return undefined;
  return (value as { [OP_META]?: OpMeta })[OP_META];
}

/**
 * Checks that `meta`'s module exports it under its name (the worker imports it that way).
 * @throws InvalidArgument saying what to export.
 */
export async function checkOpExport(meta: OpMeta): Promise<void> {
  // The entry module is still evaluating (its top-level await is running the workflow): importing
  // it would wait for itself forever. Its exports are checked by the worker's import instead.
  if (process.argv[1] !== undefined && meta.moduleUrl === pathToFileURL(process.argv[1]).href)
    return;
  const module = (await import(meta.moduleUrl)) as Record<string, unknown>;
  const exported = opMetaOf(module[meta.exportName]);
  if (exported?.moduleUrl !== meta.moduleUrl || exported.exportName !== meta.exportName) {
    throw new InvalidArgument(
      `op '${meta.exportName}' must be exported as \`export const ${meta.exportName} = op(import.meta.url, '${meta.exportName}', …)\` from ${meta.modulePath}: the worker imports it from there`,
    );
  }
}
