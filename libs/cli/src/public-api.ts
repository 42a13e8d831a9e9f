import { readFile } from 'node:fs/promises';
import { signLzyJwt } from '@lzy/auth';
import { createChannelClient } from '@lzy/grpc';
import { lzyWhiteboardService, lzyWorkflowService } from '@lzy/proto';
import { CliError } from './cli-error.ts';
import type { CliIo } from './cli-io.ts';
import { loadClientConfig, resolveClientConfigPath } from './client-config.ts';
import type { ClientConfig } from './client-config.ts';

/** Clients of the public API as the user of a client config; close() when done. */
export interface PublicApi {
  workflows: lzyWorkflowService.LzyWorkflowServiceClient;
  whiteboards: lzyWhiteboardService.LzyWhiteboardServiceClient;
  close(): void;
}

/** Deadline of the CLI's unary calls: a healthy suite answers in milliseconds. */
export const UNARY_DEADLINE_MS = 30_000;

/**
 * Connects to the endpoints of `config`, each call carrying `authorization: Bearer <jwt>` signed
 * with the user's key as pylzy does it (public-api.md §4.1: `iss` = login, `pvd` = GITHUB).
 * @throws CliError when the key cannot be read or used.
 */
export async function connectPublicApi(
  config: ClientConfig,
  clock: { now(): number } = Date,
): Promise<PublicApi> {
  const privateKeyPem = await readPrivateKey(config.keyPath);
  // Signed once up front so a broken key fails here with its path, not inside a call.
  signToken(config, privateKeyPem, clock.now());
  const callCredentials = () => Promise.resolve(signToken(config, privateKeyPem, clock.now()));
  const workflows = createChannelClient(
    lzyWorkflowService.LzyWorkflowServiceClient,
    config.endpoint,
    { callCredentials },
  );
  const whiteboards = createChannelClient(
    lzyWhiteboardService.LzyWhiteboardServiceClient,
    config.whiteboardEndpoint,
    { callCredentials },
  );
  return {
    workflows,
    whiteboards,
    close: () => {
      workflows.close();
      whiteboards.close();
    },
  };
}

async function readPrivateKey(keyPath: string): Promise<string> {
  try {
    return await readFile(keyPath, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the private key ${keyPath}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function signToken(config: ClientConfig, privateKeyPem: string, nowMs: number): string {
  try {
    return signLzyJwt({ issuer: config.user, provider: 'GITHUB', privateKeyPem, nowMs });
  } catch (err) {
    throw new CliError(
      `cannot sign a token with the key ${config.keyPath}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/**
 * Resolves the client config of a command (`--config` flag value or the defaults, see
 * resolveClientConfigPath), reads it and connects.
 * @throws CliError for a missing or invalid config or key.
 */
export async function openPublicApi(
  configFlag: string | undefined,
  io: Pick<CliIo, 'env' | 'homeDir' | 'cwd'>,
): Promise<PublicApi> {
  const path = resolveClientConfigPath({ flag: configFlag, ...io });
  return connectPublicApi(await loadClientConfig(path));
}
