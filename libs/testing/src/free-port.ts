import { createServer } from 'node:net';

/**
 * Asks the kernel for a free TCP port on 127.0.0.1 and releases it. For servers that cannot
 * listen on port 0 themselves (PostgreSQL, versitygw); another process may grab the port before
 * the caller binds it, so callers retry a failed start on a new port.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') {
    throw new Error(`unexpected listen address ${String(address)}`);
  }
  return address.port;
}
