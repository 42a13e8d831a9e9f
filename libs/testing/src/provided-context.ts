import type { ProvidedKubernetes } from './kubernetes.ts';
import type { PostgresInfo } from './postgres-admin.ts';
import type { S3Config } from './s3.ts';

/** What global-setup.ts provides to every integration test file (read with `inject`). */
export interface TestServers {
  readonly postgres: PostgresInfo;
  readonly s3: S3Config;
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: PostgresInfo;
    s3: S3Config;
    /** The worker and system test clusters (useKubernetes), or why they are not there. */
    kubernetes: ProvidedKubernetes;
  }
}
