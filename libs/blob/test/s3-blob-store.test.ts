import { testBucket, s3Config } from '@lzy/testing';
import { onTestFinished } from 'vitest';
import { S3BlobStore } from '../src/index.ts';
import { describeBlobContract } from './blob-contract.ts';

describeBlobContract('S3BlobStore', async () => {
  const store = new S3BlobStore({
    ...s3Config(),
    bucket: await testBucket(),
    forcePathStyle: true,
  });
  onTestFinished(() => store.close());
  return store;
});
