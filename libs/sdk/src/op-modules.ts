/**
 * Op modules travel to workers as LZY ships Python local modules: the client packs an op's
 * module and the files it imports relatively into one bundle in the user's storage, and the op
 * command names a presigned GET URL of it. The worker downloads each bundle once (content
 * addressed), unpacks it, and imports the op from there with its own SDK: imports of this SDK
 * (relative ones such as `../../libs/sdk/src/index.ts` too) are rewritten to `@lzy/sdk`, which
 * resolves to the worker's SDK through a `node_modules/@lzy/sdk` link in the unpacked tree.
 * Bare imports of other packages stay as they are: the worker must have them.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { InvalidArgument } from '@lzy/errors';

const FORMAT = 'lzy-ts-op-modules/1';
const SDK_SRC = fileURLToPath(new URL('.', import.meta.url));
const SDK_PACKAGE = dirname(SDK_SRC.replace(/\/$/, ''));
const SDK_INDEX = join(SDK_SRC, 'index.ts');
/** The SDK a bundle's `@lzy/sdk` links to, in its cache directory's name (fetchOpModule). */
const SDK_KEY = createHash('sha256').update(SDK_PACKAGE).digest('hex').slice(0, 12);
/** `import … from '…'`, `export … from '…'`, `import '…'`, `import('…')`. */
const SPECIFIER =
  /(\b(?:import|export)\s[^'";]*?\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"\n]+)\2/g;

/** A packed op module: the bundle bytes, their sha256 (hex), and the module's path inside. */
export interface OpModuleBundle {
  readonly bytes: Buffer;
  readonly sha256: string;
  readonly entry: string;
}

/**
 * Packs the module at `modulePath` (absolute) with every file it imports relatively, directly or
 * not, except this SDK's own files and anything under node_modules. Deterministic: the same
 * files give the same bytes.
 * @throws InvalidArgument for a relative import of an SDK file other than its index.
 */
export async function bundleOpModule(modulePath: string): Promise<OpModuleBundle> {
  const files = new Map<string, string>();
  const queue = [resolve(modulePath)];
  while (queue.length > 0) {
    const file = queue.shift() ?? '';
    if (files.has(file)) continue;
    const source = await readFile(file, 'utf8');
    files.set(
      file,
      source.replace(SPECIFIER, (whole, head: string, quote: string, spec: string) => {
        if (!spec.startsWith('./') && !spec.startsWith('../')) return whole;
        const target = resolve(dirname(file), spec);
        if (target.startsWith(SDK_SRC)) {
          if (target !== SDK_INDEX) {
            throw new InvalidArgument(
              `${file} imports ${spec}, a file inside the SDK: import the SDK by its index (@lzy/sdk) so workers can run the op`,
            );
          }
          return `${head}${quote}@lzy/sdk${quote}`;
        }
        if (!target.split(sep).includes('node_modules') && !files.has(target)) queue.push(target);
        return whole;
      }),
    );
  }
  const root = commonDir([...files.keys()]);
  const sorted = [...files.entries()]
    .map(([path, content]) => [relative(root, path), content] as const)
    .sort(([a], [b]) => a.localeCompare(b));
  const json = JSON.stringify({ format: FORMAT, files: Object.fromEntries(sorted) });
  const bytes = gzipSync(Buffer.from(json, 'utf8'), { level: 9 });
  return {
    bytes,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    entry: relative(root, resolve(modulePath)),
  };
}

function commonDir(paths: readonly string[]): string {
  let common = dirname(paths[0] ?? '/');
  for (const path of paths) {
    while (!(path + sep).startsWith(common.endsWith(sep) ? common : common + sep)) {
      common = dirname(common);
    }
  }
  return common;
}

/** `<presigned url>#lzy-op-module=<sha256>:<entry>`: how an op command names a shipped module. */
export function opModuleRef(url: string, bundle: OpModuleBundle): string {
  return `${url}#lzy-op-module=${bundle.sha256}:${encodeURIComponent(bundle.entry)}`;
}

/** True for a module argument made by {@link opModuleRef} (not a local path). */
export function isOpModuleRef(modulePath: string): boolean {
  return /^https?:\/\//.test(modulePath) && modulePath.includes('#lzy-op-module=');
}

/**
 * The local path of the module a {@link opModuleRef} names: downloaded, checked against its
 * sha256 and unpacked once per machine into `<cacheDir>/<sha256>/` (atomically: concurrent
 * callers may both download; one rename wins).
 * @throws Error when the download fails, the hash differs or the bundle is malformed.
 */
export async function fetchOpModule(
  ref: string,
  cacheDir: string = join(tmpdir(), 'lzy-ts-op-modules'),
): Promise<string> {
  const [url = '', fragment = ''] = ref.split('#lzy-op-module=');
  const match = /^([0-9a-f]{64}):(.+)$/.exec(fragment);
  if (match === null) throw new Error(`not an op module reference: ${ref}`);
  const [, sha256 = '', encodedEntry = ''] = match;
  const entry = decodeURIComponent(encodedEntry);
  // Per SDK as well: the unpacked bundle links `@lzy/sdk` to the SDK running this code, and
  // another checkout's (moved or deleted since) must not be reused.
  const dir = join(cacheDir, `${sha256}-${SDK_KEY}`);
  if (existsSync(join(dir, '.complete'))) return safeJoin(dir, entry);

  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`could not download the op's module bundle (HTTP ${response.status})`);
  }
  const bytes = Buffer.from(await response.arrayBuffer());
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== sha256) throw new Error(`op module bundle: sha256 ${actual}, expected ${sha256}`);
  const bundle = JSON.parse(gunzipSync(bytes).toString('utf8')) as {
    format?: string;
    files?: Record<string, string>;
  };
  if (bundle.format !== FORMAT || bundle.files === undefined) {
    throw new Error(`op module bundle: unknown format ${String(bundle.format)}`);
  }
  await mkdir(cacheDir, { recursive: true });
  const staging = await mkdtemp(join(cacheDir, `.${sha256.slice(0, 12)}-`));
  try {
    for (const [path, content] of Object.entries(bundle.files)) {
      const target = safeJoin(staging, path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    }
    // `@lzy/sdk` in the bundle resolves to the SDK running this code (the worker's).
    await mkdir(join(staging, 'node_modules', '@lzy'), { recursive: true });
    await symlink(SDK_PACKAGE, join(staging, 'node_modules', '@lzy', 'sdk'));
    await writeFile(join(staging, '.complete'), '');
    await rename(staging, dir).catch(async (err: unknown) => {
      if (!existsSync(join(dir, '.complete'))) throw err;
      await rm(staging, { recursive: true, force: true });
    });
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  return safeJoin(dir, entry);
}

function safeJoin(dir: string, path: string): string {
  const target = resolve(dir, path);
  if (isAbsolute(path) || !target.startsWith(dir + sep)) {
    throw new Error(`op module bundle: path ${path} leaves its directory`);
  }
  return target;
}
