import { fileURLToPath } from 'node:url';
import { describeServiceProcess, testEncryptionKeys } from '@lzy/testing';

describeServiceProcess('lzy-service', fileURLToPath(new URL('../src/main.ts', import.meta.url)), {
  LZY_ENCRYPTION_KEYS: testEncryptionKeys(),
});
