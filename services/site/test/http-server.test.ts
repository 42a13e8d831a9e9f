import { createLogger } from '@lzy/logging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSiteConfig, startSite } from '../src/index.ts';
import type { RunningSite } from '../src/index.ts';

describe('site web pages', () => {
  let site: RunningSite;
  const base = () => `http://127.0.0.1:${site.httpPort}`;

  beforeAll(async () => {
    const config = loadSiteConfig({
      LZY_PORT: '0',
      LZY_SITE_HTTP_PORT: '0',
      LZY_SITE_README_URL: 'https://example.org/lzy-ts#readme',
    });
    site = await startSite(config, { log: createLogger({ service: 'site', level: 'silent' }) });
  });
  afterAll(async () => {
    await site?.stop();
  });

  it('serves the placeholder page at / with a link to the README', async () => {
    const response = await fetch(`${base()}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const body = await response.text();
    expect(body).toContain('LZY-TS backoffice — coming soon');
    expect(body).toContain('href="https://example.org/lzy-ts#readme"');
  });

  it('answers /healthz with 200 and unknown paths with 404', async () => {
    expect((await fetch(`${base()}/healthz`)).status).toBe(200);
    expect((await fetch(`${base()}/nothing-here`)).status).toBe(404);
  });
});
