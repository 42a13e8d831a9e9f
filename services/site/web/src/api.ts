import type { ApiErrorDto, SessionDto } from '../../src/api/types.ts';

let csrfToken = '';

/** Remembers the session's CSRF token; every change sends it. */
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

export class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** A JSON call to the site's API; throws ApiError with the server's message. */
export async function api<T>(
  path: string,
  init: { method?: 'GET' | 'POST' | 'DELETE'; body?: unknown } = {},
): Promise<T> {
  const method = init.method ?? 'GET';
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(method === 'GET' ? {} : { 'x-csrf-token': csrfToken }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  if (response.status === 204) return undefined as T;
  const body = (await response.json().catch(() => ({}))) as T | ApiErrorDto;
  if (!response.ok) {
    const message = (body as ApiErrorDto).error ?? `request failed (${response.status})`;
    throw new ApiError(response.status, message);
  }
  return body as T;
}

export async function loadSession(): Promise<SessionDto | undefined> {
  try {
    const session = await api<SessionDto>('/api/session');
    setCsrfToken(session.csrfToken);
    return session;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return undefined;
    throw err;
  }
}

/**
 * Follows a server event stream; `handlers` by event name get the parsed JSON. The browser
 * reconnects by itself; `onOpen` runs at every (re)connection so the page can reload what it may
 * have missed. Returns the close function.
 */
export function follow(
  url: string,
  handlers: Record<string, (data: unknown) => void>,
  onOpen?: () => void,
): () => void {
  const source = new EventSource(url, { withCredentials: true });
  for (const [event, handler] of Object.entries(handlers)) {
    source.addEventListener(event, (e) => handler(JSON.parse((e as MessageEvent<string>).data)));
  }
  if (onOpen !== undefined) source.addEventListener('open', onOpen);
  return () => source.close();
}
