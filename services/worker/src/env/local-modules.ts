import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import {
  lstat,
  mkdir,
  readFile,
  readdir,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EnvironmentError } from './environment-error.ts';
import { runInstaller } from './installer-process.ts';

/** One `PythonEnv.localModules` entry: the client's path and a presigned GET URL of a zip. */
export interface LocalModuleRef {
  name: string;
  uri: string;
}

/** The unpacked local modules of one op. */
export interface PreparedModules {
  /** One directory holding every module (LOCAL_MODULES); content-addressed, shared by tasks. */
  dir: string;
  /**
   * The client's own `lzy` / `ai` packages, when shipped (pylzy 1.0.1 and our SDK do): their
   * directories and a key of the zips they came from.
   */
  lzyPackages: { key: string; dirs: string[] } | undefined;
}

/** Top-level packages copied into the environment's site-packages (§5.2 b). */
const CLIENT_PACKAGES = ['lzy', 'ai'];

// zipfile drops absolute paths and `..` parts; extracting with the op's interpreter needs no
// unzip binary or npm package on the worker.
const EXTRACT = 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])';

/**
 * Local modules cached by content under `<root>`: each zip unpacked once into `zip-<sha256>`,
 * each combination of zips merged once (symlinks) into `set-<hash>`. Downloaded at task start
 * (presigned URLs expire after an hour). A URL whose last path segment is a hex digest (the
 * client's `lzy_local_modules/<name>/<md5>` layout) is trusted to name the same content forever,
 * so it is fetched only once per machine.
 */
export class LocalModules {
  readonly #root: string;
  readonly #installerEnv: Record<string, string>;

  constructor(deps: { root: string; installerEnv: Record<string, string> }) {
    this.#root = deps.root;
    this.#installerEnv = deps.installerEnv;
  }

  /** @throws EnvironmentError if a module cannot be downloaded or is not a zip */
  async prepare(
    modules: readonly LocalModuleRef[],
    python: string,
    signal: AbortSignal,
  ): Promise<PreparedModules | undefined> {
    if (modules.length === 0) return undefined;
    await mkdir(this.#root, { recursive: true });
    // The client's order is not stable (§4.5): sort, so the same modules give the same set.
    const sorted = [...modules].sort(
      (a, b) => a.name.localeCompare(b.name) || a.uri.localeCompare(b.uri),
    );
    const trees: string[] = [];
    for (const module of sorted) trees.push(await this.#unpacked(module, python, signal));
    const dir = await this.#merged(trees);
    const lzyTrees: string[] = [];
    for (const tree of trees) {
      const names = await readdir(tree);
      if (CLIENT_PACKAGES.some((p) => names.includes(p))) lzyTrees.push(tree);
    }
    if (lzyTrees.length === 0) return { dir, lzyPackages: undefined };
    const lzyDir = await this.#merged(lzyTrees);
    const dirs = [];
    for (const name of CLIENT_PACKAGES) {
      const info = await stat(path.join(lzyDir, name)).catch(() => undefined);
      if (info?.isDirectory() === true) dirs.push(path.join(lzyDir, name));
    }
    return { dir, lzyPackages: { key: path.basename(lzyDir), dirs } };
  }

  /** The unpacked tree of one module: `<root>/zip-<sha256 of the zip>`. */
  async #unpacked(module: LocalModuleRef, python: string, signal: AbortSignal): Promise<string> {
    const urlRecord = this.#urlRecord(module.uri);
    if (urlRecord !== undefined) {
      const sha = await readFile(urlRecord, 'utf8').catch(() => undefined);
      const tree = sha === undefined ? undefined : path.join(this.#root, `zip-${sha.trim()}`);
      if (tree !== undefined && (await stat(tree).catch(() => undefined)) !== undefined)
        return tree;
    }
    const zip = path.join(this.#root, `download-${randomUUID()}.zip`);
    try {
      const sha = await download(module, zip, signal);
      const tree = path.join(this.#root, `zip-${sha}`);
      if ((await stat(tree).catch(() => undefined)) === undefined) {
        const tmp = `${tree}.tmp-${randomUUID()}`;
        const { rc, tail } = await runInstaller({
          file: python,
          args: ['-I', '-c', EXTRACT, zip, tmp],
          env: this.#installerEnv,
          cwd: this.#root,
          output: undefined,
          signal,
        });
        if (rc !== 0)
          throw new EnvironmentError(`local module ${module.name} is not a valid zip:\n${tail}`);
        await publish(tmp, tree);
      }
      if (urlRecord !== undefined) await writeFile(urlRecord, sha);
      return tree;
    } finally {
      await rm(zip, { force: true });
    }
  }

  /** A record `url-<hash of the URL path>` holding the zip's sha, for content-addressed URLs. */
  #urlRecord(uri: string): string | undefined {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return undefined;
    }
    const last = url.pathname.split('/').at(-1) ?? '';
    if (!/^[0-9a-f]{32,}$/i.test(last)) return undefined;
    const id = createHash('sha256').update(`${url.host}${url.pathname}`).digest('hex');
    return path.join(this.#root, `url-${id}`);
  }

  /** `<root>/set-<hash of the trees>`: every tree merged (later trees win), built once. */
  async #merged(trees: readonly string[]): Promise<string> {
    const key = createHash('sha256').update(trees.join('\n')).digest('hex').slice(0, 24);
    const dir = path.join(this.#root, `set-${key}`);
    if ((await stat(dir).catch(() => undefined)) !== undefined) return dir;
    const tmp = `${dir}.tmp-${randomUUID()}`;
    await mkdir(tmp);
    for (const tree of trees) await mergeTree(tmp, tree);
    await publish(tmp, dir);
    return dir;
  }
}

/** GETs a module into `file`, returning the sha256 of its bytes. */
async function download(
  module: LocalModuleRef,
  file: string,
  signal: AbortSignal,
): Promise<string> {
  let response: Response;
  try {
    response = await fetch(module.uri, { signal });
  } catch (err) {
    signal.throwIfAborted();
    throw new EnvironmentError(`cannot download local module ${module.name}: ${String(err)}`);
  }
  if (!response.ok || response.body === null)
    throw new EnvironmentError(
      `cannot download local module ${module.name}: HTTP ${response.status} ` +
        '(its presigned URL is valid for one hour after the graph was submitted)',
    );
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(response.body), hashing, createWriteStream(file), { signal });
  return hash.digest('hex');
}

/** Renames a finished temp dir into place; another process that got there first wins. */
async function publish(tmp: string, dir: string): Promise<void> {
  try {
    await rename(tmp, dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    await rm(tmp, { recursive: true, force: true });
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
  }
}

/**
 * Adds `src`'s entries to `dest` as symlinks; a directory present on both sides becomes a real
 * directory merged recursively, a file present on both sides is replaced (as unzip would).
 */
async function mergeTree(dest: string, src: string): Promise<void> {
  for (const entry of await readdir(src, { withFileTypes: true })) {
    const target = path.join(dest, entry.name);
    const source = path.join(src, entry.name);
    const existing = await lstat(target).catch(() => undefined);
    if (existing === undefined) {
      await symlink(source, target);
      continue;
    }
    const existingIsDir = (await stat(target).catch(() => undefined))?.isDirectory() === true;
    if (entry.isDirectory() && existingIsDir) {
      if (existing.isSymbolicLink()) {
        const previous = await readlink(target);
        await unlink(target);
        await mkdir(target);
        await mergeTree(target, previous);
      }
      await mergeTree(target, source);
      continue;
    }
    await rm(target, { recursive: true, force: true });
    await symlink(source, target);
  }
}
