import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateRsaKeyPair } from '@lzy/auth';
import { ensureLocalUser, startSuiteProcesses, testSuiteInfra } from '@lzy/local-suite';
import type { SuiteProcesses } from '@lzy/local-suite';
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
}

/** startSdkSuite, also giving the suite's processes (to kill and restart them). */
export async function startSdkSuiteProcesses(
  cleanup: CleanupStack,
  options: SdkSuiteOptions = {},
): Promise<{ config: ClientConfig; suite: SuiteProcesses }> {
  const infra = await testSuiteInfra(cleanup, {
    prefix: options.prefix ?? 'sdk',
    // Idle workers of finished workflows are reaped after 20 s instead of 10 min.
    extraEnv: {
      scheduler: { LZY_SCHEDULER_VM_IDLE_TIMEOUT_MS: String(options.vmIdleTimeoutMs ?? 20_000) },
      ...(options.allocatorEnv === undefined ? {} : { allocator: options.allocatorEnv }),
    },
  });
  const suite = await startSuiteProcesses(infra);
  cleanup.push(suite);
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
  const config: ClientConfig = {
    endpoint: suite.addresses['lzy-service'],
    whiteboardEndpoint: suite.addresses.whiteboard,
    user: 'alice',
    keyPath,
  };
  return { config, suite };
}
