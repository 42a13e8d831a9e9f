import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateRsaKeyPair } from '@lzy/auth';
import {
  ensureLocalUser,
  startLocalSuite,
  startSuiteProcesses,
  testSuiteInfra,
} from '@lzy/local-suite';
import type { LocalSuite, SuiteInfra, SuiteProcesses } from '@lzy/local-suite';
import type { CleanupStack } from '@lzy/testing';
import type { ClientConfig } from '../src/index.ts';

/**
 * The whole local suite, every service as its own process (as in production), on the test run's
 * PostgreSQL and S3 (testSuiteInfra), a registered user `alice` and the client
 * config pointing at it.
 */
export async function startSdkSuite(
  cleanup: CleanupStack,
  options: SdkSuiteOptions = {},
): Promise<ClientConfig> {
  return (await startSdkSuiteProcesses(cleanup, options)).config;
}

export interface SdkSuiteOptions {
  prefix?: string;
  vmIdleTimeoutMs?: number;
  /** Extra variables of the allocator (its VMs get the non-LZY ones and its passthrough). */
  allocatorEnv?: Record<string, string>;
  /** Extra variables of lzy-service (e.g. LZY_METRICS_PORT=0 for the in-process suite). */
  lzyServiceEnv?: Record<string, string>;
}

/** startSdkSuite, also giving the suite's processes (to kill and restart them). */
export async function startSdkSuiteProcesses(
  cleanup: CleanupStack,
  options: SdkSuiteOptions = {},
): Promise<{ config: ClientConfig; suite: SuiteProcesses }> {
  const infra = await sdkSuiteInfra(cleanup, options);
  const suite = await startSuiteProcesses(infra);
  cleanup.push(suite);
  return { config: await clientConfigOf(cleanup, infra, suite), suite };
}

/** startSdkSuite with every service in this process (its metrics endpoints reachable). */
export async function startSdkLocalSuite(
  cleanup: CleanupStack,
  options: SdkSuiteOptions = {},
): Promise<{ config: ClientConfig; suite: LocalSuite }> {
  const infra = await sdkSuiteInfra(cleanup, options);
  const suite = cleanup.push(await startLocalSuite({ infra, randomPorts: true }));
  return { config: await clientConfigOf(cleanup, infra, suite), suite };
}

function sdkSuiteInfra(cleanup: CleanupStack, options: SdkSuiteOptions): Promise<SuiteInfra> {
  return testSuiteInfra(cleanup, {
    prefix: options.prefix ?? 'sdk',
    // Idle workers of finished workflows are reaped after 20 s instead of 10 min.
    extraEnv: {
      scheduler: { LZY_SCHEDULER_VM_IDLE_TIMEOUT_MS: String(options.vmIdleTimeoutMs ?? 20_000) },
      ...(options.allocatorEnv === undefined ? {} : { allocator: options.allocatorEnv }),
      ...(options.lzyServiceEnv === undefined ? {} : { 'lzy-service': options.lzyServiceEnv }),
    },
  });
}

/** Registers the user `alice` with a new key pair; the client config of `suite` for her. */
async function clientConfigOf(
  cleanup: CleanupStack,
  infra: SuiteInfra,
  suite: Pick<LocalSuite, 'addresses'>,
): Promise<ClientConfig> {
  const userKeys = await generateRsaKeyPair();
  await ensureLocalUser({
    iamAddress: suite.addresses.iam,
    internalPrivateKeyPem: infra.internalKeys.privateKeyPem,
    login: 'alice',
    publicKeyPem: userKeys.publicKeyPem,
    clock: { now: () => Date.now() },
  });
  const dir = await mkdtemp(join(tmpdir(), 'lzy-sdk-'));
  cleanup.defer(() => rm(dir, { recursive: true, force: true }));
  const keyPath = join(dir, 'user.pem');
  await writeFile(keyPath, userKeys.privateKeyPem, { mode: 0o600 });
  return {
    endpoint: suite.addresses['lzy-service'],
    whiteboardEndpoint: suite.addresses.whiteboard,
    user: 'alice',
    keyPath,
  };
}
