import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateRsaKeyPair } from '@lzy/auth';
import { startSuiteProcesses, suiteServiceEnv, testSuiteInfra } from '@lzy/local-suite';
import { createLogger } from '@lzy/logging';
import { workflow } from '@lzy/sdk';
import type { ClientConfig, StdSink } from '@lzy/sdk';
import { CleanupStack } from '@lzy/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSiteConfig, startSite } from '../src/index.ts';
import type { RunningSite } from '../src/index.ts';
import { launchChromium, newContext, screenshot, seriousAxeViolations } from './browser.ts';
import { failing, gatedSquare, sum } from './fixtures/site-ops.ts';
import { ensureWebBuilt } from './web-build.ts';

const quiet: StdSink = { stdout: () => undefined, stderr: () => undefined };
/** Generous: the whole test run shares two cores (a sign-in makes an RSA key, a graph spawns VMs). */
const TIMEOUT_MS = 60_000;
const poll = { timeout: TIMEOUT_MS };

/**
 * The site against a real local suite (every service its own process, real PostgreSQL and S3)
 * in a real headless Chromium: alice (an operator) and bob, each in a browser profile of their
 * own. Tests run in order and share the suite; each page is saved to test-artifacts/.
 */
describe('the site in a browser', () => {
  const cleanup = new CleanupStack();
  let site: RunningSite;
  let browser: Browser;
  let aliceContext: BrowserContext;
  let alice: Page;
  let dir: string;
  let clientFor: (keyPath: string) => ClientConfig;
  let run: Promise<string> | undefined;
  let executionId = '';
  const gate = () => join(dir, 'gate');

  beforeAll(async () => {
    await ensureWebBuilt();
    const infra = await testSuiteInfra(cleanup, {
      prefix: 'site_e2e',
      extraEnv: { scheduler: { LZY_SCHEDULER_VM_IDLE_TIMEOUT_MS: '20000' } },
    });
    const suite = await startSuiteProcesses(infra);
    cleanup.push(suite);
    site = await startSite(
      loadSiteConfig({
        ...suiteServiceEnv('site', infra, suite.addresses, 0),
        LZY_LOG_LEVEL: 'silent',
        LZY_SITE_ADMIN_LOGINS: 'alice',
        LZY_SITE_AUTH_CACHE_MS: '0',
      }),
      { log: createLogger({ service: 'site', level: 'silent' }) },
    );
    cleanup.push(site);
    dir = await mkdtemp(join(tmpdir(), 'lzy-site-e2e-'));
    cleanup.defer(() => rm(dir, { recursive: true, force: true }));
    clientFor = (keyPath) => ({
      endpoint: suite.addresses['lzy-service'],
      whiteboardEndpoint: suite.addresses.whiteboard,
      user: 'alice',
      keyPath,
    });
    browser = await launchChromium();
    cleanup.defer(() => browser.close());
    aliceContext = await newContext(browser);
    alice = await aliceContext.newPage();
  });

  afterAll(async () => {
    await writeFile(gate(), '').catch(() => undefined); // never leave an op waiting
    await run?.catch(() => undefined);
    await cleanup.close();
  });

  it('signs in with a one-time login link, which works only once', async () => {
    const link = await site.loginLink('alice');
    await alice.goto(link);
    await expect.poll(() => alice.getByText('Signed in as').textContent(), poll).toContain('alice');
    await alice.getByRole('heading', { name: 'Executions' }).waitFor();
    const other = await newContext(browser);
    const page = await other.newPage();
    await page.goto(link);
    await page.getByRole('heading', { name: 'Sign in to LZY' }).waitFor();
    await expect.poll(() => page.getByRole('alert').textContent(), poll).toContain('already used');
    await screenshot(page, 'login');
    await other.close();
  });

  it('adds a pasted public key and a key pair made in the browser, and removes a key', async () => {
    await alice.getByRole('link', { name: 'Keys' }).click();
    await alice.getByRole('heading', { name: 'Keys' }).waitFor();
    const pasted = await generateRsaKeyPair();
    await alice.getByLabel('Name').fill('laptop');
    await alice.getByLabel('Public key (PEM)').fill(pasted.publicKeyPem);
    await alice.getByRole('button', { name: 'Add public key' }).click();
    await alice.getByRole('cell', { name: 'laptop', exact: true }).waitFor();

    await alice.getByLabel('Name').fill('browser');
    const downloading = alice.waitForEvent('download');
    await alice.getByRole('button', { name: 'Generate a key pair in this browser' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe('browser.pem');
    const keyPath = join(dir, 'browser.pem');
    await download.saveAs(keyPath);
    expect(await readFile(keyPath, 'utf8')).toContain('BEGIN PRIVATE KEY');
    await alice.getByRole('cell', { name: 'browser', exact: true }).waitFor();
    await screenshot(alice, 'keys');

    await alice.getByRole('button', { name: 'Remove key laptop' }).click();
    await alice.getByRole('cell', { name: 'laptop', exact: true }).waitFor({ state: 'detached' });
    // The key made in the browser is the one the SDK signs with below.
    clientFor = (
      (make) => () =>
        make(keyPath)
    )(clientFor);
  });

  it('shows a new execution without a reload, and its graph going from waiting to done', async () => {
    await alice.getByRole('link', { name: 'Executions' }).click();
    await alice.getByRole('heading', { name: 'Executions' }).waitFor();
    await alice.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
    const config = clientFor('');
    run = workflow(
      'site-e2e',
      async (wf) => {
        const total = sum(gatedSquare(2, gate()), gatedSquare(3, gate()));
        wf.whiteboard('site-e2e-board', { tags: ['e2e', 'site'] }).set('total', total);
        expect(await total).toBe(13);
        return wf.executionId;
      },
      { config, std: quiet },
    );
    const row = alice.getByRole('row').filter({ hasText: 'site-e2e' });
    await row.waitFor({ timeout: TIMEOUT_MS });
    await row.getByRole('link', { name: 'site-e2e' }).click();
    executionId = decodeURIComponent(new URL(alice.url()).pathname.split('/').pop() ?? '');
    await alice.locator('.op-node').first().waitFor({ timeout: TIMEOUT_MS });
    await expect.poll(() => alice.locator('.op-node').count(), poll).toBe(3);
    // The squares wait at the gate: scheduled (queued, allocating or running), sum waiting.
    await alice.locator('.op-node.op-executing').nth(1).waitFor({ timeout: TIMEOUT_MS });
    await expect(alice.locator('.op-node.op-waiting').count()).resolves.toBe(1);
    await screenshot(alice, 'execution-running');
  });

  it("streams a running op's log live", async () => {
    await alice.locator('.op-node.op-executing').first().click();
    const log = alice.getByRole('log', { name: 'Op output' });
    await expect
      .poll(() => log.textContent(), { timeout: TIMEOUT_MS })
      .toMatch(/square of \d is waiting/);
    const panel = alice.getByRole('complementary');
    await expect.poll(() => panel.textContent(), poll).toContain('s3://');
    await writeFile(gate(), '');
    await expect.poll(() => log.textContent(), poll).toMatch(/released/);
    await expect
      .poll(() => alice.locator('.op-node.op-succeeded').count(), { timeout: TIMEOUT_MS })
      .toBe(3);
    expect(await alice.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(
      42,
    );
    expect(await panel.textContent()).toMatch(/Exit code\s*0/);
    await screenshot(alice, 'execution-done');
    expect(await run).toBe(executionId);
  });

  it("finds the workflow's whiteboard by tag and shows its fields", async () => {
    await alice.getByRole('link', { name: 'Whiteboards' }).click();
    await alice.getByLabel('Tags (all of, comma-separated)').fill('e2e, site');
    await alice.getByRole('button', { name: 'Search' }).click();
    await alice.getByRole('link', { name: 'site-e2e-board' }).click();
    await alice.getByRole('heading', { name: /site-e2e-board/ }).waitFor();
    await alice.getByRole('cell', { name: 'total', exact: true }).waitFor();
    await expect.poll(() => alice.locator('main').textContent(), poll).toContain('finalized');
    await screenshot(alice, 'whiteboard');
    await alice.getByRole('link', { name: 'Whiteboards' }).first().click();
    await screenshot(alice, 'whiteboards');
  });

  it("does not show one user's execution to another", async () => {
    const bobContext = await newContext(browser);
    cleanup.defer(() => bobContext.close());
    const bob = await bobContext.newPage();
    await bob.goto(await site.loginLink('bob'));
    await bob.getByText('No executions yet').waitFor();
    expect(await bob.locator('main').textContent()).not.toContain('site-e2e');
    const status = await bob.evaluate(
      async (id) => (await fetch(`/api/executions/${encodeURIComponent(id)}`)).status,
      executionId,
    );
    expect(status).toBe(404);
    await bob.goto(`${site.url}/executions/${encodeURIComponent(executionId)}`);
    await bob.getByRole('alert').waitFor();
    expect(await bob.getByRole('link', { name: 'Operators' }).count()).toBe(0);
    expect(await bob.evaluate(async () => (await fetch('/api/admin/overview')).status)).toBe(403);
  });

  it('shows operators their pools, users and recent failures', async () => {
    const config = clientFor('');
    await expect(
      workflow('site-e2e-failing', async () => await failing(), { config, std: quiet }),
    ).rejects.toThrow(/fails on purpose/);
    await alice.getByRole('link', { name: 'Operators' }).click();
    await alice.getByRole('heading', { name: 'Pools' }).waitFor();
    await alice.getByRole('cell', { name: 'portals' }).waitFor();
    await alice.getByRole('cell', { name: 'bob', exact: true }).waitFor();
    await alice.getByRole('link', { name: 'site-e2e-failing' }).waitFor();
    await screenshot(alice, 'operators');
  });

  it('has no serious accessibility violations on any page', async () => {
    const pages: Array<[string, string]> = [
      ['executions', '/'],
      ['execution', `/executions/${encodeURIComponent(executionId)}`],
      ['keys', '/keys'],
      ['whiteboards', '/whiteboards'],
      ['operators', '/admin'],
    ];
    const found: string[] = [];
    for (const [name, path] of pages) {
      await alice.goto(`${site.url}${path}`);
      await alice.locator('main h1').first().waitFor();
      if (name === 'execution') await alice.locator('.op-node').first().waitFor();
      if (name === 'executions')
        await alice.getByRole('link', { name: 'site-e2e', exact: true }).waitFor();
      if (name === 'keys')
        await alice.getByRole('cell', { name: 'browser', exact: true }).waitFor();
      if (name === 'whiteboards')
        await alice.getByRole('link', { name: 'site-e2e-board' }).waitFor();
      if (name === 'operators') await alice.getByRole('cell', { name: 'portals' }).waitFor();
      await screenshot(alice, `page-${name}`);
      found.push(...(await seriousAxeViolations(alice)).map((v) => `${name}: ${v}`));
    }
    const anonymous = await (await newContext(browser)).newPage();
    await anonymous.goto(`${site.url}/`);
    await anonymous.getByRole('heading', { name: 'Sign in to LZY' }).waitFor();
    found.push(...(await seriousAxeViolations(anonymous)).map((v) => `login: ${v}`));
    expect(found).toEqual([]);
  });

  it('signs out, after which the session is refused', async () => {
    await alice.goto(`${site.url}/`);
    await alice.getByRole('button', { name: 'Sign out' }).click();
    await alice.getByRole('heading', { name: 'Sign in to LZY' }).waitFor();
    expect(await alice.evaluate(async () => (await fetch('/api/session')).status)).toBe(401);
  });
});
