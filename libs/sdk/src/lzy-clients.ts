import { readFile } from 'node:fs/promises';
import { signLzyJwt } from '@lzy/auth';
import { createChannelClient, unaryCall } from '@lzy/grpc';
import type { CallParams, UnaryMethod } from '@lzy/grpc';
import {
  longrunning,
  lzyWhiteboardService,
  lzyWorkflowService,
  lzyWorkflowWatchService,
} from '@lzy/proto';
import type { ClientConfig } from './config.ts';
import { DEFAULT_RECONNECT, withReconnect } from './reconnect.ts';
import type { ReconnectPolicy } from './reconnect.ts';

/** Tokens live 7 days (pylzy's); the SDK re-signs hourly so a long workflow never sends a stale one. */
const TOKEN_REFRESH_MS = 60 * 60 * 1000;

/**
 * The public-API clients of one SDK session, authenticated as pylzy does: a PS256 JWT signed
 * with the user's key, `iss` = the user's login, `pvd` = GITHUB. close() releases the channels.
 * `call` makes a unary call that rides out a restart of LZY (see ReconnectPolicy).
 */
export class LzyClients {
  readonly workflows: lzyWorkflowService.LzyWorkflowServiceClient;
  /** WatchGraph, LZY-TS's push of graph status (not served by LZY itself nor older LZY-TS). */
  readonly watches: lzyWorkflowWatchService.LzyWorkflowWatchServiceClient;
  /**
   * Set once the server answered WatchGraph with UNIMPLEMENTED: the session's later graphs poll
   * GraphStatus at once instead of asking again.
   */
  watchGraphUnimplemented = false;
  readonly operations: longrunning.LongRunningServiceClient;
  readonly whiteboards: lzyWhiteboardService.LzyWhiteboardServiceClient;
  readonly reconnect: ReconnectPolicy;

  private constructor(config: ClientConfig, privateKeyPem: string, reconnect: ReconnectPolicy) {
    this.reconnect = reconnect;
    let token = { value: '', signedAtMs: -Infinity };
    const callCredentials = () => {
      const nowMs = Date.now();
      if (nowMs - token.signedAtMs > TOKEN_REFRESH_MS) {
        const value = signLzyJwt({ issuer: config.user, provider: 'GITHUB', privateKeyPem, nowMs });
        token = { value, signedAtMs: nowMs };
      }
      return Promise.resolve(token.value);
    };
    this.workflows = createChannelClient(
      lzyWorkflowService.LzyWorkflowServiceClient,
      config.endpoint,
      { callCredentials },
    );
    this.watches = createChannelClient(
      lzyWorkflowWatchService.LzyWorkflowWatchServiceClient,
      config.endpoint,
      { callCredentials },
    );
    this.operations = createChannelClient(longrunning.LongRunningServiceClient, config.endpoint, {
      callCredentials,
    });
    this.whiteboards = createChannelClient(
      lzyWhiteboardService.LzyWhiteboardServiceClient,
      config.whiteboardEndpoint,
      { callCredentials },
    );
  }

  /** Reads the user's key (config.keyPath) and creates the clients (no network I/O yet). */
  static async connect(
    config: ClientConfig,
    reconnect: ReconnectPolicy = DEFAULT_RECONNECT,
  ): Promise<LzyClients> {
    return new LzyClients(config, await readFile(config.keyPath, 'utf8'), reconnect);
  }

  /**
   * A unary call (as unaryCall), made again while LZY is unavailable (this.reconnect). Only for
   * calls that are safe to repeat: reads and the calls the service makes idempotent.
   */
  call<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, params?: CallParams): Promise<Res> {
    return withReconnect(this.reconnect, () => unaryCall(method, request, params), params?.signal);
  }

  close(): void {
    this.workflows.close();
    this.watches.close();
    this.operations.close();
    this.whiteboards.close();
  }
}
