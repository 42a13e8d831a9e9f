import { describe, expect, it } from 'vitest';
import { loadSiteConfig } from './config.ts';

describe('site config', () => {
  it('wants the GitHub client id and secret together', () => {
    expect(() => loadSiteConfig({ LZY_SITE_GITHUB_CLIENT_ID: 'id' })).toThrow(
      /LZY_SITE_GITHUB_CLIENT_SECRET/,
    );
    const config = loadSiteConfig({
      LZY_SITE_GITHUB_CLIENT_ID: 'id',
      LZY_SITE_GITHUB_CLIENT_SECRET: 'secret',
      LZY_SITE_PUBLIC_URL: 'https://lzy.example.com/',
      LZY_SITE_ADMIN_LOGINS: 'alice, bob',
    });
    expect(config.github?.webUrl).toBe('https://github.com');
    expect(config.publicUrl).toBe('https://lzy.example.com');
    expect(config.adminLogins).toEqual(['alice', 'bob']);
  });

  it('refuses a short session secret', () => {
    expect(() => loadSiteConfig({ LZY_SITE_SESSION_SECRET: 'short' })).toThrow(
      /LZY_SITE_SESSION_SECRET/,
    );
  });
});
