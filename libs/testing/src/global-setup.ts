import type { TestProject } from 'vitest/node';
import { CleanupStack } from './cleanup-stack.ts';
import { startPostgres } from './postgres.ts';
import type { TestServers } from './provided-context.ts';
import { startS3 } from './s3.ts';

/**
 * Vitest global setup of the `integration` project: one PostgreSQL cluster and one S3 server for
 * the whole run (STYLE.md §9), handed to test files through `provide`/`inject`. Test files make
 * their own database (`usePostgres`) and bucket (`testBucket`) on them. Returns the teardown,
 * which stops both; a failed start stops what already started.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = new CleanupStack();
  try {
    // allSettled, not all: when one start fails, the other must be on the stack before close().
    const [postgres, s3] = await Promise.allSettled([
      startPostgres().then((cluster) => stack.push(cluster)),
      startS3().then((server) => stack.push(server)),
    ]).then(([pg, s3]) => [valueOf(pg), valueOf(s3)] as const);
    const servers: TestServers = { postgres: postgres.info, s3: pickS3Config(s3) };
    project.provide('postgres', servers.postgres);
    project.provide('s3', servers.s3);
  } catch (err) {
    await stack.close();
    throw err;
  }
  return () => stack.close();
}

function pickS3Config(s3: TestServers['s3']): TestServers['s3'] {
  const { endpoint, region, accessKeyId, secretAccessKey } = s3;
  return { endpoint, region, accessKeyId, secretAccessKey };
}

function valueOf<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}
