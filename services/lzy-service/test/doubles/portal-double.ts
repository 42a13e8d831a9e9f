import { randomUUID } from 'node:crypto';
import { FailedPrecondition } from '@lzy/errors';
import { implement, startGrpcServer } from '@lzy/grpc';
import type { GrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { packAny, portal, operations } from '@lzy/proto';
import { Feed } from './feed.ts';

/** Test double of one portal (our PortalService + OperationsService), on its own port. */
export class PortalDouble {
  readonly openedSlots: portal.PortalSlotDesc[] = [];
  readonly slotStatuses = new Feed<portal.PortalSlotStatus>();
  readonly std = new Feed<portal.ReadStdResponse>();
  finished = false;
  stopped = false;
  /** OpenSlots calls to refuse with FAILED_PRECONDITION (as a portal refusing a used output). */
  failOpenSlots = 0;
  /** Awaited by OpenSlots before it answers (e.g. until the graph reached graph-executor). */
  beforeOpenSlots: (() => Promise<void>) | undefined;
  #server: GrpcServer | undefined;

  get address(): string {
    return `127.0.0.1:${this.#server?.port ?? 0}`;
  }

  async start(log: Logger): Promise<void> {
    const unimplemented = 'unimplemented' as const;
    this.#server = await startGrpcServer({
      name: 'portal-double',
      port: 0,
      log,
      services: [
        implement(
          portal.PortalServiceService,
          {
            openSlots: async (request) => {
              await this.beforeOpenSlots?.();
              if (this.failOpenSlots > 0) {
                this.failOpenSlots -= 1;
                throw new FailedPrecondition(
                  `${request.slots[0]?.storageUri ?? ''} already exists: snapshots are write-once`,
                );
              }
              this.openedSlots.push(...request.slots);
              return {};
            },
            getSlotsStatus: unimplemented,
            watchSlots: async (request, ctx, send) => {
              const pending = new Set(request.slotNames);
              for await (const status of this.slotStatuses.follow(ctx.signal)) {
                if (!pending.has(status.slotName)) continue;
                await send({ slot: status });
                const terminal = [
                  portal.SnapshotStatus.SNAPSHOT_STATUS_SYNCED,
                  portal.SnapshotStatus.SNAPSHOT_STATUS_FAILED,
                ] as number[];
                if (terminal.includes(status.snapshotStatus)) pending.delete(status.slotName);
                if (pending.size === 0) return;
              }
            },
            finish: () => {
              this.finished = true;
              this.std.close();
              const now = new Date();
              return Promise.resolve({
                id: randomUUID(),
                description: 'finish',
                createdAt: now,
                createdBy: 'lzy-internal',
                modifiedAt: now,
                done: true,
                metadata: undefined,
                result: { $case: 'response', value: packAny(portal.FinishResponse, {}) },
              });
            },
            stop: () => {
              this.stopped = true;
              this.std.close();
              return Promise.resolve({});
            },
            readStd: async (request, ctx, send) => {
              for await (const chunk of this.std.follow(ctx.signal)) {
                if (chunk.seq >= request.fromSeq) await send(chunk);
              }
            },
            writeStd: unimplemented,
          },
          { auth: 'none' },
        ),
        implement(
          operations.OperationsServiceService,
          { watchOperation: unimplemented },
          { auth: 'none' },
        ),
      ],
    });
  }

  /** Reports a snapshot slot's state as the real portal would on WatchSlots. */
  report(slotName: string, snapshotStatus: portal.SnapshotStatus, description = ''): void {
    this.slotStatuses.push({ slotName, state: 0, snapshotStatus, description });
  }

  writeLine(stream: 'stdout' | 'stderr', data: string): void {
    this.std.push({
      seq: this.std.items.length,
      taskId: 't',
      stream:
        stream === 'stdout'
          ? portal.StdStream.STD_STREAM_STDOUT
          : portal.StdStream.STD_STREAM_STDERR,
      data,
    });
  }

  async stop(): Promise<void> {
    await this.#server?.stop();
  }
}
