import { hkdfSync } from 'node:crypto';
import type { Env } from '@lzy/config';

/** The services the suite starts itself; worker and portal run as VMs started by the allocator. */
export const SUITE_SERVICES = [
  'iam',
  'storage',
  'channel-manager',
  'allocator',
  'scheduler',
  'graph-executor',
  'whiteboard',
  'lzy-service',
  'site',
] as const;
export type SuiteService = (typeof SUITE_SERVICES)[number];

/** What every service of one suite shares: where the infrastructure is and the internal key. */
export interface SuiteInfra {
  host: string;
  logLevel: string;
  /** postgres:// URL of the database of one service (one database per service). */
  dbUrlFor(service: SuiteService): string;
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  /** The services' shared internal identity (iam trusts the public key). */
  internalKeys: { publicKeyPem: string; privateKeyPem: string };
  /**
   * What worker and portal VMs (child processes of the allocator) take from the environment the
   * suite was started in: see vmHostEnv. The same for `pnpm start` and for tests.
   */
  vmEnv: Readonly<Record<string, string>>;
  /** Extra variables for one service (tests: short timeouts). */
  extraEnv?: Partial<Record<SuiteService, Env>>;
}

// HOME (uv's cache, pyenv's interpreters, ~/.cache/lzy-ts), PATH (python3.X, bash, flock), the
// locale, the TLS trust and proxy settings PyPI needs behind a corporate proxy, uv's own settings,
// the worker's documented LZY_WORKER_* settings (README "Python"), and where spans go
// (OTEL_*, LZY_TRACE_FILE: VMs trace as the services do). Never other LZY_* names: the
// services' database URLs and internal key must not reach VMs and so user code.
const VM_HOST_ENV =
  /^(HOME|PATH|USER|LOGNAME|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|XDG_CACHE_HOME|PYENV_ROOT|SSL_CERT_FILE|SSL_CERT_DIR|NODE_EXTRA_CA_CERTS|REQUESTS_CA_BUNDLE|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy|UV_[A-Z0-9_]+|LZY_WORKER_[A-Z0-9_]+|OTEL_[A-Z0-9_]+|LZY_TRACE_FILE)$/;

/**
 * The part of a user's shell environment that the suite's VMs inherit (through the allocator's
 * local backend): without HOME and PATH a worker finds neither uv nor the client's Python, and
 * without the TLS settings uv cannot reach PyPI behind an intercepting proxy.
 */
export function vmHostEnv(env: Env): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => VM_HOST_ENV.test(entry[0]) && entry[1] !== undefined,
    ),
  );
}

/**
 * The key ring (LZY_ENCRYPTION_KEYS) sealing the S3 secrets storage and lzy-service keep: derived
 * from the internal private key, which `lzy up` keeps in its home, so sealed rows open again
 * after a restart without a key file of their own.
 */
function suiteEncryptionKeys(infra: SuiteInfra): string {
  const key = hkdfSync(
    'sha256',
    infra.internalKeys.privateKeyPem,
    'lzy-local-suite',
    'LZY_ENCRYPTION_KEYS',
    32,
  );
  return `suite:${Buffer.from(key).toString('base64')}`;
}

/** The database name of a service in a suite's PostgreSQL cluster. */
export function databaseNameOf(service: SuiteService): string {
  return `lzy_${service.replaceAll('-', '_')}`;
}

/**
 * The environment of one service, given the addresses of the services started before it
 * (SUITE_SERVICES is in dependency order). The same variables a Helm chart sets in a pod.
 * `freePorts`: the suite runs on free ports (LZY_RANDOM_PORTS), even where `port` is the one a
 * service had in the last run.
 */
export function suiteServiceEnv(
  service: SuiteService,
  infra: SuiteInfra,
  addresses: Partial<Record<SuiteService, string>>,
  port: number,
  freePorts: boolean = port === 0,
): Env {
  const env: Record<string, string | undefined> = {
    LZY_HOST: infra.host,
    LZY_PORT: String(port),
    LZY_LOG_LEVEL: infra.logLevel,
    LZY_DB_URL: infra.dbUrlFor(service),
    LZY_INTERNAL_PRIVATE_KEY: infra.internalKeys.privateKeyPem,
    LZY_IAM_ADDRESS: addresses.iam,
    LZY_STORAGE_ADDRESS: addresses.storage,
    LZY_CHANNEL_MANAGER_ADDRESS: addresses['channel-manager'],
    LZY_ALLOCATOR_ADDRESS: addresses.allocator,
    LZY_SCHEDULER_ADDRESS: addresses.scheduler,
    LZY_GRAPH_EXECUTOR_ADDRESS: addresses['graph-executor'],
    LZY_WHITEBOARD_ADDRESS: addresses.whiteboard,
    // The site reads executions from lzy-service's monitor API.
    LZY_LZY_SERVICE_ADDRESS: addresses['lzy-service'],
    LZY_S3_ENDPOINT: infra.s3.endpoint,
    LZY_S3_REGION: infra.s3.region,
    LZY_S3_ACCESS_KEY_ID: infra.s3.accessKeyId,
    LZY_S3_SECRET_ACCESS_KEY: infra.s3.secretAccessKey,
    ...(service === 'iam' ? { LZY_IAM_INTERNAL_PUBLIC_KEY: infra.internalKeys.publicKeyPem } : {}),
    ...(service === 'storage' || service === 'lzy-service'
      ? { LZY_ENCRYPTION_KEYS: suiteEncryptionKeys(infra) }
      : {}),
    // The allocator's local backend hands its non-LZY variables (and the LZY_WORKER_* ones it
    // passes through) to VM processes.
    ...(service === 'allocator' ? infra.vmEnv : {}),
    // The site's web page: 8080 beside the default ports, a free port when the suite uses them.
    ...(service === 'site' ? { LZY_SITE_HTTP_PORT: freePorts ? '0' : '8080' } : {}),
    ...infra.extraEnv?.[service],
  };
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}
