import type { ChannelClientOptions } from '@lzy/grpc';
import { createChannelClient } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { portal } from '@lzy/proto';
import type { UserNoticePort } from '../domain/ports.ts';

/** Portals kept connected at once; the oldest is closed beyond this. */
const MAX_CLIENTS = 32;

/** UserNoticePort over the portal's client-streaming WriteStd: one short call per line. */
export class PortalNotices implements UserNoticePort {
  readonly #options: ChannelClientOptions;
  readonly #log: Logger;
  readonly #clients = new Map<string, portal.PortalServiceClient>();

  constructor(deps: { options: ChannelClientOptions; log: Logger }) {
    this.#options = deps.options;
    this.#log = deps.log.child({ component: 'portal-notices' });
  }

  stderrLine(portalAddress: string, taskId: string, line: string): void {
    if (portalAddress === '') return;
    const call = this.#client(portalAddress).writeStd((err) => {
      if (err !== null)
        this.#log.debug({ portalAddress, taskId, code: err.code }, 'notice not delivered');
    });
    call.write({
      taskId,
      stream: portal.StdStream.STD_STREAM_STDERR,
      data: Buffer.from(line.endsWith('\n') ? line : `${line}\n`),
    });
    call.end();
  }

  close(): void {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }

  #client(address: string): portal.PortalServiceClient {
    let client = this.#clients.get(address);
    if (client !== undefined) {
      this.#clients.delete(address); // re-inserted last: most recently used
    } else {
      // No retries: a client stream is not replayable.
      client = createChannelClient(portal.PortalServiceClient, address, {
        ...this.#options,
        retry: false,
      });
    }
    this.#clients.set(address, client);
    if (this.#clients.size > MAX_CLIENTS) {
      const [oldest, old] = this.#clients.entries().next().value as [
        string,
        portal.PortalServiceClient,
      ];
      this.#clients.delete(oldest);
      old.close();
    }
    return client;
  }
}
