import { execFileSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateRsaKeyPair } from '@lzy/auth';
import { serverStream } from '@lzy/grpc';
import { slots, worker } from '@lzy/proto';
import { CleanupStack, startServiceProcess } from '@lzy/testing';
import { acquireFileLock } from '../src/env/file-lock.ts';
import { normalizeRequirements, pythonEnvKey } from '../src/env/python-env-spec.ts';
import { AllocatorDouble } from './doubles/allocator-double.ts';
import { ChannelManagerDouble } from './doubles/channel-manager-double.ts';
import {
  moduleServer,
  pylzyYaml,
  pythonTaskDesc,
  pythonToolchain,
  pythonWorkerEnv,
  zipOf,
} from './python-fixtures.ts';
import type { PythonToolchain } from './python-fixtures.ts';
import {
  finishedOf,
  initAndExecute,
  internalClient,
  internalKeys,
  log,
  slot,
  startTestWorker,
  stdText,
  tempDir,
  watchAll,
} from './worker-harness.ts';
import type { TestWorker } from './worker-harness.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const cleanup = new CleanupStack();
afterEach(() => cleanup.close());

let tools: PythonToolchain;
beforeAll(() => {
  tools = pythonToolchain();
});

const PRINT_TABULATE = `python -c 'import tabulate, sys; print("tabulate", tabulate.__version__, sys.prefix)'`;
/** uv's line for a package it installed. */
const INSTALLED_TABULATE = '+ tabulate==0.9.0';

/** The environment directories of a cache (not lock files, not local modules). */
async function envDirs(cacheDir: string): Promise<string[]> {
  const names = await readdir(cacheDir);
  return names.filter((n) => /^[0-9a-f]{24}$/.test(n));
}

async function run(
  w: TestWorker,
  taskId: string,
  desc: Parameters<typeof initAndExecute>[1]['desc'],
) {
  await initAndExecute(w, { taskId, desc });
  const events = await watchAll(w, taskId);
  return {
    finished: finishedOf(events),
    stdout: stdText(events, 'stdout'),
    stderr: stdText(events, 'stderr'),
  };
}

describe('worker Python environments', () => {
  it('installs a pip pin into a cached environment, reuses it for the next op, passes no secrets', async () => {
    const allocatorDouble = new AllocatorDouble({ heartbeatPeriodMs: 60_000 });
    const allocatorAddress = await allocatorDouble.start(log);
    cleanup.defer(() => allocatorDouble.stop());
    const env = await pythonWorkerEnv(cleanup, tools);
    const cacheDir = env.LZY_WORKER_ENV_CACHE_DIR ?? '';
    const w = await startTestWorker(cleanup, {
      ...env,
      LZY_VM_ID: 'vm-py',
      LZY_VM_OTT: 'ott-secret-py',
      LZY_VM_PRIVATE_KEY: (await generateRsaKeyPair()).privateKeyPem,
      LZY_ALLOCATOR_ADDRESS: allocatorAddress,
    });
    const yaml = pylzyYaml(tools.minor, ['tabulate==0.9.0']);

    const first = await run(w, 't-py-1', pythonTaskDesc(`${PRINT_TABULATE}; env`, yaml));
    expect(first.finished).toEqual({ rc: 0, description: 'Success' });
    expect(first.stdout).toMatch(new RegExp(`^tabulate 0\\.9\\.0 ${cacheDir}/[0-9a-f]{24}\\n`));
    expect(first.stderr).toContain(INSTALLED_TABULATE);
    // The op's environment: the env's bin first, LZY_MOUNT; none of the worker's secrets.
    expect(first.stdout).toMatch(new RegExp(`^PATH=${cacheDir}/[0-9a-f]{24}/bin:`, 'm'));
    expect(first.stdout).toMatch(/^LZY_MOUNT=\//m);
    expect(first.stdout).not.toContain('ott-secret-py');
    expect(first.stdout).not.toContain('PRIVATE KEY');
    expect(first.stdout).not.toMatch(/LZY_VM_|LZY_INTERNAL_PRIVATE_KEY/);

    const [envDir] = await envDirs(cacheDir);
    const marker = await readFile(path.join(cacheDir, envDir ?? '', 'lzy-env.json'), 'utf8');
    const second = await run(w, 't-py-2', pythonTaskDesc(PRINT_TABULATE, yaml));
    expect(second.finished?.rc).toBe(0);
    expect(second.stdout).toBe(first.stdout.split('\n')[0] + '\n');
    // Reused: no installer ran (nothing on stderr), the environment was not rebuilt.
    expect(second.stderr).toBe('');
    expect(await envDirs(cacheDir)).toEqual([envDir]);
    expect(await readFile(path.join(cacheDir, envDir ?? '', 'lzy-env.json'), 'utf8')).toBe(marker);
  });

  it('prepares an environment once when two worker processes need it at the same time', async () => {
    const env = await pythonWorkerEnv(cleanup, tools);
    const cacheDir = env.LZY_WORKER_ENV_CACHE_DIR ?? '';
    const inProcess = await startTestWorker(cleanup, env);
    const { publicKeyPem, privateKeyPem } = await internalKeys();
    const child = await startServiceProcess(MAIN, {
      ...env,
      LZY_PORT: '0',
      LZY_LOG_LEVEL: 'info',
      LZY_WORKER_MOUNT_DIR: await tempDir(cleanup, 'mount-child'),
      LZY_WORKER_TRUSTED_PUBLIC_KEYS: JSON.stringify({ 'lzy-internal': publicKeyPem }),
      LZY_INTERNAL_PRIVATE_KEY: privateKeyPem,
    });
    cleanup.defer(async () => void (await child.stop('SIGTERM')));
    const address = `127.0.0.1:${child.port}`;
    const childWorker = {
      running: { address },
      client: await internalClient(worker.WorkerServiceClient, address, cleanup),
    } as TestWorker;

    // The test holds the environment's lock first, so both tasks surely meet while it is built.
    const key = pythonEnvKey(normalizeRequirements(['tabulate==0.9.0']), {
      minor: tools.minor,
      path: tools.pythonPath,
    });
    const lock = await acquireFileLock(
      path.join(cacheDir, `${key}.lock`),
      () => Promise.resolve(),
      new AbortController().signal,
    );
    const desc = pythonTaskDesc(PRINT_TABULATE, pylzyYaml(tools.minor, ['tabulate==0.9.0']));
    const stderr = { a: '', b: '' };
    const watch = async (w: TestWorker, taskId: string, name: 'a' | 'b') => {
      await initAndExecute(w, { taskId, desc });
      return watchAll(w, taskId, (e) => {
        if (e.event?.$case === 'stderr') stderr[name] += e.event.value.data.toString('utf8');
      });
    };
    const runs = [watch(inProcess, 't-conc-a', 'a'), watch(childWorker, 't-conc-b', 'b')];
    await expect.poll(() => stderr.a, { timeout: 20_000 }).toContain('waiting for');
    await expect.poll(() => stderr.b, { timeout: 20_000 }).toContain('waiting for');
    await lock.release();

    const [a, b] = await Promise.all(runs);
    for (const events of [a ?? [], b ?? []]) {
      expect(finishedOf(events)?.rc).toBe(0);
      expect(stdText(events, 'stdout')).toMatch(/^tabulate 0\.9\.0 /);
    }
    const installs = [stderr.a, stderr.b].filter((s) => s.includes(INSTALLED_TABULATE));
    const builds = [stderr.a, stderr.b].filter((s) => s.includes('preparing Python'));
    expect(installs).toHaveLength(1);
    expect(builds).toHaveLength(1);
    expect(await envDirs(cacheDir)).toEqual([key]);
  });

  it('ends with rc 97 and says how to give the worker a missing Python version', async () => {
    const w = await startTestWorker(cleanup, await pythonWorkerEnv(cleanup, tools));
    const yaml = 'name: default\ndependencies:\n- python==3.4.10\n- pip\n- pip: []\n';
    const result = await run(w, 't-py-old', pythonTaskDesc('echo never ran', yaml));
    expect(result.finished?.rc).toBe(97);
    const message = `Python 3.4 is not available on this worker (the op asks for python 3.4.10; this worker has: ${tools.minor}, its LZY_WORKER_PYTHONS lists only these)`;
    const howTo = `LZY_WORKER_PYTHONS='{"${tools.minor}":"${tools.pythonPath}","3.4":"/path/to/python3.4"}'`;
    for (const text of [result.finished?.description, result.stderr]) {
      expect(text).toContain(message);
      expect(text).toContain(howTo);
    }
    expect(result.stdout).toBe('');
  });

  it("ends with rc 97 and the installer's last lines when a pin cannot be installed", async () => {
    const w = await startTestWorker(cleanup, await pythonWorkerEnv(cleanup, tools));
    const yaml = pylzyYaml(tools.minor, ['tabulate==99.99.99']);
    const result = await run(w, 't-py-pin', pythonTaskDesc('echo never ran', yaml));
    expect(result.finished?.rc).toBe(97);
    expect(result.finished?.description).toContain('uv pip install failed');
    expect(result.finished?.description).toContain('tabulate==99.99.99');
    expect(result.stderr).toContain('No solution found');
    expect(result.stdout).toBe('');
  });
});

const STARTUP = [
  'import os, sys',
  'import lzy.api.v1',
  "sys.path.append(os.environ['LOCAL_MODULES'])",
  'import common',
  "with open(os.environ['LZY_MOUNT'] + '/c1/out', 'w') as f:",
  '    f.write(common.greet(sys.argv[1]))',
  "print('startup', __file__)",
].join('\n');
const COMMAND = `python -u $(python -c 'import site; print(site.getsitepackages()[0])')/lzy/api/v1/startup.py  d29ybGQ=`;

async function lzyZips(apiInit: string) {
  const python = tools.pythonPath;
  return {
    lzy: await zipOf(cleanup, python, {
      'lzy/__init__.py': '',
      'lzy/api/__init__.py': '',
      'lzy/api/v1/__init__.py': apiInit,
      'lzy/api/v1/startup.py': STARTUP,
    }),
    ai: await zipOf(cleanup, python, { 'ai/__init__.py': '', 'ai/lzy/__init__.py': '' }),
    common: await zipOf(cleanup, python, {
      'common.py': 'def greet(who):\n    return "hello " + who\n',
    }),
  };
}

describe('worker local modules', () => {
  it('runs the start-up command of §4.4 from site-packages and serves the outputs after exit 0', async () => {
    const cm = new ChannelManagerDouble();
    cleanup.defer(() => cm.stop());
    const env = await pythonWorkerEnv(cleanup, tools);
    const cacheDir = env.LZY_WORKER_ENV_CACHE_DIR ?? '';
    const w = await startTestWorker(cleanup, {
      ...env,
      LZY_CHANNEL_MANAGER_ADDRESS: await cm.start(log),
    });
    const server = await moduleServer(cleanup, await lzyZips(''));
    const localModules = Object.entries(server.urls).map(([name, uri]) => ({
      name: `/home/me/proj/${name}`,
      uri,
    }));
    const desc = (channelId: string) =>
      pythonTaskDesc(COMMAND, pylzyYaml(tools.minor, []), {
        localModules,
        slots: [{ slot: slot('/c1/out', 'OUTPUT'), channelId }],
      });

    const first = await run(w, 't-lm-1', desc('ch-lm-1'));
    expect(first.finished).toEqual({ rc: 0, description: 'Success' });
    // The overlay environment's site-packages, not the local modules directory.
    expect(first.stdout).toMatch(
      new RegExp(
        `^startup ${cacheDir}/[0-9a-f]{24}/lib/python${tools.minor}/site-packages/lzy/api/v1/startup.py\\n$`,
      ),
    );
    const client = await internalClient(slots.SlotsServiceClient, w.running.address, cleanup);
    const read = async (channelId: string) => {
      const chunks: Buffer[] = [];
      const slotUri = cm.senderOf(channelId)?.slot.slotUri ?? '';
      for await (const m of serverStream(client.readSlot.bind(client), { slotUri, offset: 0 }))
        if (m.event?.$case === 'chunk') chunks.push(m.event.value.data);
      return Buffer.concat(chunks).toString('utf8');
    };
    expect(await read('ch-lm-1')).toBe('hello d29ybGQ=');
    expect(server.gets()).toBe(3);

    // A second op with the same modules: nothing downloaded or built again.
    const second = await run(w, 't-lm-2', desc('ch-lm-2'));
    expect(second.finished?.rc).toBe(0);
    expect(second.stderr).toBe('');
    expect(server.gets()).toBe(3);
    expect(await read('ch-lm-2')).toBe('hello d29ybGQ=');
  });

  it('ends with rc 97 when the shipped lzy package cannot be imported in the environment', async () => {
    const w = await startTestWorker(cleanup, await pythonWorkerEnv(cleanup, tools));
    // lzy needs a package the YAML does not pin: the start-up import would fail.
    const server = await moduleServer(cleanup, await lzyZips('import tabulate\n'));
    const localModules = Object.entries(server.urls).map(([name, uri]) => ({ name, uri }));
    const result = await run(
      w,
      't-lm-bad',
      pythonTaskDesc(COMMAND, pylzyYaml(tools.minor, []), { localModules }),
    );
    expect(result.finished?.rc).toBe(97);
    expect(result.finished?.description).toContain('cannot import lzy.api.v1');
    expect(result.finished?.description).toContain("No module named 'tabulate'");
    expect(result.stderr).toContain("No module named 'tabulate'");
  });
});

describe('environment failures the user can act on', () => {
  /** The worker's variables without any TLS setting: uv must find the machine's CAs itself. */
  async function envWithoutTlsSettings() {
    const env = await pythonWorkerEnv(cleanup, tools);
    delete env.SSL_CERT_FILE;
    delete env.SSL_CERT_DIR;
    // A cold uv cache: the index is really contacted.
    return { ...env, UV_CACHE_DIR: await tempDir(cleanup, 'uv-cache') };
  }

  it("trusts the machine's certificate store when no TLS variable is set", async () => {
    const w = await startTestWorker(cleanup, await envWithoutTlsSettings());
    const yaml = pylzyYaml(tools.minor, ['tabulate==0.9.0']);
    const result = await run(w, 't-tls', pythonTaskDesc(PRINT_TABULATE, yaml));
    expect(result.finished, result.stderr).toEqual({ rc: 0, description: 'Success' });
    expect(result.stderr).toContain(INSTALLED_TABULATE);
  });

  it('honours SSL_CERT_FILE and says what to set when the index certificate is not trusted', async () => {
    const dir = await tempDir(cleanup, 'ca');
    const caFile = path.join(dir, 'other-ca.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=not-the-proxy',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        caFile,
      ],
      { stdio: 'ignore' },
    );
    const env = { ...(await envWithoutTlsSettings()), SSL_CERT_FILE: caFile, UV_HTTP_RETRIES: '0' };
    const w = await startTestWorker(cleanup, env);
    const yaml = pylzyYaml(tools.minor, ['tabulate==0.9.0']);
    const result = await run(w, 't-tls-bad', pythonTaskDesc('echo never ran', yaml));
    expect(result.finished?.rc).toBe(97);
    for (const text of [result.finished?.description, result.stderr]) {
      expect(text).toContain('the package index https://pypi.org/simple');
      expect(text).toContain('presented a TLS certificate the worker does not trust');
      expect(text).toContain('SSL_CERT_FILE or SSL_CERT_DIR');
    }
  });

  it('names the unreachable package index and the settings that reach another', async () => {
    const port = await closedPort();
    const index = `http://127.0.0.1:${port}/simple`;
    const env = await pythonWorkerEnv(cleanup, tools);
    const w = await startTestWorker(cleanup, {
      ...env,
      UV_DEFAULT_INDEX: index,
      UV_HTTP_RETRIES: '0',
    });
    const yaml = pylzyYaml(tools.minor, ['tabulate==0.9.0']);
    const result = await run(w, 't-no-index', pythonTaskDesc('echo never ran', yaml));
    expect(result.finished?.rc).toBe(97);
    for (const text of [result.finished?.description, result.stderr]) {
      expect(text).toContain(
        `the worker cannot reach the package index ${index} (fetching ${index}/tabulate/)`,
      );
      expect(text).toContain('set UV_DEFAULT_INDEX to a mirror it can reach, or HTTPS_PROXY');
      expect(text).toContain('Connection refused');
    }
  });

  it('names a pin that conflicts with what lzy’s start-up needs (protobuf>=3.20)', async () => {
    const w = await startTestWorker(cleanup, await pythonWorkerEnv(cleanup, tools));
    const init = [
      'import google.protobuf',
      'if tuple(int(p) for p in google.protobuf.__version__.split(".")[:2]) >= (3, 20):',
      '    raise TypeError("Descriptors cannot not be created directly.")',
    ].join('\n');
    const server = await moduleServer(cleanup, await lzyZips(init));
    const localModules = Object.entries(server.urls).map(([name, uri]) => ({ name, uri }));
    const yaml = pylzyYaml(tools.minor, ['protobuf==4.25.8']);
    const result = await run(w, 't-pb4', pythonTaskDesc(COMMAND, yaml, { localModules }));
    expect(result.finished?.rc).toBe(97);
    const advice =
      "protobuf 4.25.8 is installed (the op's libraries pin protobuf==4.25.8), but pylzy 1.0.1's " +
      'generated stubs need protobuf<3.20. Remove that pin or pin protobuf==3.19.6';
    for (const text of [result.finished?.description, result.stderr]) {
      expect(text).toContain('cannot import lzy.api.v1');
      expect(text).toContain(advice);
    }
  });
});

/** A loopback port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
