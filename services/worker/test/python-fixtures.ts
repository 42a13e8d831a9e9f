import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { commonOperation } from '@lzy/proto';
import type { CleanupStack } from '@lzy/testing';
import { taskDesc, tempDir } from './worker-harness.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** The real tools of the Python tests: uv from scripts/install-uv.sh and the machine's python3. */
export interface PythonToolchain {
  uvPath: string;
  /** `3.11` */
  minor: string;
  pythonPath: string;
}

export function pythonToolchain(): PythonToolchain {
  const uvPath = execFileSync('bash', [path.join(REPO, 'scripts', 'install-uv.sh')], {
    encoding: 'utf8',
  }).trim();
  const [minor = '', pythonPath = ''] = execFileSync(
    'python3',
    ['-c', 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}", sys.executable)'],
    { encoding: 'utf8' },
  )
    .trim()
    .split(' ');
  return { uvPath, minor, pythonPath };
}

/** Worker variables for Python ops: this toolchain only, a fresh environment cache. */
export async function pythonWorkerEnv(
  cleanup: CleanupStack,
  tools: PythonToolchain,
): Promise<Record<string, string>> {
  // TLS roots and proxies of this machine (a real worker gets them from its own environment).
  const network = Object.fromEntries(
    // eslint-disable-next-line no-restricted-properties -- the test plays the worker's main.ts here
    Object.entries(process.env).filter(
      (e): e is [string, string] =>
        /^(SSL_CERT_FILE|SSL_CERT_DIR|(HTTPS?|NO)_PROXY|(https?|no)_proxy|UV_[A-Z_]+)$/.test(
          e[0],
        ) && e[1] !== undefined,
    ),
  );
  return {
    ...network,
    LZY_WORKER_PYTHONS: JSON.stringify({ [tools.minor]: tools.pythonPath }),
    LZY_WORKER_UV: tools.uvPath,
    LZY_WORKER_ENV_CACHE_DIR: await tempDir(cleanup, 'envs'),
    // uv's own download cache stays the user's: tests do not re-download wheels.
    HOME: os.homedir(),
  };
}

/** The YAML pylzy generates (python-client-protocol §4.2). */
export function pylzyYaml(minor: string, pins: string[]): string {
  const pip = pins.length === 0 ? '- pip: []' : `- pip:\n${pins.map((p) => `  - ${p}`).join('\n')}`;
  return `name: default\ndependencies:\n- python==${minor}.0\n- pip\n${pip}\n`;
}

/** A TaskDesc whose operation carries a Python environment (EnvSpec.auxEnv.pyenv). */
export function pythonTaskDesc(
  command: string,
  yaml: string,
  options: {
    localModules?: Array<{ name: string; uri: string }>;
    slots?: Parameters<typeof taskDesc>[1];
  } = {},
): commonOperation.TaskDesc {
  const desc = taskDesc(command, options.slots);
  if (desc.operation !== undefined)
    desc.operation.env = {
      baseEnv: undefined,
      auxEnv: {
        env: {
          $case: 'pyenv',
          value: { name: '', yaml, localModules: options.localModules ?? [] },
        },
      },
    };
  return desc;
}

/**
 * Zips `files` (relative path → text) the way pylzy does (entries relative to the sys.path
 * root) with Python's zipfile; returns the zip's bytes.
 */
export async function zipOf(
  cleanup: CleanupStack,
  python: string,
  files: Record<string, string>,
): Promise<Buffer> {
  const dir = await tempDir(cleanup, 'zip-src');
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, 'tree', name)), { recursive: true });
    await writeFile(path.join(dir, 'tree', name), text);
  }
  const top = [...new Set(Object.keys(files).map((f) => f.split('/')[0] ?? f))];
  execFileSync(python, ['-m', 'zipfile', '-c', path.join(dir, 'out.zip'), ...top], {
    cwd: path.join(dir, 'tree'),
  });
  return readFile(path.join(dir, 'out.zip'));
}

/**
 * A plain HTTP server playing the presigned-URL side of S3: serves each zip at
 * `/lzy_local_modules/<name>/<md5>` (the client's layout, §10) and counts GETs.
 */
export async function moduleServer(
  cleanup: CleanupStack,
  zips: Record<string, Buffer>,
): Promise<{ urls: Record<string, string>; gets: () => number }> {
  const byPath = new Map<string, Buffer>();
  const paths: Record<string, string> = {};
  for (const [name, zip] of Object.entries(zips)) {
    const p = `/lzy_local_modules/${name}/${createHash('md5').update(zip).digest('hex')}`;
    byPath.set(p, zip);
    paths[name] = p;
  }
  let gets = 0;
  const server = createServer((req, res) => {
    gets += 1;
    const zip = byPath.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (zip === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/zip' }).end(zip);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const urls = Object.fromEntries(
    Object.entries(paths).map(([name, p]) => [
      name,
      `http://127.0.0.1:${port}${p}?X-Amz-Signature=abc&X-Amz-Expires=3600`,
    ]),
  );
  return { urls, gets: () => gets };
}
