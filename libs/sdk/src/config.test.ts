import { describe, expect, it } from 'vitest';
import { loadClientConfig } from './config.ts';

describe('loadClientConfig', () => {
  it("takes every setting from pylzy's variables when no file exists", () => {
    const config = loadClientConfig({
      LZY_HOME: '/nonexistent-lzy-home',
      LZY_ENDPOINT: '127.0.0.1:8899',
      LZY_WHITEBOARD_ENDPOINT: '127.0.0.1:8122',
      LZY_USER: 'alice',
      LZY_KEY_PATH: '/keys/user.pem',
    });
    expect(config).toEqual({
      endpoint: '127.0.0.1:8899',
      whiteboardEndpoint: '127.0.0.1:8122',
      user: 'alice',
      keyPath: '/keys/user.pem',
    });
  });

  it('names every missing setting with its variable', () => {
    expect(() => loadClientConfig({ LZY_HOME: '/nonexistent-lzy-home', LZY_USER: 'a' })).toThrow(
      /endpoint \(LZY_ENDPOINT\), whiteboardEndpoint \(LZY_WHITEBOARD_ENDPOINT\), keyPath \(LZY_KEY_PATH\)/,
    );
  });
});
