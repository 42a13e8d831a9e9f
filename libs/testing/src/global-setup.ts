import type { TestProject } from 'vitest/node';
import { CleanupStack } from './cleanup-stack.ts';
import { startTestKubernetes } from './kube-global.ts';
import { startPostgres } from './postgres.ts';
import type { TestServers } from './provided-context.ts';
import { startS3 } from './s3.ts';

/**
 * Vitest global setup of the `integration` project: one PostgreSQL cluster, one S3 server and the
 * two Kubernetes test clusters for the whole run (STYLE.md §9), started in parallel and handed to
 * test files through `provide`/`inject`. Test files make their own database (`usePostgres`),
 * bucket (`testBucket`) and namespace on them. Returns the teardown, which stops all; a failed
 * start stops what already started. Missing Kubernetes binaries do not fail the run:
 * `useKubernetes()` then throws the reason in the files that need clusters (see kube-global.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = new CleanupStack();
  try {
    // allSettled, not all: when one start fails, the other must be on the stack before close().
    const [postgres, s3, kubernetes] = await Promise.allSettled([
      startPostgres().then((cluster) => stack.push(cluster)),
      startS3().then((server) => stack.push(server)),
      startTestKubernetes(project, stack),
    ]).then(([pg, s3, kube]) => [valueOf(pg), valueOf(s3), valueOf(kube)] as const);
    const servers: TestServers = { postgres: postgres.info, s3: pickS3Config(s3) };
    project.provide('postgres', servers.postgres);
    project.provide('s3', servers.s3);
    project.provide('kubernetes', kubernetes);
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
