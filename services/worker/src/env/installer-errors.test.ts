import { describe, expect, it } from 'vitest';
import { describeInstallerFailure } from './installer-errors.ts';

// uv 0.13.9's last lines, as measured on this machine.
const REFUSED = [
  'error: Request failed after 3 retries in 11.4s',
  '  cause: Failed to fetch: `http://127.0.0.1:9/simple/tabulate/`',
  '  cause: error sending request for url (http://127.0.0.1:9/simple/tabulate/)',
  '  cause: client error (Connect)',
  '  cause: tcp connect error',
  '  cause: Connection refused (os error 111)',
].join('\n');
const UNTRUSTED = [
  'error: Request failed after 3 retries',
  '  cause: Failed to fetch: `https://pypi.org/simple/tabulate/`',
  '  cause: invalid peer certificate: UnknownIssuer',
].join('\n');

describe('describeInstallerFailure', () => {
  it('names the configured index and the URL it failed to fetch', () => {
    const message = describeInstallerFailure(
      { what: 'uv pip install', rc: 2, tail: REFUSED },
      { UV_DEFAULT_INDEX: 'http://127.0.0.1:9/simple' },
    );
    expect(message).toContain(
      'uv pip install failed: the worker cannot reach the package index http://127.0.0.1:9/simple (fetching http://127.0.0.1:9/simple/tabulate/)',
    );
    expect(message).toContain('UV_DEFAULT_INDEX');
    expect(message).toContain(REFUSED);
  });

  it('tells a certificate problem apart, with PyPI as the default index', () => {
    const message = describeInstallerFailure(
      { what: 'uv pip install', rc: 2, tail: UNTRUSTED },
      {},
    );
    expect(message).toContain('the package index https://pypi.org/simple');
    expect(message).toContain('presented a TLS certificate the worker does not trust');
  });

  it("keeps uv's own words for anything else", () => {
    const tail = '  ╰─▶ Because there is no version of tabulate==99.99.99 …\nNo solution found';
    expect(describeInstallerFailure({ what: 'uv pip install', rc: 1, tail }, {})).toBe(
      `uv pip install failed (exit code 1); uv's last lines:\n${tail}`,
    );
  });
});
