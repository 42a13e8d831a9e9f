import { access, constants, readdir } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError } from './environment-error.ts';
import type { PythonEnvSpec } from './python-env-spec.ts';

/** A base interpreter the worker builds environments from. */
export interface Interpreter {
  /** `3.11` */
  minor: string;
  path: string;
}

/** minor version (`3.11`) → interpreter path. */
export type InterpreterMap = ReadonlyMap<string, string>;

/**
 * The interpreters of this worker: exactly `configured` when given (LZY_WORKER_PYTHONS),
 * else discovered: `~/.pyenv/versions/X.Y.Z/bin/python` (newest patch per minor) first, then
 * `python3.X` executables on PATH. pyenv shims are skipped: a shim of a version that is not
 * selected fails at run time instead of running Python.
 */
export async function discoverInterpreters(where: {
  configured: Readonly<Record<string, string>> | undefined;
  home: string | undefined;
  path: string;
}): Promise<InterpreterMap> {
  if (where.configured !== undefined) return new Map(Object.entries(where.configured));
  const found = new Map<string, string>();
  if (where.home !== undefined) {
    const versionsDir = path.join(where.home, '.pyenv', 'versions');
    const names = await readdir(versionsDir).catch(() => [] as string[]);
    for (const [minor, name] of newestPatchByMinor(names)) {
      const python = path.join(versionsDir, name, 'bin', 'python');
      if (await isExecutable(python)) found.set(minor, python);
    }
  }
  for (const dir of where.path.split(':')) {
    if (dir === '' || dir.includes(`${path.sep}.pyenv${path.sep}shims`)) continue;
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const match = /^python(3\.\d+)$/.exec(name);
      const minor = match?.[1];
      if (minor === undefined || found.has(minor)) continue;
      const python = path.join(dir, name);
      if (await isExecutable(python)) found.set(minor, python);
    }
  }
  return found;
}

/** `X.Y.Z` directory names → minor → the name with the highest patch. Others are ignored. */
export function newestPatchByMinor(names: readonly string[]): Map<string, string> {
  const best = new Map<string, { patch: number; name: string }>();
  for (const name of names) {
    const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(name);
    if (match === null) continue;
    const minor = `${match[1]}.${match[2]}`;
    const patch = Number(match[3]);
    const current = best.get(minor);
    if (current === undefined || patch > current.patch) best.set(minor, { patch, name });
  }
  return new Map([...best].map(([minor, { name }]) => [minor, name]));
}

/**
 * The interpreter for the requested minor version, or the newest one when the YAML names none.
 * The patch level is not matched: pickles only need the same minor (python-client-protocol §4.4).
 * @throws EnvironmentError naming the versions this worker has and how to give it another one
 */
export function chooseInterpreter(
  available: InterpreterMap,
  spec: PythonEnvSpec,
  configured = false,
): Interpreter {
  const minors = [...available.keys()].sort(compareMinor);
  const minor = spec.minor ?? minors.at(-1);
  const interpreterPath = minor === undefined ? undefined : available.get(minor);
  if (minor !== undefined && interpreterPath !== undefined) return { minor, path: interpreterPath };
  const has = minors.length === 0 ? 'none' : minors.join(', ');
  const asked = spec.requestedVersion ?? spec.minor ?? 'any version';
  const wanted = minor ?? '3.X';
  const example = JSON.stringify(
    Object.fromEntries([
      ...[...available].sort(([a], [b]) => compareMinor(a, b)),
      [wanted, `/path/to/python${wanted}`],
    ]),
  );
  const source = configured
    ? 'its LZY_WORKER_PYTHONS lists only these'
    : 'found in ~/.pyenv/versions and as python3.X on PATH, LZY_WORKER_PYTHONS being unset';
  throw new EnvironmentError(
    `Python ${minor ?? asked} is not available on this worker (the op asks for python ${asked}; ` +
      `this worker has: ${has}, ${source}). Run the client with one of these Python versions, ` +
      `or install Python ${wanted} on the worker and name it in the worker's environment: ` +
      `LZY_WORKER_PYTHONS='${example}' (a JSON map of minor version to interpreter; with ` +
      `\`pnpm start\`, set it in the environment of \`pnpm start\`).`,
  );
}

function compareMinor(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

async function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}
