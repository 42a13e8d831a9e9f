import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { acquireFileLock } from './file-lock.ts';

/** Written last into a built directory: its presence means "complete". */
const MARKER = 'lzy-env.json';

/**
 * Builds `dir` once for every process on this machine: a directory with a marker is complete and
 * is used as is (one file read, no subprocess); otherwise the builder runs under the exclusive
 * lock `<dir>.lock`, after removing what a crashed builder may have left, and its result is
 * stored as the marker. A concurrent caller waits for the lock (`onWait` is called), then finds
 * the marker. A failed build leaves no marker, so the next caller tries again.
 *
 * @returns the marker data and whether this call built the directory
 * @throws whatever `build` throws; the signal's reason on abort
 */
export async function ensureReadyDir<T>(
  dir: string,
  steps: {
    build: (dir: string) => Promise<T>;
    /** Called before the build starts (once we hold the lock and the dir is still missing). */
    onBuild: () => Promise<void>;
    onWait: () => Promise<void>;
  },
  signal: AbortSignal,
): Promise<{ data: T; built: boolean }> {
  const ready = await readMarker<T>(dir);
  if (ready !== undefined) return { data: ready, built: false };
  await mkdir(path.dirname(dir), { recursive: true });
  const lock = await acquireFileLock(`${dir}.lock`, steps.onWait, signal);
  try {
    const builtMeanwhile = await readMarker<T>(dir);
    if (builtMeanwhile !== undefined) return { data: builtMeanwhile, built: false };
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await steps.onBuild();
    const data = await steps.build(dir);
    signal.throwIfAborted();
    const tmp = path.join(dir, `${MARKER}.tmp`);
    await writeFile(tmp, JSON.stringify(data, null, 2));
    await rename(tmp, path.join(dir, MARKER));
    return { data, built: true };
  } finally {
    await lock.release();
  }
}

/** The marker data of a complete directory, undefined if it is missing or incomplete. */
export async function readMarker<T>(dir: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, MARKER), 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
