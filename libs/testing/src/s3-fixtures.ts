import { expect, inject } from 'vitest';
import type {} from './provided-context.ts';
import { s3Client, type S3Config } from './s3.ts';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { uniqueName } from './test-names.ts';

/** Endpoint and credentials of the run's S3 server (started by global-setup.ts). */
export function s3Config(): S3Config {
  return inject('s3');
}

/**
 * Creates a bucket for the current test, named after `title` or the test's name, and returns its
 * name. Buckets are not deleted: the server's directory goes away at the end of the run.
 */
export async function testBucket(title?: string): Promise<string> {
  const name = uniqueName(title ?? expect.getState().currentTestName ?? 'bucket', '-', 63);
  const client = s3Client(s3Config());
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    client.destroy();
  }
  return name;
}
