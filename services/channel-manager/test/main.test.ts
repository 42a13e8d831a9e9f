import { fileURLToPath } from 'node:url';
import { describeServiceProcess } from '@lzy/testing';

describeServiceProcess(
  'channel-manager',
  fileURLToPath(new URL('../src/main.ts', import.meta.url)),
);
