import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRsaKeyPair } from '@lzy/auth';
import { ensureLocalUser, startSuiteProcesses, testSuiteInfra } from '@lzy/local-suite';
import { CleanupStack, freePort } from '@lzy/testing';

/**
 * Our Python SDK end to end (python/tests, pytest): real ops on real workers of the whole local
 * suite, every service its own process, on the run's PostgreSQL and S3. pytest runs once in
 * beforeAll; each pytest case becomes one vitest case here (failure text printed on failure).
 */

const PYTHON_DIR = fileURLToPath(new URL('..', import.meta.url));
const PYTEST = ['-m', 'pytest', 'tests/unit', 'tests/e2e'];
const LOGIN = 'python-sdk';

/** The test venv made by scripts/setup-python.sh, or LZY_TEST_PYTHON. */
function testPython(): string {
  const python = process.env.LZY_TEST_PYTHON ?? join(PYTHON_DIR, '.venv', 'bin', 'python');
  if (!existsSync(python)) {
    throw new Error(
      `no test Python at ${python}: run scripts/setup-python.sh (or set LZY_TEST_PYTHON)`,
    );
  }
  return python;
}

const python = testPython();
const REPO_DIR = fileURLToPath(new URL('../..', import.meta.url));
/** Workers get uv and this venv's base interpreter explicitly (no discovery under a test HOME). */
const uvPath = execFileSync('bash', ['scripts/install-uv.sh'], {
  cwd: REPO_DIR,
  encoding: 'utf8',
}).trim();
const baseInterpreter = execFileSync(
  python,
  ['-c', 'import sys; print(sys._base_executable, f"{sys.version_info[0]}.{sys.version_info[1]}")'],
  { encoding: 'utf8' },
)
  .trim()
  .split(' ');
const caseIds = execFileSync(python, [...PYTEST, '--collect-only', '-q'], {
  cwd: PYTHON_DIR,
  encoding: 'utf8',
  env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  stdio: ['ignore', 'pipe', 'pipe'],
})
  .split('\n')
  .filter((line) => line.includes('::'));

/** TLS and proxy variables of this process that uv on the workers needs to reach the index. */
function installerNetworkEnv(): Record<string, string> {
  const names =
    /^(SSL_CERT_FILE|SSL_CERT_DIR|(HTTPS?|ALL|NO)_PROXY|(https?|all|no)_proxy|UV_[A-Z0-9_]+)$/;
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => names.test(entry[0]) && entry[1] !== undefined,
    ),
  );
}

interface CaseResult {
  outcome: 'passed' | 'failed' | 'skipped';
  text: string;
  seconds: number;
}

function unescapeXml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** pytest's JUnit XML → result per case id (`tests/dir/test_file.py::name`). */
function parseJunit(xml: string): Map<string, CaseResult> {
  const results = new Map<string, CaseResult>();
  const testcase = /<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const match of xml.matchAll(testcase)) {
    const attrs = match[1] ?? '';
    const body = match[2] ?? '';
    const attr = (name: string) =>
      unescapeXml(new RegExp(`\\b${name}="([^"]*)"`).exec(attrs)?.[1] ?? '');
    const id = `${attr('classname').replaceAll('.', '/')}.py::${attr('name')}`;
    const failure = /<(failure|error)\b[^>]*>([\s\S]*?)<\/\1>/.exec(body);
    const outcome = failure !== null ? 'failed' : /<skipped\b/.test(body) ? 'skipped' : 'passed';
    if (results.get(id)?.outcome === 'failed') continue; // a failing teardown repeats the case
    const text = failure === null ? '' : unescapeXml(failure[2] ?? '');
    results.set(id, { outcome, text, seconds: Number(attr('time')) });
  }
  return results;
}

function runPytest(env: NodeJS.ProcessEnv, junitPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      python,
      [...PYTEST, `--junitxml=${junitPath}`, '-q', '-rfE', '--durations=0'],
      {
        cwd: PYTHON_DIR,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(output));
  });
}

describe('Python SDK (pytest) against the local suite, every service its own process', () => {
  const cleanup = new CleanupStack();
  let results = new Map<string, CaseResult>();
  let pytestOutput = '';

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lzy-pysdk-'));
    cleanup.defer(() => rm(dir, { recursive: true, force: true }));
    // lzy-service's /metrics, read by the pytest cases that count the calls it handled (a
    // process does not announce its metrics port, so it is chosen here).
    const metricsPort = await freePort();
    const infra = await testSuiteInfra(cleanup, {
      prefix: 'pysdk',
      extraEnv: {
        scheduler: { LZY_SCHEDULER_VM_IDLE_TIMEOUT_MS: '20000' },
        'lzy-service': { LZY_METRICS_PORT: String(metricsPort) },
        // A fresh environment cache per run: the first pip install of a test really installs.
        allocator: {
          LZY_WORKER_ENV_CACHE_DIR: join(dir, 'py-envs'),
          LZY_WORKER_UV: uvPath,
          LZY_WORKER_PYTHONS: JSON.stringify({ [baseInterpreter[1] ?? '']: baseInterpreter[0] }),
          // Workers' uv reaches PyPI through the same TLS/proxy settings as this machine.
          ...installerNetworkEnv(),
          LZY_ALLOCATOR_LOCAL_VM_ENV_PASSTHROUGH:
            'LZY_LOG_LEVEL,LZY_WORKER_ENV_CACHE_DIR,LZY_WORKER_UV,LZY_WORKER_PYTHONS',
        },
      },
    });
    const suite = cleanup.push(await startSuiteProcesses(infra));
    const userKeys = await generateRsaKeyPair();
    await ensureLocalUser({
      iamAddress: suite.addresses.iam,
      internalPrivateKeyPem: infra.internalKeys.privateKeyPem,
      login: LOGIN,
      publicKeyPem: userKeys.publicKeyPem,
      clock: { now: () => Date.now() },
    });
    const keyPath = join(dir, 'user.pem');
    await writeFile(keyPath, userKeys.privateKeyPem, { mode: 0o600 });
    const junitPath = join(dir, 'junit.xml');
    pytestOutput = await runPytest(
      {
        ...process.env,
        PYTHONDONTWRITEBYTECODE: '1',
        LZY_ENDPOINT: suite.addresses['lzy-service'],
        LZY_WHITEBOARD_ENDPOINT: suite.addresses.whiteboard,
        LZY_USER: LOGIN,
        LZY_KEY_PATH: keyPath,
        LZY_HOME: join(dir, 'home'),
        FETCH_STATUS_PERIOD_SEC: '0.5',
        LZY_TEST_LZY_SERVICE_METRICS_URL: `http://127.0.0.1:${metricsPort}/metrics`,
      },
      junitPath,
    );
    results = existsSync(junitPath)
      ? parseJunit(await readFile(junitPath, 'utf8'))
      : new Map<string, CaseResult>();
    const timings = [...results].map(([id, r]) => `${r.seconds.toFixed(1).padStart(7)} s  ${id}`);
    console.info(`pytest case durations:\n${timings.join('\n')}`);
  }, 1_500_000);
  afterAll(() => cleanup.close(), 120_000);

  it('collects the pytest cases', () => {
    expect(caseIds.length).toBeGreaterThan(0);
  });

  it.each(caseIds)('%s', (id) => {
    const result = results.get(id);
    if (result === undefined) throw new Error(`${id} did not run:\n${pytestOutput}`);
    if (result.outcome === 'failed') throw new Error(result.text);
    expect(result.outcome).toBe('passed');
  });
});
