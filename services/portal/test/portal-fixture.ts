import { generateRsaKeyPair } from '@lzy/auth';
import type { RsaKeyPair } from '@lzy/auth';
import type { Client } from '@grpc/grpc-js';
import { LocalAuthenticator, createChannelClient, internalCallCredentials } from '@lzy/grpc';
import type { ClientConstructor } from '@lzy/grpc';
import { createLogger } from '@lzy/logging';
import type { Logger } from '@lzy/logging';
import { commonSlot, operations, portal, slots } from '@lzy/proto';
import { CleanupStack, s3Config } from '@lzy/testing';
import { loadPortalConfig } from '../src/config.ts';
import { startPortal } from '../src/service.ts';
import { ChannelManagerDouble } from './doubles/channel-manager-double.ts';
import { WorkerSlotsDouble } from './doubles/worker-slots-double.ts';

/**
 * A portal of user `alice` wired to a channel-manager double and a worker double, with internal
 * clients.
 */
export interface PortalFixture {
  channelManager: ChannelManagerDouble;
  worker: WorkerSlotsDouble;
  portal: portal.PortalServiceClient;
  slots: slots.SlotsServiceClient;
  operations: operations.OperationsServiceClient;
  /** The portal's `host:port`. */
  address: string;
  /**
   * A client signed as the VM `login`; a login `vm-<user>-<n>` is a VM working for `<user>`
   * (as iam would record it), any other `vm-…` login a VM of no recorded user.
   */
  asVm<C extends Client>(ctor: ClientConstructor<C>, login: string): C;
  cleanup: CleanupStack;
}

export const log: Logger = createLogger({ service: 'portal-test', level: 'silent' });
const clock = { now: () => Date.now() };

/** Snapshot part size of fixture portals: S3's minimum, so a few MiB make a multipart upload. */
export const FIXTURE_PART_BYTES = 5 * 1024 * 1024;

export async function startPortalFixture(
  options: { finishGraceMs?: number } = {},
): Promise<PortalFixture> {
  const cleanup = new CleanupStack();
  try {
    const [key, vmKey]: RsaKeyPair[] = await Promise.all([
      generateRsaKeyPair(),
      generateRsaKeyPair(),
    ]);
    const authenticator = new LocalAuthenticator({
      clock,
      findPublicKeys: (login, provider) => {
        if (provider !== 'INTERNAL') return Promise.resolve(undefined);
        if (login === 'lzy-internal')
          return Promise.resolve({
            subject: { id: 'lzy-internal', type: 'USER' },
            publicKeyPems: [key!.publicKeyPem],
          });
        if (!login.startsWith('vm-')) return Promise.resolve(undefined);
        const ownerUserId = /^vm-([a-z0-9]+)-\d+$/.exec(login)?.[1];
        return Promise.resolve({
          subject: { id: login, type: 'VM', ...(ownerUserId === undefined ? {} : { ownerUserId }) },
          publicKeyPems: [vmKey!.publicKeyPem],
        });
      },
    });
    const channelManager = cleanup.push(new ChannelManagerDouble());
    const cmAddress = await channelManager.start(log);
    const worker = cleanup.push(new WorkerSlotsDouble());
    await worker.start(log);
    const config = loadPortalConfig({
      LZY_PORT: '0',
      LZY_CHANNEL_MANAGER_ADDRESS: cmAddress,
      LZY_INTERNAL_PRIVATE_KEY: key!.privateKeyPem,
      LZY_S3_REGION: s3Config().region,
      LZY_FINISH_STD_GRACE_MS: String(options.finishGraceMs ?? 5000),
      LZY_VM_OWNER_USER_ID: 'alice', // the portal works for alice
      LZY_S3_PART_SIZE_BYTES: String(FIXTURE_PART_BYTES),
    });
    const running = cleanup.push(await startPortal(config, { log, authenticator, clock }));
    const address = `127.0.0.1:${running.port}`;
    const callCredentials = internalCallCredentials({ privateKeyPem: key!.privateKeyPem, clock });
    const client = <C extends Client>(ctor: ClientConstructor<C>): C => {
      const c = createChannelClient(ctor, address, { callCredentials });
      cleanup.defer(() => c.close());
      return c;
    };
    return {
      channelManager,
      worker,
      portal: client(portal.PortalServiceClient),
      slots: client(slots.SlotsServiceClient),
      operations: client(operations.OperationsServiceClient),
      address,
      asVm: <C extends Client>(ctor: ClientConstructor<C>, login: string): C => {
        const c = createChannelClient(ctor, address, {
          callCredentials: internalCallCredentials({
            privateKeyPem: vmKey!.privateKeyPem,
            issuer: login,
            clock,
          }),
          retry: false,
        });
        cleanup.defer(() => c.close());
        return c;
      },
      cleanup,
    };
  } catch (err) {
    await cleanup.close();
    throw err;
  }
}

/** A snapshot slot description with the run's S3 credentials. */
export function snapshotSlot(
  name: string,
  direction: 'INPUT' | 'OUTPUT',
  channelId: string,
  storageUri: string,
): portal.PortalSlotDesc {
  const s3 = s3Config();
  return {
    slot: {
      name,
      media: commonSlot.Slot_Media.FILE,
      direction: commonSlot.Slot_Direction[direction],
      contentType: undefined,
    },
    channelId,
    storageUri,
    kind: {
      $case: 'snapshot',
      value: {
        storageConfig: {
          uri: storageUri,
          credentials: {
            $case: 's3',
            value: {
              endpoint: s3.endpoint,
              accessToken: s3.accessKeyId,
              secretToken: s3.secretAccessKey,
            },
          },
        },
      },
    },
  };
}
