import { fileURLToPath } from 'node:url';
import { describeServiceProcess, testEncryptionKeys } from '@lzy/testing';

describeServiceProcess('storage', fileURLToPath(new URL('../src/main.ts', import.meta.url)), {
  LZY_ENCRYPTION_KEYS: testEncryptionKeys(),
  // versitygw accounts need the gateway and its root key; nothing is called at start.
  LZY_S3_ENDPOINT: 'http://127.0.0.1:9',
  LZY_S3_ACCESS_KEY_ID: 'root',
  LZY_S3_SECRET_ACCESS_KEY: 'root-secret',
});
