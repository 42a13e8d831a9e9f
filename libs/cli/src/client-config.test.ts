import { describe, expect, it } from 'vitest';
import { CliError } from './cli-error.ts';
import { parseClientConfig, resolveClientConfigPath } from './client-config.ts';

describe('resolveClientConfigPath', () => {
  const base = { homeDir: '/home/alice', cwd: '/work' };

  it('prefers --config, then LZY_CLIENT_CONFIG, then $LZY_HOME, then ~/.lzy', () => {
    const env = { LZY_CLIENT_CONFIG: '/etc/lzy.json', LZY_HOME: '/srv/lzy' };
    expect(resolveClientConfigPath({ ...base, flag: 'mine.json', env })).toBe('/work/mine.json');
    expect(resolveClientConfigPath({ ...base, flag: undefined, env })).toBe('/etc/lzy.json');
    expect(
      resolveClientConfigPath({ ...base, flag: undefined, env: { LZY_HOME: '/srv/lzy' } }),
    ).toBe('/srv/lzy/client.json');
    expect(resolveClientConfigPath({ ...base, flag: undefined, env: {} })).toBe(
      '/home/alice/.lzy/client.json',
    );
  });

  it('ignores empty variables', () => {
    expect(
      resolveClientConfigPath({ ...base, flag: '', env: { LZY_CLIENT_CONFIG: '', LZY_HOME: '' } }),
    ).toBe('/home/alice/.lzy/client.json');
  });
});

describe('parseClientConfig', () => {
  const valid = {
    endpoint: '127.0.0.1:8899',
    whiteboardEndpoint: '127.0.0.1:8122',
    user: 'alice',
    keyPath: 'keys/user.pem',
  };

  it('reads the fields and resolves keyPath next to the file', () => {
    expect(parseClientConfig('/home/alice/.lzy/client.json', JSON.stringify(valid))).toEqual({
      ...valid,
      keyPath: '/home/alice/.lzy/keys/user.pem',
    });
  });

  it('names the file and the bad fields', () => {
    const text = JSON.stringify({ ...valid, user: '', keyPath: undefined });
    expect(() => parseClientConfig('/c.json', text)).toThrow(
      new CliError('client config /c.json is invalid: expected non-empty strings user, keyPath'),
    );
  });

  it('says when the file is not JSON', () => {
    expect(() => parseClientConfig('/c.json', '{oops')).toThrow(
      /client config \/c.json is not JSON/,
    );
  });
});
