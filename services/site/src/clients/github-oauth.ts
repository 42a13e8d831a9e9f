import { PermissionDenied, Unavailable } from '@lzy/errors';
import type { GithubOAuthConfig } from '../config.ts';

/**
 * GitHub's OAuth web flow (as LZY's site did): the browser goes to /login/oauth/authorize, comes
 * back with a code, the site exchanges it for a token and reads the login from /user. Only the
 * login is kept; the GitHub token is dropped at once.
 */
export class GithubOAuth {
  readonly #config: GithubOAuthConfig;

  constructor(config: GithubOAuthConfig) {
    this.#config = config;
  }

  authorizeUrl(state: string, redirectUri: string): string {
    const url = new URL(`${this.#config.webUrl}/login/oauth/authorize`);
    url.searchParams.set('client_id', this.#config.clientId);
    url.searchParams.set('redirect_uri', redirectUri);
    url.searchParams.set('state', state);
    url.searchParams.set('scope', 'read:user');
    url.searchParams.set('allow_signup', 'false');
    return url.toString();
  }

  /**
   * The GitHub login that authorised `code`.
   * @throws PermissionDenied when GitHub refuses the code; Unavailable when it cannot be reached
   */
  async loginOf(code: string, redirectUri: string): Promise<string> {
    const tokenResponse = await this.#fetch(`${this.#config.webUrl}/login/oauth/access_token`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: this.#config.clientId,
        client_secret: this.#config.clientSecret,
        code,
        redirect_uri: redirectUri,
      }),
    });
    const token = (tokenResponse as { access_token?: unknown }).access_token;
    if (typeof token !== 'string' || token === '') {
      throw new PermissionDenied('GitHub did not accept the sign-in; try again');
    }
    const user = await this.#fetch(`${this.#config.apiUrl}/user`, {
      headers: { accept: 'application/vnd.github+json', authorization: `Bearer ${token}` },
    });
    const login = (user as { login?: unknown }).login;
    if (typeof login !== 'string' || login === '') {
      throw new PermissionDenied('GitHub did not say who signed in');
    }
    return login;
  }

  async #fetch(url: string, init: RequestInit): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      throw new Unavailable('GitHub cannot be reached; try again later', { cause: err });
    }
    if (!response.ok) {
      throw new PermissionDenied(`GitHub answered ${response.status}; try signing in again`);
    }
    return await response.json();
  }
}
