import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  AlreadyExists,
  DomainError,
  FailedPrecondition,
  InvalidArgument,
  NotFound,
  PermissionDenied,
  Unauthenticated,
  Unavailable,
} from '@lzy/errors';

/** Domain error → HTTP status, the one table of the site (like toGrpcStatus for gRPC). */
export function httpStatusOf(err: unknown): number {
  if (err instanceof InvalidArgument) return 400;
  if (err instanceof Unauthenticated) return 401;
  if (err instanceof PermissionDenied) return 403;
  if (err instanceof NotFound) return 404;
  if (err instanceof AlreadyExists || err instanceof FailedPrecondition) return 409;
  if (err instanceof Unavailable) return 503;
  return 500;
}

/** The message a user may see: the domain error's own, else a request id to quote. */
export function publicMessageOf(err: unknown, requestId: string): string {
  if (err instanceof DomainError && httpStatusOf(err) !== 500 && err.message !== '') {
    return err.message;
  }
  if (err instanceof PermissionDenied) return 'permission denied';
  return `internal error (request ${requestId})`;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'cache-control': 'no-store' });
  res.end();
}

export function redirect(res: ServerResponse, location: string, cookies: string[] = []): void {
  res.writeHead(303, { location, 'set-cookie': cookies, 'cache-control': 'no-store' });
  res.end();
}

const MAX_BODY_BYTES = 64 * 1024;

/** The request's JSON body (at most 64 KiB). @throws InvalidArgument */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new InvalidArgument('request body is too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new InvalidArgument('request body is not JSON');
  }
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index <= 0) continue;
    const name = part.slice(0, index).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(index + 1).trim());
  }
  return cookies;
}

export interface CookieOptions {
  maxAgeSeconds?: number;
  secure: boolean;
  path?: string;
}

/** An HttpOnly, SameSite=Lax cookie (Secure over https). `value` '' with maxAge 0 deletes it. */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${value}`, `Path=${options.path ?? '/'}`, 'HttpOnly', 'SameSite=Lax'];
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${options.maxAgeSeconds}`);
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

/** Headers every response carries: no framing, no sniffing, a strict content security policy. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; " +
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
};
