import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRsaKeyPair } from '@lzy/auth';
import { ensureLocalUser, startSuiteProcesses, testSuiteInfra } from '@lzy/local-suite';
import { CleanupStack } from '@lzy/testing';

/**
 * pylzy 1.0.1 protocol tests (python/tests/protocol, pytest): a Python client generated from our
 * proto/ by grpcio-tools makes the LZY client's exact calls (python-client-protocol.md §2.2)
 * against the whole local suite, every service its own process, on the run's PostgreSQL and S3.
 * pytest runs once in beforeAll; each pytest case becomes one vitest case here.
 */

const PYTHON_DIR = fileURLToPath(new URL('..', import.meta.url));
const PYTEST = ['-m', 'pytest', '-c', 'tests/protocol/pytest.ini', 'tests/protocol'];
const LOGIN = 'pylzy-protocol';
/** A second login with the same key that never runs a workflow (GetStorageCredentials, §2.3). */
const FRESH_LOGIN = 'pylzy-protocol-fresh';

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
const caseIds = execFileSync(python, [...PYTEST, '--collect-only', '-q'], {
  cwd: PYTHON_DIR,
  encoding: 'utf8',
  env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  stdio: ['ignore', 'pipe', 'pipe'],
})
  .split('\n')
  .filter((line) => line.includes('::'));

interface CaseResult {
  outcome: 'passed' | 'failed' | 'skipped';
  text: string;
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

/** pytest's JUnit XML → result per case id (`test_file.py::name[param]`). */
function parseJunit(xml: string): Map<string, CaseResult> {
  const results = new Map<string, CaseResult>();
  const testcase = /<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const match of xml.matchAll(testcase)) {
    const attrs = match[1] ?? '';
    const body = match[2] ?? '';
    const attr = (name: string) =>
      unescapeXml(new RegExp(`\\b${name}="([^"]*)"`).exec(attrs)?.[1] ?? '');
    const module = attr('classname').split('.').pop() ?? '';
    const id = `${module}.py::${attr('name')}`;
    const failure = /<(failure|error)\b[^>]*>([\s\S]*?)<\/\1>/.exec(body);
    const outcome = failure !== null ? 'failed' : /<skipped\b/.test(body) ? 'skipped' : 'passed';
    const previous = results.get(id);
    // A failing teardown adds a second <testcase> entry with the same name: keep the worst.
    if (previous?.outcome === 'failed') continue;
    results.set(id, { outcome, text: failure === null ? '' : unescapeXml(failure[2] ?? '') });
  }
  return results;
}

function runPytest(env: NodeJS.ProcessEnv, junitPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [...PYTEST, `--junitxml=${junitPath}`, '-q', '-rfE'], {
      cwd: PYTHON_DIR,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(output));
  });
}

describe('pylzy 1.0.1 protocol (pytest, generated stubs, every service its own process)', () => {
  const cleanup = new CleanupStack();
  let results = new Map<string, CaseResult>();
  let pytestOutput = '';

  beforeAll(async () => {
    const infra = await testSuiteInfra(cleanup, {
      prefix: 'pyproto',
      extraEnv: {
        scheduler: { LZY_SCHEDULER_VM_IDLE_TIMEOUT_MS: '20000' },
        // Service processes get only PATH + their LZY_* variables; worker VMs inherit the
        // allocator's non-LZY variables, and need HOME to find uv and the pyenv interpreters.
        allocator: { HOME: homedir() },
      },
    });
    const suite = cleanup.push(await startSuiteProcesses(infra));
    const userKeys = await generateRsaKeyPair();
    for (const login of [LOGIN, FRESH_LOGIN]) {
      await ensureLocalUser({
        iamAddress: suite.addresses.iam,
        internalPrivateKeyPem: infra.internalKeys.privateKeyPem,
        login,
        publicKeyPem: userKeys.publicKeyPem,
        clock: { now: () => Date.now() },
      });
    }
    const dir = await mkdtemp(join(tmpdir(), 'lzy-pyproto-'));
    cleanup.defer(() => rm(dir, { recursive: true, force: true }));
    const keyPath = join(dir, 'user.pem');
    await writeFile(keyPath, userKeys.privateKeyPem, { mode: 0o600 });
    const junitPath = join(dir, 'junit.xml');
    pytestOutput = await runPytest(
      {
        ...process.env,
        LZY_ENDPOINT: suite.addresses['lzy-service'],
        LZY_WHITEBOARD_ENDPOINT: suite.addresses.whiteboard,
        LZY_USER: LOGIN,
        LZY_TEST_FRESH_USER: FRESH_LOGIN,
        LZY_KEY_PATH: keyPath,
        FETCH_STATUS_PERIOD_SEC: '0.5',
        PYTHONDONTWRITEBYTECODE: '1',
      },
      junitPath,
    );
    results = existsSync(junitPath)
      ? parseJunit(await readFile(junitPath, 'utf8'))
      : new Map<string, CaseResult>();
  }, 20 * 60_000);

  afterAll(() => cleanup.close(), 120_000);

  it('collects the protocol cases', () => {
    expect(caseIds.length).toBeGreaterThan(10);
  });

  it.each(caseIds)('%s', (id) => {
    const result = results.get(id);
    if (result === undefined) {
      throw new Error(`pytest reported nothing for ${id}:\n${pytestOutput.slice(-4000)}`);
    }
    if (result.outcome === 'failed') throw new Error(result.text);
    expect(result.outcome).toBe('passed');
  });
});
